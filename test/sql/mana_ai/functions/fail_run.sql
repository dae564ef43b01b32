-- mana_ai.fail_run(): backoff, the last attempt's schedule-only row and dead, a failing advance that
-- tick() retries, fencing (docs/scheduling.md §5.3 step 4, docs/writeback.md §2 and §4).
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(27);

select is_definer('mana_ai', 'fail_run', array['bigint', 'uuid', 'text', 'text', 'bigint'], 'fail_run is security definer');
select function_privs_are('mana_ai', 'fail_run', array['bigint', 'uuid', 'text', 'text', 'bigint'], 'mana_ai_runner', array['EXECUTE'],
  'the runtime role may execute fail_run');

select tests.freeze_time('2024-01-01 00:30Z');
select pg_temp.sync_mission('u1', 'm1', '{"nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:01Z');

-- attempt 1 -------------------------------------------------------------------------------------------------
select tests.as_role('mana_ai_runner');
create temp table a1 as select * from mana_ai.claim_runs('w1', 1, 60000);
select is(mana_ai.fail_run((select run_id from a1), gen_random_uuid(), 'llm', 'boom'), '{"status": "stale"}',
  'a token that is not the current lease is stale');
create temp table f1 as select mana_ai.fail_run(run_id, lease_token, 'llm-timeout', 'no answer within 120000 ms') as res from a1;
select is(mana_ai.fail_run((select run_id from a1), (select lease_token from a1), 'llm', 'again'), '{"status": "stale"}',
  'failing twice with one token: the second call is stale');
reset role;
select is((select res from f1), '{"status": "failed", "attempts": 1, "retryAt": "2024-01-01T00:30:30.000Z"}',
  'attempt 1 of 3: failed, retry after retry_base_ms');
select results_eq(
  $$ select status, attempts, retry_at, error_class, last_error, lease_until from mana_ai.runs where run_id = (select run_id from a1) $$,
  $$ values ('failed'::text, 1, '2024-01-01 00:30:30Z'::timestamptz, 'llm-timeout'::text, 'no answer within 120000 ms'::text, null::timestamptz) $$,
  'the run records the retry time, the error class and message');

-- attempt 2: not before retry_at; backoff doubles --------------------------------------------------------------
select tests.freeze_time('2024-01-01 00:30:29Z');
select tests.as_role('mana_ai_runner');
select is_empty($$ select * from mana_ai.claim_runs('w1', 1, 60000) $$, 'no retry before retry_at');
reset role;
select tests.freeze_time('2024-01-01 00:30:30Z');
select tests.as_role('mana_ai_runner');
create temp table a2 as select * from mana_ai.claim_runs('w1', 1, 60000);
select is((select attempt from a2), 2, 'the retry is attempt 2');
select is((select mana_ai.fail_run(run_id, lease_token, 'parse', 'no JSON') from a2),
  '{"status": "failed", "attempts": 2, "retryAt": "2024-01-01T00:31:30.000Z"}', 'attempt 2: backoff doubles (60 s)');
reset role;

-- attempt 3 is the last: schedule-only row and dead ----------------------------------------------------------
select tests.freeze_time('2024-01-01 00:32Z');
select tests.as_role('mana_ai_runner');
create temp table a3 as select * from mana_ai.claim_runs('w1', 1, 60000);
create temp table f3 as select mana_ai.fail_run(run_id, lease_token, 'llm', 'HTTP 502') as res from a3;
reset role;
select is((select attempt from a3), 3, 'the third claim is attempt 3');
select is((select res from f3),
  jsonb_build_object('status', 'dead', 'nextRunAt', '2024-01-01T01:32:00.000Z', 'stamp', '2024-01-01T00:32:00.000Z',
                     'changeId', (select id from pg_temp.runner_rows('u1', 'm1'))),
  'the last attempt advances the schedule and kills the run');
select results_eq(
  $$ select op, client_id, schema_version, data, field_timestamps, actor from pg_temp.runner_rows('u1', 'm1') $$,
  $$ values ('update'::text, 'mana-ai-runner'::text, 1,
             '{"nextRunAt": "2024-01-01T01:32:00.000Z", "updatedAt": "2024-01-01T00:32:00.000Z"}'::jsonb,
             '{"nextRunAt": "2024-01-01T00:32:00.000Z", "updatedAt": "2024-01-01T00:32:00.000Z"}'::jsonb,
             '{"kind": "system", "principalId": "system:mission-runner", "displayName": "Mission-Runner"}'::jsonb) $$,
  'one schedule-only row: data {nextRunAt, updatedAt}, both stamped, the system actor');
select results_eq(
  $$ select status, schedule_advanced, next_run_at, error_class, last_error, iteration_id from mana_ai.runs where run_id = (select run_id from a3) $$,
  $$ values ('dead'::text, true, '2024-01-01 01:32Z'::timestamptz, 'llm'::text, 'HTTP 502'::text, null::text) $$,
  'the run is dead with schedule_advanced and the last error');
select is((select due_at from mana_ai_private.projections where user_id = 'u1' and record_id = 'm1'), '2024-01-01 01:32Z'::timestamptz,
  'the mission moved on to its next slot');

-- backoff is capped by retry_max_ms --------------------------------------------------------------------------
update mana_ai_private.settings set retry_max_ms = 45000, max_attempts = 5;
select pg_temp.sync_mission('u1', 'm2', '{"nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:02Z');
select tests.as_role('mana_ai_runner');
create temp table b1 as select * from mana_ai.claim_runs('w1', 1, 60000);
select is((select mana_ai.fail_run(run_id, lease_token, 'llm', 'x') ->> 'retryAt' from b1), '2024-01-01T00:32:30.000Z', '30 s after attempt 1');
reset role;
update mana_ai.runs set attempts = 3, retry_at = null where run_id = (select run_id from b1);
select tests.as_role('mana_ai_runner');
create temp table b2 as select * from mana_ai.claim_runs('w1', 1, 60000);
select is((select mana_ai.fail_run(run_id, lease_token, 'llm', 'x') ->> 'retryAt' from b2), '2024-01-01T00:32:45.000Z',
  'attempt 4 would wait 120 s; retry_max_ms caps it at 45 s');
reset role;
update mana_ai_private.settings set retry_max_ms = 900000, max_attempts = 3;
delete from mana_ai.runs where mission_id = 'm2';

-- the last attempt of a mission paused meanwhile: superseded, nothing written -----------------------------------
select pg_temp.sync_mission('u1', 'm3', '{"nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:03Z');
update mana_ai.runs set attempts = 2 where mission_id = 'm3';
select tests.as_role('mana_ai_runner');
create temp table c1 as select * from mana_ai.claim_runs('w1', 1, 60000);
reset role;
select pg_temp.sync_update('u1', 'aiMissions', 'm3', '{"state": "paused"}', '2024-01-01T00:31:00.000Z', '2024-01-01 00:31Z');
select tests.as_role('mana_ai_runner');
select is((select mana_ai.fail_run(run_id, lease_token, 'llm', 'x') from c1), '{"status": "superseded"}',
  'the last attempt of a mission no longer due at the slot is superseded');
reset role;
select is_empty($$ select * from pg_temp.runner_rows('u1', 'm3') $$, 'and writes no schedule row');

-- the schedule-only insert fails: the run stays failed at max attempts; tick() retries ---------------------------
create function pg_temp.refuse_runner_rows() returns trigger language plpgsql as $$
begin
  if NEW.client_id = 'mana-ai-runner' then
    raise exception 'sync server says no';
  end if;
  return NEW;
end
$$;
create trigger _000_refuse before insert on public.sync_changes for each row execute function pg_temp.refuse_runner_rows();
select pg_temp.sync_mission('u1', 'm4', '{"nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:04Z');
update mana_ai.runs set attempts = 2 where mission_id = 'm4';
select tests.as_role('mana_ai_runner');
create temp table d1 as select * from mana_ai.claim_runs('w1', 1, 60000);
create temp table fd as select mana_ai.fail_run(run_id, lease_token, 'llm', 'HTTP 500') as res from d1;
reset role;
select is((select res from fd), '{"status": "failed", "error": "sync server says no"}', 'the failed advance is reported');
select results_eq(
  $$ select status, attempts, schedule_advanced, error_class, last_error, lease_until from mana_ai.runs where run_id = (select run_id from d1) $$,
  $$ values ('failed'::text, 3, false, 'llm'::text, 'HTTP 500 | schedule advance failed: sync server says no'::text, null::timestamptz) $$,
  'the run stays failed with attempts = max and records both errors');
select is_empty($$ select * from pg_temp.runner_rows('u1', 'm4') $$, 'nothing was written');
select tests.as_role('mana_ai_runner');
select is_empty($$ select * from mana_ai.claim_runs('w1', 10, 60000) $$, 'the run is never claimed again');
select is(mana_ai.tick() -> 'errors', '["mission=m4: schedule advance failed: sync server says no"]',
  'a tick retries the advance and reports the failure');
reset role;
select is((select last_error from mana_ai.runs where run_id = (select run_id from d1)), 'HTTP 500 | schedule advance failed: sync server says no',
  'a repeated failure replaces the advance error instead of piling it up');
drop trigger _000_refuse on public.sync_changes;
select tests.as_role('mana_ai_runner');
select is((mana_ai.tick() ->> 'dead')::int, 1, 'once the insert works, the next tick advances the schedule');
reset role;
select results_eq(
  $$ select status, schedule_advanced from mana_ai.runs where run_id = (select run_id from d1) $$,
  $$ values ('dead'::text, true) $$, 'and marks the run dead');
select is((select actor ->> 'principalId' from pg_temp.runner_rows('u1', 'm4')), 'system:mission-runner',
  'with the system actor''s schedule-only row');

select * from finish();
rollback;
