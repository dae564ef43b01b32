-- mana_ai.read_status(): the operator's overview (missions due, runs by status, agents, quarantine, tick).
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(12);

select is_definer('mana_ai', 'read_status', array[]::text[], 'read_status is security definer');
delete from mana_ai_private.quarantine;
select tests.freeze_time('2024-01-02 12:00Z');
select pg_temp.agent('u1', 'a1', 'active', 1);
select pg_temp.agent('u1', 'a-paused', 'paused');
select pg_temp.mission('u1', 'm1', '2024-01-02 11:00Z', 'a1');
select pg_temp.mission('u1', 'm2', '2024-01-02 11:10Z', 'a1');
select pg_temp.mission('u1', 'm-gated', '2024-01-02 11:20Z', 'a-paused');
select pg_temp.mission('u2', 'm-next', '2024-01-02 15:00Z');
select pg_temp.mission('u2', 'm-later', '2024-01-03 15:00Z');
select pg_temp.mission('u2', 'm-off', null, p_state => 'paused');
select mana_ai_private.enqueue_due('2024-01-02 12:00Z');
update mana_ai.runs set status = 'running', attempts = 1, worker = 'w1', lease_token = gen_random_uuid(),
       lease_until = '2024-01-02 12:05Z' where mission_id = 'm1';
insert into mana_ai.runs (user_id, mission_id, slot, became_due_at, status, attempts, finished_at, lease_token, lease_until, retry_at) values
  ('u2', 'x-dead-new', '2024-01-02 01:00Z', '2024-01-02 01:00Z', 'dead', 3, '2024-01-02 02:00Z', null, null, null),
  ('u2', 'x-dead-old', '2023-12-01 01:00Z', '2023-12-01 01:00Z', 'dead', 3, '2023-12-01 02:00Z', null, null, null),
  ('u2', 'x-done', '2024-01-02 03:00Z', '2024-01-02 03:00Z', 'done', 1, '2024-01-02 03:01Z', null, null, null),
  ('u2', 'x-failed', '2024-01-02 04:00Z', '2024-01-02 04:00Z', 'failed', 1, null, null, null, '2024-01-02 12:30Z'),
  ('u2', 'x-expired', '2024-01-02 05:00Z', '2024-01-02 05:00Z', 'running', 1, null, gen_random_uuid(), '2024-01-02 11:00Z', null);
insert into mana_ai_private.quarantine (change_id, user_id, app_id, table_name, record_id, reason, applied, quarantined_at) values
  (gen_random_uuid(), 'u1', 'ai', 'aiMissions', 'm1', 'r1', true, '2024-01-02 11:00Z'),
  (gen_random_uuid(), 'u1', 'ai', 'aiMissions', 'm1', 'r2', false, '2023-12-30 11:00Z');
update mana_ai_private.tick_state set ticks = 7, last_tick_at = '2024-01-02 11:59:30Z', last_stats = '{"enqueued": 0}';

create temp table s as select mana_ai.read_status() as s;
select is((select s -> 'missions' from s),
  '{"projected": 6, "dueNow": 2, "gatedNow": 1, "nextDueAt": "2024-01-02T15:00:00.000Z", "oldestDueAt": "2024-01-02T11:00:00.000Z"}',
  'missions: projected (live, any state), due now (ungated), gated now, next and oldest due slot');
select is((select s -> 'runs' from s),
  '{"queued": 1, "running": 2, "runningLive": 1, "runningExpired": 1, "failed": 1, "failedRetryPending": 1,
    "dead": 2, "dead24h": 1, "done24h": 1, "superseded24h": 0}',
  'runs: open runs by status, dead runs in the ledger and of the last 24 hours');
select is((select jsonb_path_query_array(s -> 'agents', '$[*].agentId') from s), '["a-paused", "a1", null]',
  'agents: every agent or legacy principal with load, in user/agent order');
select is((select a from s, jsonb_array_elements(s -> 'agents') a where a ->> 'agentId' = 'a1'),
  '{"userId": "u1", "agentId": "a1", "name": "Agent a1", "state": "active", "quota": 1, "running": 1, "runningExpired": 0,
    "queued": 1, "failed": 0, "blocked": 1, "gated": 0, "atQuota": true}',
  'a1: one running at a quota of 1, its queued run blocked');
select is((select s -> 'quarantine' from s), '{"total": 2, "last24h": 1, "skipped": 1}', 'quarantine: total, last 24 h, skipped');
select is((select s -> 'capture' from s), '{"rows": 0, "oldestCapturedAt": null, "oldestAgeSeconds": 0}', 'capture: nothing waiting');
insert into mana_ai_private.captured (change_id, user_id, record_hash, captured_at) values (gen_random_uuid(), 'u1', 1, '2024-01-02 11:58:00Z');
select is(mana_ai.read_status() -> 'capture', '{"rows": 1, "oldestCapturedAt": "2024-01-02T11:58:00.000Z", "oldestAgeSeconds": 120.000}',
  'capture: rows waiting to be folded and the age of the oldest');
select is((select (s -> 'tick') - 'lastStats'::text from s), '{"ticks": 7, "lastTickAt": "2024-01-02T11:59:30.000Z", "ageSeconds": 30.000}',
  'tick: count, last tick and its age');
select is((select (s ->> 'pgCron')::boolean from s), exists (select from pg_extension where extname = 'pg_cron'),
  'pgCron says whether the extension exists here');

select tests.as_role('mana_ai_runner');
select throws_ok($$ select mana_ai.read_status() $$, '42501', null, 'the listener cannot call read_status');
reset role;
select ok(not pg_catalog.has_function_privilege('mana_ai_runner', 'mana_ai.read_status()', 'EXECUTE'),
  'read_status is not granted to mana_ai_runner');

select * from finish();
rollback;
