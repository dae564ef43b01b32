-- mana_ai.tick(): enqueue, supersede, sweep, gate counts, counters, tick_state, stats (docs/operations.md §4).
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(23);

select is_definer('mana_ai', 'tick', array[]::name[], 'tick is security definer');
select function_privs_are('mana_ai', 'tick', array[]::name[], 'mana_ai_runner', array['EXECUTE'], 'the runtime role may execute tick');

select tests.freeze_time('2024-01-01 00:30Z');
create temp table before as select ticks from mana_ai_private.tick_state;

-- nothing to do ------------------------------------------------------------------------------------------------
select tests.as_role('mana_ai_runner');
select is(mana_ai.tick(),
  '{"scannedAt": "2024-01-01T00:30:00.000Z", "dueMissionCount": 0, "plansProduced": 0, "plansWrittenBack": 0,
    "parseFailures": 0, "errors": [], "enqueued": 0, "superseded": 0, "dead": 0, "folded": 0,
    "gated": {"skipped-archived": 0, "skipped-paused": 0, "skipped-concurrency": 0, "skipped-budget": 0}}',
  'an empty tick returns the reference''s stats shape plus the ledger fields, all zero');
reset role;

-- due missions, gates and quota ---------------------------------------------------------------------------------
select pg_temp.agent('u1', 'a-paused', 'paused');
select pg_temp.agent('u1', 'a-archived', 'archived');
select pg_temp.agent('u1', 'a-full', 'active', 1);
select pg_temp.mission('u1', 'legacy', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 'paused', '2024-01-01 00:01Z', 'a-paused');
select pg_temp.mission('u1', 'archived', '2024-01-01 00:02Z', 'a-archived');
select pg_temp.mission('u1', 'full-1', '2024-01-01 00:03Z', 'a-full');
select pg_temp.mission('u1', 'full-2', '2024-01-01 00:04Z', 'a-full');
select pg_temp.mission('u1', 'future', '2024-01-01 00:31Z');

select tests.as_role('mana_ai_runner');
create temp table t1 as select mana_ai.tick() as s;
reset role;
select is((select s -> 'dueMissionCount' from t1), '5', 'dueMissionCount counts every due mission, gated ones included');
select is((select s -> 'enqueued' from t1), '3', 'the three ungated due missions are enqueued');
select is((select s -> 'gated' from t1), '{"skipped-archived": 1, "skipped-paused": 1, "skipped-concurrency": 1, "skipped-budget": 0}',
  'gate decisions of this tick: one archived, one paused, one over its agent''s quota (full-2 behind full-1)');
select results_eq($$ select mission_id, status from mana_ai.runs order by slot $$,
  $$ values ('legacy'::text, 'queued'::text), ('full-1', 'queued'), ('full-2', 'queued') $$, 'runs are queued; gated missions get none');
select results_eq($$ select name, value from mana_ai.read_counters() where name like 'agent_decisions:%' $$,
  $$ values ('agent_decisions:skipped-archived'::text, 1::bigint), ('agent_decisions:skipped-concurrency', 1), ('agent_decisions:skipped-paused', 1) $$,
  'the decisions are counted');
select is_empty($$ select * from mana_ai_private.counter_deltas $$, 'tick folds the deltas into the totals');
select results_eq($$ select ticks - (select ticks from before), last_tick_at, last_stats from mana_ai_private.tick_state $$,
  $$ select 2::bigint, '2024-01-01 00:30Z'::timestamptz, s from t1 $$, 'tick_state counts both ticks and keeps the last stats');

-- idempotent: a second tick enqueues nothing and counts the gates again ("per tick") --------------------------
select tests.as_role('mana_ai_runner');
create temp table t2 as select mana_ai.tick() as s;
reset role;
select is((select s -> 'enqueued' from t2), '0', 'a second tick enqueues nothing');
select is((select count(*)::int from mana_ai.runs), 3, 'and adds no run');
select is((select value from mana_ai.read_counters() where name = 'agent_decisions:skipped-paused'), 2::bigint,
  'gate counters grow per tick');

-- a running run with a live lease still blocks its agent ---------------------------------------------------------
select tests.as_role('mana_ai_runner');
create temp table c1 as select * from mana_ai.claim_runs('w1', 10, 60000);
select results_eq($$ select mission_id from c1 $$, $$ values ('legacy'::text), ('full-1') $$, 'claims follow the quota');
select is(mana_ai.tick() -> 'gated' -> 'skipped-concurrency', '1', 'full-2 is still counted as blocked by the running full-1');
reset role;

-- supersede: state change, deletion, slot change ----------------------------------------------------------------
select pg_temp.mission('u1', 's-state', '2024-01-01 00:05Z');
select pg_temp.mission('u1', 's-deleted', '2024-01-01 00:06Z');
select pg_temp.mission('u1', 's-moved', '2024-01-01 00:07Z');
select mana_ai_private.enqueue_due('2024-01-01 00:30Z');
update mana_ai.runs set status = 'failed', attempts = 1, retry_at = '2024-01-01 00:40Z' where mission_id = 's-moved';
select pg_temp.mission('u1', 's-state', '2024-01-01 00:05Z', p_state => 'done');
select pg_temp.mission('u1', 's-deleted', '2024-01-01 00:06Z', p_deleted => true);
select pg_temp.mission('u1', 's-moved', '2024-01-01 00:20Z');
select tests.as_role('mana_ai_runner');
create temp table t3 as select mana_ai.tick() as s;
reset role;
select is((select s -> 'superseded' from t3), '3', 'three open runs are superseded');
select results_eq($$ select mission_id, slot, status from mana_ai.runs where mission_id like 's-%' order by mission_id, slot $$,
  $$ values ('s-deleted'::text, '2024-01-01 00:06Z'::timestamptz, 'superseded'::text),
            ('s-moved', '2024-01-01 00:07Z', 'superseded'), ('s-moved', '2024-01-01 00:20Z', 'queued'),
            ('s-state', '2024-01-01 00:05Z', 'superseded') $$,
  'inactive, deleted and moved missions'' runs are superseded (a failed one too); the moved slot gets a new run');
select is((select s -> 'enqueued' from t3), '1', 'the new slot is enqueued in the same tick');
select is((select status from mana_ai.runs where mission_id = 'full-1'), 'running', 'a run with a live lease is left to its holder');

-- sweep: runs that can never be claimed again -------------------------------------------------------------------
delete from mana_ai.runs;
delete from mana_ai_private.projections;
select pg_temp.sync_mission('u1', 'x-expired', '{"nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:01Z');
select pg_temp.sync_mission('u1', 'x-young', '{"nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:02Z');
select tests.as_role('mana_ai_runner');
create temp table c2 as select * from mana_ai.claim_runs('w1', 10, 60000);
reset role;
update mana_ai.runs set attempts = 3, lease_until = '2024-01-01 00:29Z' where mission_id = 'x-expired';
update mana_ai.runs set attempts = 1, lease_until = '2024-01-01 00:29Z' where mission_id = 'x-young';
select tests.as_role('mana_ai_runner');
create temp table t4 as select mana_ai.tick() as s;
reset role;
select is((select s -> 'dead' from t4), '1', 'a running run whose lease expired on its last attempt is swept');
select results_eq(
  $$ select status, schedule_advanced, error_class, last_error from mana_ai.runs where mission_id = 'x-expired' $$,
  $$ values ('dead'::text, true, 'lease-expired'::text, 'lease expired on attempt 3 of 3'::text) $$,
  'dead, with the schedule advanced and the reason recorded');
select is((select actor ->> 'principalId' from pg_temp.runner_rows('u1', 'x-expired')), 'system:mission-runner',
  'through the schedule-only row');
select is((select status from mana_ai.runs where mission_id = 'x-young'), 'running', 'an expired run with attempts left stays claimable');

select * from finish();
rollback;
