-- mana_ai.v_due: missions due now or next, with gate, lateness, the run of the slot and the quota.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(14);

select tests.freeze_time('2024-01-01 01:00Z');
select pg_temp.agent('u1', 'a-busy', 'active', 1);
select pg_temp.agent('u1', 'a-archived', 'archived');
select pg_temp.mission('u1', 'm-running', '2024-01-01 00:10Z', 'a-busy');
select pg_temp.mission('u1', 'm-blocked', '2024-01-01 00:20Z', 'a-busy');
select pg_temp.mission('u1', 'm-archived', '2024-01-01 00:30Z', 'a-archived');
select pg_temp.mission('u2', 'm-unqueued', '2024-01-01 00:40Z');
select pg_temp.mission('u2', 'm-future', '2024-01-01 03:00Z');
select pg_temp.mission('u2', 'm-paused', '2024-01-01 00:00Z', p_state => 'paused');
select pg_temp.mission('u2', 'm-deleted', '2024-01-01 00:00Z', p_deleted => true);
select pg_temp.mission('u2', 'm-no-slot', null);
insert into mana_ai.runs (user_id, mission_id, slot, agent_id, became_due_at, status, attempts, lease_token, lease_until, worker) values
  ('u1', 'm-running', '2024-01-01 00:10Z', 'a-busy', '2024-01-01 00:10Z', 'running', 1, gen_random_uuid(), '2024-01-01 01:05Z', 'w1'),
  ('u1', 'm-blocked', '2024-01-01 00:20Z', 'a-busy', '2024-01-01 00:20Z', 'queued', 0, null, null, null);

select results_eq(
  $$ select mission_id from mana_ai.v_due $$,
  $$ values ('m-running'), ('m-blocked'), ('m-archived'), ('m-unqueued'), ('m-future') $$,
  'lists every mission with a due slot, oldest first; paused, deleted and slot-less missions are not due');
select results_eq(
  $$ select due_now, late_by, due_in from mana_ai.v_due where mission_id in ('m-unqueued', 'm-future') order by slot $$,
  $$ values (true, interval '20 minutes', null::interval), (false, null, interval '2 hours') $$,
  'due_now, late_by and due_in are measured against the runner clock');
select results_eq(
  $$ select gate, agent_state, run_id from mana_ai.v_due where mission_id = 'm-archived' $$,
  $$ values ('skipped-archived'::text, 'archived'::text, null::bigint) $$,
  'an archived agent gates the mission, which is never enqueued');
select results_eq(
  $$ select run_status, run_attempts, run_worker, run_lease_until from mana_ai.v_due where mission_id = 'm-running' $$,
  $$ values ('running'::text, 1, 'w1'::text, '2024-01-01 01:05Z'::timestamptz) $$,
  'the run of the slot is shown with its status, attempts, worker and lease');
select results_eq(
  $$ select run_status, quota_blocked, agent_quota from mana_ai.v_due where mission_id = 'm-blocked' $$,
  $$ values ('queued'::text, true, 1::numeric) $$,
  'a queued run held back by its agent''s quota (1 running of 1) is quota_blocked');
select results_eq(
  $$ select agent_resolved, gate, run_id, quota_blocked from mana_ai.v_due where mission_id = 'm-unqueued' $$,
  $$ values (false, null::text, null::bigint, false) $$,
  'a legacy mission due now without a run: no gate, not enqueued yet');

-- as listener ----------------------------------------------------------------------------------
select tests.as_role('mana_ai_runner');
select throws_ok($$ select * from mana_ai.v_due $$, '42501', null, 'the listener cannot read v_due');
reset role;
grant select on mana_ai.v_due to mana_ai_runner;
select tests.as_role('mana_ai_runner');
select throws_ok($$ select * from mana_ai.v_due $$, '42501', null,
  'even a stray GRANT on the view opens nothing: it reads with the listener''s own rights (security_invoker)');
reset role;
revoke select on mana_ai.v_due from mana_ai_runner;

-- as owner (FORCE RLS binds it: the all_system policies let it see every user) ---------------------
select tests.as_role('mana_ai_owner');
select is((select count(*)::int from mana_ai.v_due), 5, 'the owner reads the view under FORCE RLS, across users');
reset role;

-- shape ------------------------------------------------------------------------------------------
select is((select c.relowner::regrole::text from pg_catalog.pg_class c where c.oid = 'mana_ai.v_due'::regclass),
  'mana_ai_owner', 'v_due is owned by mana_ai_owner');
select ok((select 'security_invoker=true' = any (c.reloptions) from pg_catalog.pg_class c where c.oid = 'mana_ai.v_due'::regclass),
  'v_due reads with the reader''s rights (security_invoker)');
select ok(not pg_catalog.has_table_privilege('mana_ai_runner', 'mana_ai.v_due', 'SELECT'),
  'v_due is not granted to mana_ai_runner');
select isnt(pg_catalog.obj_description('mana_ai.v_due'::regclass, 'pg_class'), null, 'v_due has a comment');
select is_empty(
  $$ select a.attname from pg_catalog.pg_attribute a
      where a.attrelid = 'mana_ai.v_due'::regclass and a.attnum > 0 and pg_catalog.col_description(a.attrelid, a.attnum) is null $$,
  'every column of v_due has a comment');

select * from finish();
rollback;
