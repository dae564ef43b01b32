-- mana_ai.v_missions: every projected mission with its decision columns, agent gate and last run.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(13);

select tests.freeze_time('2024-01-01 01:00Z');
select pg_temp.agent('u1', 'a-paused', 'paused');
select pg_temp.mission('u1', 'm-active', '2024-01-01 00:10Z');
select pg_temp.mission('u1', 'm-paused-agent', '2024-01-01 02:00Z', 'a-paused');
select pg_temp.mission('u1', 'm-missing-agent', '2024-01-01 02:00Z', 'a-nowhere');
select pg_temp.mission('u2', 'm-deleted', '2024-01-01 00:00Z', p_deleted => true);
select pg_temp.mission('u2', 'm-tombstone', null, p_present => false);
select pg_temp.mission('u2', 'm-paused', '2024-01-01 00:00Z', p_state => 'paused');
update mana_ai_private.projections
   set vals = '{"cadence": {"kind": "daily", "atHour": 24, "atMinute": 0}, "nextRunAt": "soon"}',
       cadence_error = 'daily cadence: atHour must be an integer 0-23, got 24', next_run_at = null
 where record_id = 'm-paused';
insert into mana_ai.runs (user_id, mission_id, slot, became_due_at, status, attempts, error_class, last_error, finished_at) values
  ('u1', 'm-active', '2023-12-31 00:10Z', '2023-12-31 00:10Z', 'done', 1, null, null, '2023-12-31 00:11Z'),
  ('u1', 'm-active', '2024-01-01 00:10Z', '2024-01-01 00:10Z', 'failed', 2, 'llm:timeout', 'mana-llm timeout', null);

select results_eq(
  $$ select user_id, mission_id from mana_ai.v_missions $$,
  $$ values ('u1', 'm-active'), ('u1', 'm-missing-agent'), ('u1', 'm-paused-agent'),
            ('u2', 'm-deleted'), ('u2', 'm-paused'), ('u2', 'm-tombstone') $$,
  'every projected mission of every user is listed, tombstones and deleted ones included');
select results_eq(
  $$ select present, deleted, state, due_at, due_now from mana_ai.v_missions where mission_id in ('m-active', 'm-deleted', 'm-tombstone') order by mission_id $$,
  $$ values (true, false, 'active'::text, '2024-01-01 00:10Z'::timestamptz, true),
            (true, true, 'active', null, null), (false, false, 'active', null, null) $$,
  'present, deleted, state and due_at come from the projection; only a live active mission is due');
select results_eq(
  $$ select cadence_kind, cadence_error, next_run_at, next_run_at_stored from mana_ai.v_missions where mission_id = 'm-paused' $$,
  $$ values ('daily'::text, 'daily cadence: atHour must be an integer 0-23, got 24'::text, null::timestamptz, '"soon"'::jsonb) $$,
  'cadence kind, cadence_error and the stored nextRunAt (unparseable here) are shown');
select results_eq(
  $$ select agent_resolved, agent_state, gate from mana_ai.v_missions where mission_id = 'm-paused-agent' $$,
  $$ values (true, 'paused'::text, 'skipped-paused'::text) $$,
  'a paused agent gates its mission');
select results_eq(
  $$ select agent_id, agent_resolved, gate from mana_ai.v_missions where mission_id = 'm-missing-agent' $$,
  $$ values ('a-nowhere'::text, false, null::text) $$,
  'a missing agent does not resolve: legacy principal, no gate');
select results_eq(
  $$ select last_run_status, last_run_attempts, last_run_error_class, last_run_error from mana_ai.v_missions where mission_id = 'm-active' $$,
  $$ values ('failed'::text, 2, 'llm:timeout'::text, 'mana-llm timeout'::text) $$,
  'the last run (newest slot) with its error');
select is((select last_run_id from mana_ai.v_missions where mission_id = 'm-paused'), null, 'a mission without runs has no last run');

-- as listener ----------------------------------------------------------------------------------
select tests.as_role('mana_ai_runner');
select throws_ok($$ select * from mana_ai.v_missions $$, '42501', null, 'the listener cannot read v_missions');
reset role;

-- as owner ---------------------------------------------------------------------------------------
select tests.as_role('mana_ai_owner');
select is((select count(*)::int from mana_ai.v_missions), 6, 'the owner reads the view under FORCE RLS, across users');
reset role;

-- shape ------------------------------------------------------------------------------------------
select ok((select 'security_invoker=true' = any (c.reloptions) and c.relowner = 'mana_ai_owner'::regrole
             from pg_catalog.pg_class c where c.oid = 'mana_ai.v_missions'::regclass),
  'v_missions is owned by mana_ai_owner and reads with the reader''s rights (security_invoker)');
select ok(not pg_catalog.has_table_privilege('mana_ai_runner', 'mana_ai.v_missions', 'SELECT'),
  'v_missions is not granted to mana_ai_runner');
select isnt(pg_catalog.obj_description('mana_ai.v_missions'::regclass, 'pg_class'), null, 'v_missions has a comment');
select is_empty(
  $$ select a.attname from pg_catalog.pg_attribute a
      where a.attrelid = 'mana_ai.v_missions'::regclass and a.attnum > 0 and pg_catalog.col_description(a.attrelid, a.attnum) is null $$,
  'every column of v_missions has a comment');

select * from finish();
rollback;
