-- mana_ai.load_run(): the run, its mission and agent — for the current lease holder only.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(8);

select is_definer('mana_ai', 'load_run', array['bigint', 'uuid'], 'load_run is security definer');
select function_privs_are('mana_ai', 'load_run', array['bigint', 'uuid'], 'mana_ai_runner', array['EXECUTE'],
  'the runtime role may execute it');

select tests.freeze_time('2024-01-01 00:30Z');
select pg_temp.sync_agent('u1', 'a1', '{"name": "Planner", "maxConcurrentMissions": 5, "systemPrompt": "enc:1:abc"}', '2024-01-01 00:00Z');
select pg_temp.sync_mission('u1', 'm-agent', '{"agentId": "a1", "nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:01Z');
select pg_temp.sync_mission('u1', 'm-legacy', '{"agentId": "a-missing", "nextRunAt": "2024-01-01T00:11:00.000Z"}', '2024-01-01 00:02Z');
select tests.as_role('mana_ai_runner');
create temp table c as select * from mana_ai.claim_runs('w1', 10, 60000);
create temp table l as select c.mission_id, mana_ai.load_run(c.run_id, c.lease_token) as v from c;
reset role;

select is((select v -> 'run' from l where mission_id = 'm-agent'),
  jsonb_build_object('runId', (select run_id from c where mission_id = 'm-agent'), 'userId', 'u1', 'missionId', 'm-agent',
                     'slot', '2024-01-01T00:10:00.000Z', 'attempt', 1, 'agentId', 'a1', 'worker', 'w1',
                     'leaseUntil', '2024-01-01T00:31:00.000Z', 'claimedAt', '2024-01-01T00:30:00.000Z',
                     'becameDueAt', '2024-01-01T00:30:00.000Z'),
  'run: ids, slot, attempt, agent, worker and lease in toISOString form');
select is((select v -> 'mission' from l where mission_id = 'm-agent'), mana_ai_private.record_json('u1', 'aiMissions', 'm-agent'),
  'mission: the current folded record');
select results_eq(
  $$ select v -> 'agent' ->> 'id', v -> 'agent' ->> 'systemPrompt', v -> 'agentResolved' from l where mission_id = 'm-agent' $$,
  $$ values ('a1'::text, 'enc:1:abc'::text, 'true'::jsonb) $$,
  'agent: the full agent record (ciphertext included, the listener decrypts), resolved');
select results_eq(
  $$ select v -> 'agent', v -> 'agentResolved', v -> 'run' -> 'agentId' from l where mission_id = 'm-legacy' $$,
  $$ values ('null'::jsonb, 'false'::jsonb, 'null'::jsonb) $$,
  'a missing agent: agent null, not resolved (legacy principal)');

select tests.as_role('mana_ai_runner');
select is((select mana_ai.load_run(run_id, gen_random_uuid()) from c where mission_id = 'm-agent'), null, 'a stale token gets NULL');
reset role;
update mana_ai.runs set status = 'done' where mission_id = 'm-agent';
select tests.as_role('mana_ai_runner');
select is((select mana_ai.load_run(run_id, lease_token) from c where mission_id = 'm-agent'), null,
  'a finished run cannot be loaded, even with its last token');
reset role;

select * from finish();
rollback;
