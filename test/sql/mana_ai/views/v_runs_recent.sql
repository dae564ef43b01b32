-- mana_ai.v_runs_recent: runs touched in the last 24 hours plus every open run, newest first.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(10);

select tests.freeze_time('2024-01-02 12:00Z');
insert into mana_ai.runs (user_id, mission_id, slot, agent_id, became_due_at, enqueued_at, status, attempts, lease_token,
                          lease_until, worker, error_class, last_error, claimed_at, finished_at, updated_at) values
  ('u1', 'old-done',  '2023-12-30Z', null, '2023-12-30Z', '2023-12-30Z', 'done', 1, null, null, 'w1', null, null,
   '2023-12-30Z', '2023-12-30 00:01Z', '2023-12-30 00:01Z'),
  ('u1', 'old-queued', '2023-12-30Z', null, '2023-12-30Z', '2023-12-30Z', 'queued', 0, null, null, null, null, null,
   null, null, '2023-12-30Z'),
  ('u1', 'new-done', '2024-01-02 10:00Z', 'a1', '2024-01-02 10:00Z', '2024-01-02 10:00Z', 'done', 1, null, null, 'w1', null, null,
   '2024-01-02 10:00:05Z', '2024-01-02 10:00:35Z', '2024-01-02 10:00:35Z'),
  ('u2', 'new-dead', '2024-01-02 09:00Z', null, '2024-01-02 09:00Z', '2024-01-02 09:00Z', 'dead', 3, null, null, 'w2', 'llm:http-5xx',
   'mana-llm answered 500', '2024-01-02 09:30Z', '2024-01-02 09:31Z', '2024-01-02 09:31Z'),
  ('u2', 'new-running', '2024-01-02 11:00Z', null, '2024-01-02 11:00Z', '2024-01-02 11:00Z', 'running', 1, gen_random_uuid(),
   '2024-01-02 12:05Z', 'w2', null, null, '2024-01-02 11:59Z', null, '2024-01-02 11:59Z');

select results_eq(
  $$ select mission_id from mana_ai.v_runs_recent $$,
  $$ values ('new-running'), ('new-done'), ('new-dead'), ('old-queued') $$,
  'runs of the last 24 hours and open runs, newest first; an old finished run is left out');
select results_eq(
  $$ select status, attempts, worker, error_class, last_error from mana_ai.v_runs_recent where mission_id = 'new-dead' $$,
  $$ values ('dead'::text, 3, 'w2'::text, 'llm:http-5xx'::text, 'mana-llm answered 500'::text) $$,
  'status, attempts, worker and the last error are shown');
select results_eq(
  $$ select wait, duration from mana_ai.v_runs_recent where mission_id = 'new-done' $$,
  $$ values (interval '5 seconds', interval '30 seconds') $$,
  'wait is became-due to claim, duration claim to finish');
select results_eq(
  $$ select lease_live, duration from mana_ai.v_runs_recent where mission_id = 'new-running' $$,
  $$ values (true, interval '1 minute') $$,
  'a running run has a live lease and its duration runs up to now');
select tests.freeze_time('2024-01-02 12:10Z');
select is((select lease_live from mana_ai.v_runs_recent where mission_id = 'new-running'), false,
  'once the lease has passed, lease_live is false');

select tests.as_role('mana_ai_runner');
select throws_ok($$ select * from mana_ai.v_runs_recent $$, '42501', null, 'the listener cannot read v_runs_recent');
reset role;
select tests.as_role('mana_ai_owner');
select is((select count(*)::int from mana_ai.v_runs_recent), 4, 'the owner reads the view under FORCE RLS, across users');
reset role;

select ok((select 'security_invoker=true' = any (c.reloptions) and c.relowner = 'mana_ai_owner'::regrole
             and not pg_catalog.has_table_privilege('mana_ai_runner', c.oid, 'SELECT')
             from pg_catalog.pg_class c where c.oid = 'mana_ai.v_runs_recent'::regclass),
  'v_runs_recent: owned by mana_ai_owner, security_invoker, not granted to mana_ai_runner');
select isnt(pg_catalog.obj_description('mana_ai.v_runs_recent'::regclass, 'pg_class'), null, 'v_runs_recent has a comment');
select is_empty(
  $$ select a.attname from pg_catalog.pg_attribute a
      where a.attrelid = 'mana_ai.v_runs_recent'::regclass and a.attnum > 0 and pg_catalog.col_description(a.attrelid, a.attnum) is null $$,
  'every column of v_runs_recent has a comment');

select * from finish();
rollback;
