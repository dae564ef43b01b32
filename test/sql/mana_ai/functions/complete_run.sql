-- mana_ai.complete_run(): the write-back row (docs/writeback.md §2–4), fencing, fresh re-check and the
-- projection trigger folding the runner's own row (docs/scheduling.md §5.3). Missions and agents go in
-- through the log (tests.sync), so the trigger, record_json and the RLS scope are all exercised.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(40);

select is_definer('mana_ai', 'complete_run', array['bigint', 'uuid', 'jsonb', 'bigint'], 'complete_run is security definer');
select function_privs_are('mana_ai', 'complete_run', array['bigint', 'uuid', 'jsonb', 'bigint'], 'mana_ai_runner', array['EXECUTE'],
  'the runtime role may execute complete_run');

select tests.freeze_time('2024-01-01 00:30Z');
update mana_ai_private.settings set timezone = 'Europe/Berlin';
select pg_temp.sync_agent('u1', 'a1', '{"name": "Planner", "maxConcurrentMissions": 20}', '2024-01-01 00:00:00Z');
select pg_temp.sync_agent('u1', 'a-noname', '{"name": 42}', '2024-01-01 00:00:01Z');
select pg_temp.sync_agent('u1', 'a-del', '{"name": "Gone"}', '2024-01-01 00:00:02Z');
select tests.sync('u1', 'agents', 'a-del', 'delete', '{"deletedAt": "2024-01-01T00:01:00.000Z"}', '{}', 'ai', '2024-01-01 00:01Z');
select pg_temp.sync_mission('u1', 'm-agent',
  '{"agentId": "a1", "nextRunAt": "2024-01-01T00:10:00.000Z", "iterations": [{"id": "old", "source": "browser", "plan": []}]}',
  '2024-01-01 00:02:00Z');
select pg_temp.sync_mission('u1', 'm-legacy', '{"nextRunAt": "2024-01-01T00:10:00.000Z", "objective": null}', '2024-01-01 00:02:01Z');
select pg_temp.sync_mission('u1', 'm-noname', '{"agentId": "a-noname", "nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:02:02Z');
select pg_temp.sync_mission('u1', 'm-delagent', '{"agentId": "a-del", "nextRunAt": "2024-01-01T00:10:00.000Z", "objective": 7}', '2024-01-01 00:02:03Z');
select pg_temp.sync_mission('u1', 'm-ahead', '{"nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:02:04Z');
select pg_temp.sync_mission('u1', 'm-paused', '{"nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:02:05Z');
select pg_temp.sync_mission('u1', 'm-deleted', '{"nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:02:06Z');
select pg_temp.sync_mission('u1', 'm-moved', '{"nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:02:07Z');
select pg_temp.sync_mission('u1', 'm-manual', '{"nextRunAt": "2024-01-01T00:10:00.000Z", "cadence": {"kind": "manual"}}', '2024-01-01 00:02:08Z');
select pg_temp.sync_mission('u1', 'm-badit', '{"nextRunAt": "2024-01-01T00:10:00.000Z", "iterations": "oops"}', '2024-01-01 00:02:09Z');
select pg_temp.sync_mission('u1', 'm-daily', '{"nextRunAt": "2024-01-01T00:10:00.000Z", "cadence": {"kind": "daily", "atHour": 9, "atMinute": 15}}', '2024-01-01 00:02:10Z');

select is((select count(*)::int from mana_ai.runs where status = 'queued'), 11,
  'the projection trigger queued one run per mission that became due');

select tests.as_role('mana_ai_runner');
create temp table claimed as select * from mana_ai.claim_runs('w1', 20, 600000);
reset role;
select is((select count(*)::int from claimed), 11, 'all eleven are claimed');

-- meanwhile, devices write: fresher iterations (with a proposalId), a stamp ahead of our clock, a pause,
-- a delete, a moved slot
select pg_temp.sync_update('u1', 'aiMissions', 'm-agent',
  '{"iterations": [{"id": "old", "source": "browser", "plan": [{"id": "s", "proposalId": "p-1"}]}]}',
  '2024-01-01T00:20:00.000Z', '2024-01-01 00:20Z');
select pg_temp.sync_update('u1', 'aiMissions', 'm-ahead', '{"title": "edited on a fast clock"}', '2024-01-01T05:00:00.000Z', '2024-01-01 00:20:01Z');
select pg_temp.sync_update('u1', 'aiMissions', 'm-ahead', '{"iterations": []}', '2024-01-01T05:00:00.0005Z', '2024-01-01 00:20:02Z');
select pg_temp.sync_update('u1', 'aiMissions', 'm-paused', '{"state": "paused"}', '2024-01-01T00:21:00.000Z', '2024-01-01 00:21Z');
select tests.sync('u1', 'aiMissions', 'm-deleted', 'delete', '{"deletedAt": "2024-01-01T00:22:00.000Z"}', '{}', 'ai', '2024-01-01 00:22Z');
select pg_temp.sync_update('u1', 'aiMissions', 'm-moved', '{"nextRunAt": "2024-01-01T00:25:00.000Z"}', '2024-01-01T00:23:00.000Z', '2024-01-01 00:23Z');

create temp table iteration as
select '{"id": "it-1", "startedAt": "2024-01-01T00:29:00.000Z", "finishedAt": "2024-01-01T00:29:00.000Z",
         "plan": [{"id": "it-1-0", "summary": "Do it", "intent": {"kind": "toolCall", "toolName": "create_task", "params": {"title": "x"}}, "status": "planned"}],
         "summary": "One step", "overallStatus": "awaiting-review", "source": "server"}'::jsonb as v;
grant select on iteration to mana_ai_runner;

-- as listener: stale token first, then the holder ----------------------------------------------------------
select tests.as_role('mana_ai_runner');
select is(mana_ai.complete_run((select run_id from claimed where mission_id = 'm-agent'), gen_random_uuid(), (select v from iteration)),
  '{"status": "stale"}', 'a token that is not the current lease is stale');
create temp table done_agent as
select mana_ai.complete_run(c.run_id, c.lease_token, (select v from iteration)) as res from claimed c where c.mission_id = 'm-agent';
select is(mana_ai.complete_run((select run_id from claimed where mission_id = 'm-agent'), (select lease_token from claimed where mission_id = 'm-agent'),
                               (select v from iteration)),
  '{"status": "stale"}', 'a second call with the same token is stale');
select throws_ok(
  format($$ select mana_ai.complete_run(%s, %L, '[]') $$, (select run_id from claimed where mission_id = 'm-legacy'), (select lease_token from claimed where mission_id = 'm-legacy')),
  'MA103', null, 'an iteration that is not an object is refused');
select throws_ok(
  format($$ select mana_ai.complete_run(%s, %L, '{"plan": []}') $$, (select run_id from claimed where mission_id = 'm-legacy'), (select lease_token from claimed where mission_id = 'm-legacy')),
  'MA103', null, 'an iteration without a string id is refused');
create temp table done_rest as
select c.mission_id, mana_ai.complete_run(c.run_id, c.lease_token, jsonb_build_object('id', 'it-' || c.mission_id, 'plan', '[]'::jsonb)) as res
  from claimed c where c.mission_id <> 'm-agent';
reset role;

-- the result -------------------------------------------------------------------------------------------------
select is((select res from done_agent),
  jsonb_build_object('status', 'done', 'iterationId', 'it-1', 'nextRunAt', '2024-01-01T01:30:00.000Z',
                     'stamp', '2024-01-01T00:30:00.000Z', 'agentResolved', true,
                     'changeId', (select id from pg_temp.runner_rows('u1', 'm-agent'))),
  'done: iteration id, next slot (interval 60 min from now), S = now, the change id, agent resolved');

-- the exact row (docs/writeback.md §2)
select is((select count(*)::int from pg_temp.runner_rows('u1', 'm-agent')), 1, 'exactly one row is written');
select results_eq(
  $$ select app_id, table_name, record_id, user_id, op, client_id, schema_version, created_at from pg_temp.runner_rows('u1', 'm-agent') $$,
  $$ values ('ai'::text, 'aiMissions'::text, 'm-agent'::text, 'u1'::text, 'update'::text, 'mana-ai-runner'::text, 1, now()) $$,
  'app ai, table aiMissions, the mission and its owner, op update, client mana-ai-runner, schema 1, created_at default');
select is((select field_timestamps from pg_temp.runner_rows('u1', 'm-agent')),
  '{"iterations": "2024-01-01T00:30:00.000Z", "nextRunAt": "2024-01-01T00:30:00.000Z", "updatedAt": "2024-01-01T00:30:00.000Z"}',
  'every data key is stamped with S');
select is((select data - 'iterations' from pg_temp.runner_rows('u1', 'm-agent')),
  '{"nextRunAt": "2024-01-01T01:30:00.000Z", "updatedAt": "2024-01-01T00:30:00.000Z"}',
  'data carries the next slot and updatedAt = S');
select is((select data -> 'iterations' from pg_temp.runner_rows('u1', 'm-agent')),
  jsonb_build_array(
    '{"id": "old", "source": "browser", "plan": [{"id": "s", "proposalId": "p-1"}]}'::jsonb,
    (select v from iteration) || '{"finishedAt": "2024-01-01T00:30:00.000Z"}'),
  'iterations = the CURRENT folded array (with the device''s proposalId) + the new one, finishedAt = the write-back instant');
select is((select actor from pg_temp.runner_rows('u1', 'm-agent')),
  '{"kind": "ai", "principalId": "a1", "displayName": "Planner", "missionId": "m-agent", "iterationId": "it-1", "rationale": "Plan the week"}',
  'the AI actor names the agent, the mission, the iteration and the objective');

-- the run and the projection
select results_eq(
  $$ select status, iteration_id, next_run_at, finished_at, lease_until from mana_ai.runs where run_id = (select run_id from claimed where mission_id = 'm-agent') $$,
  $$ values ('done'::text, 'it-1'::text, '2024-01-01 01:30Z'::timestamptz, '2024-01-01 00:30Z'::timestamptz, null::timestamptz) $$,
  'the run is done with its iteration id and next slot');
select results_eq(
  $$ select next_run_at, due_at from mana_ai_private.projections where user_id = 'u1' and table_name = 'aiMissions' and record_id = 'm-agent' $$,
  $$ values ('2024-01-01 01:30Z'::timestamptz, '2024-01-01 01:30Z'::timestamptz) $$,
  'the trigger folded the runner''s row: the mission is due at the next slot, not now');
select is(mana_ai_private.record_json('u1', 'aiMissions', 'm-agent') -> 'iterations' -> 1 ->> 'id', 'it-1',
  'the folded record ends with the new iteration');
select is((mana_ai.tick() ->> 'enqueued')::int, 0, 'a tick afterwards enqueues nothing for the finished slot');

-- actors (docs/writeback.md §4)
select is((select actor from pg_temp.runner_rows('u1', 'm-legacy')),
  '{"kind": "ai", "principalId": "legacy:ai-default", "displayName": "Mana", "missionId": "m-legacy", "iterationId": "it-m-legacy", "rationale": ""}',
  'no agentId: the legacy principal; a null objective becomes an empty rationale');
select is((select res ->> 'agentResolved' from done_rest where mission_id = 'm-legacy'), 'false', 'agentResolved is false for legacy');
select is((select actor ->> 'displayName' from pg_temp.runner_rows('u1', 'm-noname')), 'Unnamed', 'a non-string agent name is Unnamed');
select is((select actor ->> 'principalId' from pg_temp.runner_rows('u1', 'm-noname')), 'a-noname', 'with the agent''s id');
select is((select actor - 'iterationId' - 'missionId' from pg_temp.runner_rows('u1', 'm-delagent')),
  '{"kind": "ai", "principalId": "legacy:ai-default", "displayName": "Mana", "rationale": "7"}',
  'a deleted agent falls back to the legacy principal; the objective is String()-ed');

-- S = c + 1 ms when a device clock is ahead (docs/writeback.md §3, KI-9)
select is((select res ->> 'stamp' from done_rest where mission_id = 'm-ahead'), '2024-01-01T05:00:00.001Z',
  'S = the latest current stamp + 1 ms (truncated to ms), not now');
select is((select field_timestamps ->> 'nextRunAt' from pg_temp.runner_rows('u1', 'm-ahead')), '2024-01-01T05:00:00.001Z',
  'every key carries that S');
select is((select data -> 'iterations' -> 0 ->> 'finishedAt' from pg_temp.runner_rows('u1', 'm-ahead')), '2024-01-01T00:30:00.000Z',
  'finishedAt stays the wall-clock instant');
select is((select data ->> 'nextRunAt' from pg_temp.runner_rows('u1', 'm-ahead')), '2024-01-01T01:30:00.000Z',
  'the next slot is computed from now, not from S');
select is((select next_run_at from mana_ai_private.projections where user_id = 'u1' and record_id = 'm-ahead'), '2024-01-01 01:30Z'::timestamptz,
  'the runner''s write wins the LWW fold despite the device clock');

-- manual and daily cadences, non-array iterations
select is((select data ->> 'nextRunAt' from pg_temp.runner_rows('u1', 'm-daily')), '2024-01-01T08:15:00.000Z',
  'daily 09:15 in settings.timezone (Europe/Berlin, UTC+1 in winter): today, as 09:15 local is still ahead of now');
select is((select data -> 'nextRunAt' from pg_temp.runner_rows('u1', 'm-manual')), 'null'::jsonb, 'manual cadence: nextRunAt is JSON null');
select is((select due_at from mana_ai_private.projections where user_id = 'u1' and record_id = 'm-manual'), null,
  'the manual mission is no longer due');
select is((select data -> 'iterations' from pg_temp.runner_rows('u1', 'm-badit')),
  jsonb_build_array(jsonb_build_object('id', 'it-m-badit', 'plan', '[]'::jsonb, 'finishedAt', '2024-01-01T00:30:00.000Z')),
  'non-array iterations count as []');

-- superseded: the fresh re-check under the projection row lock
select results_eq(
  $$ select mission_id, res from done_rest where mission_id in ('m-paused', 'm-deleted', 'm-moved') order by mission_id $$,
  $$ values ('m-deleted'::text, '{"status": "superseded"}'::jsonb), ('m-moved', '{"status": "superseded"}'), ('m-paused', '{"status": "superseded"}') $$,
  'paused, deleted or moved meanwhile: superseded');
select is_empty($$ select * from pg_temp.runner_rows('u1', 'm-paused') union all select * from pg_temp.runner_rows('u1', 'm-deleted')
                   union all select * from pg_temp.runner_rows('u1', 'm-moved') $$,
  'a superseded run writes nothing');
select results_eq(
  $$ select status from mana_ai.runs where run_id in (select run_id from claimed where mission_id in ('m-paused', 'm-deleted', 'm-moved')) $$,
  $$ values ('superseded'::text), ('superseded'), ('superseded') $$,
  'and is marked superseded');
select is((select count(*)::int from mana_ai.runs where mission_id = 'm-moved' and slot = '2024-01-01 00:25Z' and status = 'queued'), 1,
  'the moved slot got its own run from the trigger');

-- the stale attempt left nothing behind; the scope is restored
select is((select count(*)::int from public.sync_changes where client_id = 'mana-ai-runner'), 8,
  'eight rows in total: one per completed mission, none for stale or superseded calls');
select is(current_setting('app.current_user_id', true), '', 'the caller''s RLS scope is restored');
select is((select count(*)::int from mana_ai.runs where status = 'running'), 0, 'no run is left running');

select * from finish();
rollback;
