-- mana_ai.release_run(): give a run back without burning an attempt (shutdown, LLM circuit breaker).
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(7);

select is_definer('mana_ai', 'release_run', array['bigint', 'uuid', 'text'], 'release_run is security definer');
select function_privs_are('mana_ai', 'release_run', array['bigint', 'uuid', 'text'], 'mana_ai_runner', array['EXECUTE'],
  'the runtime role may execute it');

select tests.freeze_time('2024-01-01 00:30Z');
select pg_temp.mission('u1', 'm1', '2024-01-01 00:00Z');
select mana_ai_private.enqueue_due('2024-01-01 00:30Z');
select tests.as_role('mana_ai_runner');
create temp table c as select * from mana_ai.claim_runs('w1', 1, 60000);
select is((select mana_ai.release_run(run_id, gen_random_uuid(), 'shutdown') from c), false, 'a stale token cannot release');
select is((select mana_ai.release_run(run_id, lease_token, 'llm circuit open') from c), true, 'the holder releases');
reset role;
select results_eq(
  $$ select status, attempts, lease_token, lease_until, worker, last_error from mana_ai.runs where run_id = (select run_id from c) $$,
  $$ values ('queued'::text, 0, null::uuid, null::timestamptz, null::text, 'released: llm circuit open'::text) $$,
  'back to queued, the attempt not counted, lease cleared, the reason kept');
select tests.as_role('mana_ai_runner');
select is((select mana_ai.release_run(run_id, lease_token, 'again') from c), false, 'releasing twice: the second call is refused');
select results_eq($$ select mission_id, attempt from mana_ai.claim_runs('w2', 1, 60000) $$, $$ values ('m1'::text, 1) $$,
  'the released run is claimable at once, still at attempt 1');
reset role;

select * from finish();
rollback;
