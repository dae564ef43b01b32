-- Never act on stale state (docs/architecture.md, "Capture, then fold"): rows a device committed a
-- moment before a claim, load_run or complete_run are still in the capture queue (no listener folded
-- them yet: tests.sync(…, p_fold => false)); each of these functions folds its own mission and agent
-- first.
begin;
\ir ../../../../support/ledger-fixtures.sql
select plan(14);

select tests.freeze_time('2024-01-01 00:30Z');
select pg_temp.sync_agent('u1', 'a1', '{"maxConcurrentMissions": 20}', '2024-01-01 00:00:00Z');
select pg_temp.sync_agent('u1', 'a2', '{"maxConcurrentMissions": 20}', '2024-01-01 00:00:01Z');
select pg_temp.sync_mission('u1', 'm-pause', '{"agentId": "a1", "nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:01:00Z');
select pg_temp.sync_mission('u1', 'm-delete', '{"agentId": "a1", "nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:01:01Z');
select pg_temp.sync_mission('u1', 'm-agent', '{"agentId": "a2", "nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:01:02Z');
select pg_temp.sync_mission('u1', 'm-ok', '{"agentId": "a1", "nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:01:03Z');
select is((select count(*)::int from mana_ai.runs where status = 'queued'), 4, 'four missions are due and queued');

-- a pause, a delete and an agent pause commit; nobody folds them
select tests.sync('u1', 'aiMissions', 'm-pause', 'update', '{"state": "paused"}', '{"state": "2024-01-01T00:29:00.000Z"}',
                  'ai', '2024-01-01 00:29:00Z', 'd', false);
select tests.sync('u1', 'aiMissions', 'm-delete', 'delete', '{"deletedAt": "2024-01-01T00:29:00.000Z"}', '{}',
                  'ai', '2024-01-01 00:29:01Z', 'd', false);
select tests.sync('u1', 'agents', 'a2', 'update', '{"state": "paused"}', '{"state": "2024-01-01T00:29:00.000Z"}',
                  'ai', '2024-01-01 00:29:02Z', 'd', false);
select is((select count(*)::int from mana_ai_private.captured), 3, 'three rows wait in the capture queue');
select is((select state from mana_ai_private.projections where record_id = 'm-pause'), 'active', 'the projection has not seen the pause');

select tests.as_role('mana_ai_runner');
create temp table claimed as select * from mana_ai.claim_runs('w1', 10, 600000);
reset role;
select results_eq($$ select mission_id from claimed $$, $$ values ('m-ok'::text) $$,
  'the claim folds first: a mission paused or deleted, or whose agent was paused, a moment before is not claimed');
select is((select count(*)::int from mana_ai_private.captured), 0, 'the claim folded the pending rows of the runs it judged');

-- load_run folds the mission's pending rows too
select tests.sync('u1', 'aiMissions', 'm-ok', 'update', '{"title": "renamed a moment ago"}', '{"title": "2024-01-01T00:29:30.000Z"}',
                  'ai', '2024-01-01 00:29:30Z', 'd', false);
select tests.as_role('mana_ai_runner');
select is(mana_ai.load_run((select run_id from claimed), (select lease_token from claimed)) -> 'mission' ->> 'title',
          'renamed a moment ago', 'load_run reads the mission with its pending rows folded');
reset role;

-- an iteration a device wrote a moment before complete_run is kept
select tests.sync('u1', 'aiMissions', 'm-ok', 'update',
                  '{"iterations": [{"id": "from-device", "source": "browser", "plan": []}]}', '{"iterations": "2024-01-01T00:29:40.000Z"}',
                  'ai', '2024-01-01 00:29:40Z', 'd', false);
select is((select count(*)::int from mana_ai_private.captured), 1, 'the device''s iteration waits in the queue');
select tests.as_role('mana_ai_runner');
select is(mana_ai.complete_run((select run_id from claimed), (select lease_token from claimed),
                               '{"id": "it-1", "plan": []}') ->> 'status', 'done', 'complete_run writes back');
reset role;
select is((select jsonb_agg(e ->> 'id') from pg_temp.runner_rows('u1', 'm-ok') r, jsonb_array_elements(r.data -> 'iterations') e),
          '["from-device", "it-1"]'::jsonb, 'the written array keeps the iteration the device wrote a moment before');
select is((select count(*)::int from mana_ai_private.captured), 0,
          'complete_run folded its own write-back row: nothing waits in the queue');
select is((select (fields -> 'iterations' ->> 1)::uuid from mana_ai_private.projections where record_id = 'm-ok'),
          (select id from pg_temp.runner_rows('u1', 'm-ok')), 'the projection points at the write-back row');
select is((select due_at from mana_ai_private.projections where record_id = 'm-ok'), '2024-01-01 01:30Z'::timestamptz,
          'and the mission is no longer due (next slot)');

-- a pause a moment before complete_run supersedes the run
select mana_ai_private.enqueue_due('2024-01-01 00:30Z');
update mana_ai.runs set status = 'queued' where mission_id = 'm-agent';
select tests.sync('u1', 'agents', 'a2', 'update', '{"state": "active"}', '{"state": "2024-01-01T00:29:50.000Z"}', 'ai', '2024-01-01 00:29:50Z');
select tests.as_role('mana_ai_runner');
create temp table claimed2 as select * from mana_ai.claim_runs('w1', 10, 600000);
reset role;
select tests.sync('u1', 'aiMissions', 'm-agent', 'update', '{"state": "paused"}', '{"state": "2024-01-01T00:29:55.000Z"}',
                  'ai', '2024-01-01 00:29:55Z', 'd', false);
select tests.as_role('mana_ai_runner');
select is(mana_ai.complete_run((select run_id from claimed2 where mission_id = 'm-agent'),
                               (select lease_token from claimed2 where mission_id = 'm-agent'), '{"id": "it-2", "plan": []}') ->> 'status',
          'superseded', 'a mission paused a moment before complete_run is not written to');
reset role;
select is_empty($$ select 1 from pg_temp.runner_rows('u1', 'm-agent') $$, 'and nothing was written for it');

select * from finish();
rollback;
