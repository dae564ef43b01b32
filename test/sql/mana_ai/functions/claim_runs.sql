-- mana_ai.claim_runs(): ordering, limit, gates, per-agent quota, leases and fencing
-- (docs/scheduling.md §5.3–5.5). Two sessions racing are tested in node:test.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(36);

select is_definer('mana_ai', 'claim_runs', array['text', 'integer', 'integer'], 'claim_runs is security definer');
select function_privs_are('mana_ai', 'claim_runs', array['text', 'integer', 'integer'], 'mana_ai_runner', array['EXECUTE'],
  'the runtime role may execute claim_runs');
select function_privs_are('mana_ai', 'claim_runs', array['text', 'integer', 'integer'], 'public', array[]::text[],
  'PUBLIC may not');

-- ordering and limit ------------------------------------------------------------------------------------
select pg_temp.mission('u2', 'm-a', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 'm-b', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 'm-a', '2024-01-01 00:05Z');
select pg_temp.mission('u1', 'm-c', '2024-01-01 00:01Z');
select mana_ai_private.enqueue_due('2024-01-01 00:10Z');
select tests.freeze_time('2024-01-01 00:10Z');

select tests.as_role('mana_ai_runner');
create temp table c1 as select * from mana_ai.claim_runs('w1', 2, 60000);
create temp table c2 as select * from mana_ai.claim_runs('w2', 10, null);
select is_empty($$ select * from mana_ai.claim_runs('w3', 10, null) $$, 'claimed runs are not handed out again');
select throws_ok($$ select * from mana_ai.runs $$, '42501', null, 'the listener cannot read the ledger table directly');
select throws_ok($$ select * from mana_ai.claim_runs('', 1, null) $$, 'MA101', null, 'a worker name is required');
select throws_ok($$ select * from mana_ai.claim_runs('w', -1, null) $$, 'MA101', null, 'a negative limit is refused');
select is_empty($$ select * from mana_ai.claim_runs('w', 0, null) $$, 'limit 0 claims nothing');
reset role;

select results_eq($$ select user_id, mission_id from c1 $$, $$ values ('u1'::text, 'm-b'::text), ('u2', 'm-a') $$,
  'the limit takes the first runs in (slot, user_id, mission_id) order');
select results_eq($$ select user_id, mission_id from c2 $$, $$ values ('u1'::text, 'm-c'::text), ('u1', 'm-a') $$,
  'the next claim takes the rest, still in order');
select results_eq(
  $$ select attempt, lease_until, slot, became_due_at, agent_id from c1 where mission_id = 'm-b' $$,
  $$ values (1, '2024-01-01 00:11Z'::timestamptz, '2024-01-01 00:00Z'::timestamptz, '2024-01-01 00:10Z'::timestamptz, null::text) $$,
  'a claim returns attempt 1, lease_until = now + p_lease_ms, the slot, became_due_at and the agent');
select is((select lease_until from c2 where mission_id = 'm-c'), '2024-01-01 00:14Z'::timestamptz,
  'lease NULL → settings.default_lease_ms (240000)');
select results_eq(
  $$ select status, attempts, worker, claimed_at, lease_token from mana_ai.runs where run_id = (select run_id from c1 where mission_id = 'm-b') $$,
  $$ select 'running'::text, 1, 'w1'::text, '2024-01-01 00:10Z'::timestamptz, lease_token from c1 where mission_id = 'm-b' $$,
  'the run row is running, attempts 1, with worker, claimed_at and the returned token');
select is((select count(distinct lease_token)::int from (select lease_token from c1 union all select lease_token from c2) t), 4,
  'every claim gets its own token');

-- expired lease: reclaimed with a new token, attempts counted -------------------------------------------
select tests.freeze_time('2024-01-01 00:12Z');
select tests.as_role('mana_ai_runner');
create temp table c3 as select * from mana_ai.claim_runs('w4', 10, 60000);
reset role;
select results_eq($$ select user_id, mission_id, attempt from c3 $$, $$ values ('u1'::text, 'm-b'::text, 2), ('u2', 'm-a', 2) $$,
  'runs whose lease expired are claimable again, attempts + 1');
select isnt((select lease_token from c3 where mission_id = 'm-b'), (select lease_token from c1 where mission_id = 'm-b'),
  'a reclaim issues a new fencing token');
update mana_ai.runs set lease_until = '2024-01-01 00:11Z', attempts = 3 where mission_id = 'm-b';
select tests.as_role('mana_ai_runner');
select is_empty($$ select * from mana_ai.claim_runs('w5', 10, null) $$,
  'an expired run that used its last attempt is never claimed (tick() sweeps it)');
reset role;

-- failed runs: only after retry_at, only below max_attempts ----------------------------------------------
delete from mana_ai.runs; delete from mana_ai_private.projections;
select pg_temp.mission('u1', 'f-later', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 'f-now', '2024-01-01 00:01Z');
select pg_temp.mission('u1', 'f-max', '2024-01-01 00:02Z');
select mana_ai_private.enqueue_due('2024-01-01 00:10Z');
update mana_ai.runs set status = 'failed', attempts = 1, retry_at = '2024-01-01 00:20Z' where mission_id = 'f-later';
update mana_ai.runs set status = 'failed', attempts = 2, retry_at = '2024-01-01 00:12Z' where mission_id = 'f-now';
update mana_ai.runs set status = 'failed', attempts = 3, retry_at = '2024-01-01 00:00Z' where mission_id = 'f-max';
select tests.as_role('mana_ai_runner');
select results_eq($$ select mission_id, attempt from mana_ai.claim_runs('w', 10, null) $$, $$ values ('f-now'::text, 3) $$,
  'a failed run is claimable once its retry time has come and attempts < max');
reset role;
select is((select retry_at from mana_ai.runs where mission_id = 'f-now'), null, 'a claim clears retry_at');

-- runs whose mission is no longer due ------------------------------------------------------------------
delete from mana_ai.runs; delete from mana_ai_private.projections;
select pg_temp.mission('u1', 's-deleted', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 's-paused', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 's-moved', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 's-ok', '2024-01-01 00:00Z');
select mana_ai_private.enqueue_due('2024-01-01 00:10Z');
select pg_temp.mission('u1', 's-deleted', '2024-01-01 00:00Z', p_deleted => true);
select pg_temp.mission('u1', 's-paused', '2024-01-01 00:00Z', p_state => 'paused');
select pg_temp.mission('u1', 's-moved', '2024-01-01 00:05Z');
select tests.as_role('mana_ai_runner');
select results_eq($$ select mission_id, slot from mana_ai.claim_runs('w', 10, null) $$,
  $$ values ('s-ok'::text, '2024-01-01 00:00Z'::timestamptz) $$,
  'only the run whose mission is still due at its slot is claimed');
reset role;
select results_eq($$ select mission_id, status from mana_ai.runs where mission_id <> 's-ok' order by mission_id $$,
  $$ values ('s-deleted'::text, 'queued'::text), ('s-moved', 'queued'), ('s-paused', 'queued') $$,
  'the claim leaves them to tick() (it no longer scans every open run)');
select is(((mana_ai.tick()) ->> 'superseded')::int, 3, 'tick() marks the deleted, paused and moved missions'' runs superseded');

-- a wide backlog: the claim looks at a prefix and widens it only when it must ---------------------------
delete from mana_ai.runs; delete from mana_ai_private.projections;
select pg_temp.agent('u1', 'busy', 'active', 1);
select pg_temp.agent('u1', 'stopped', 'active');
select pg_temp.mission('u1', 'busy-' || i, '2024-01-01 00:00Z'::timestamptz + i * interval '1 second', 'busy')
  from generate_series(1, 150) i;
select pg_temp.mission('u1', 'stopped-' || i, '2024-01-01 00:03Z'::timestamptz + i * interval '1 second', 'stopped')
  from generate_series(1, 150) i;
select pg_temp.mission('u2', 'late-' || i, '2024-01-01 00:06Z'::timestamptz + i * interval '1 second')
  from generate_series(1, 3) i;
select mana_ai_private.enqueue_due('2024-01-01 00:10Z');
select pg_temp.agent('u1', 'stopped', 'paused');
select is((select count(*)::int from mana_ai_private.claim_candidates('2024-01-01 00:10Z') c
            where c.gate is null and not c.blocked), 4,
          '303 open runs, 4 claimable: one of the quota-1 agent, the three behind 150 gated runs');
select tests.as_role('mana_ai_runner');
select results_eq($$ select mission_id from mana_ai.claim_runs('w', 10, null) $$,
  $$ values ('busy-1'::text), ('late-1'), ('late-2'), ('late-3') $$,
  'they are claimed although 298 unclaimable runs come first (the prefix of 64 is widened)');
select is_empty($$ select * from mana_ai.claim_runs('w', 10, null) $$, 'and nothing more');
reset role;

-- gates: archived and paused agents ---------------------------------------------------------------------
delete from mana_ai.runs; delete from mana_ai_private.projections;
select pg_temp.agent('u1', 'a-paused', 'active');
select pg_temp.agent('u1', 'a-archived', 'active');
select pg_temp.mission('u1', 'g-paused', '2024-01-01 00:00Z', 'a-paused');
select pg_temp.mission('u1', 'g-archived', '2024-01-01 00:00Z', 'a-archived');
select mana_ai_private.enqueue_due('2024-01-01 00:10Z');
select pg_temp.agent('u1', 'a-paused', 'paused');
select pg_temp.agent('u1', 'a-archived', 'archived');
select tests.as_role('mana_ai_runner');
select is_empty($$ select * from mana_ai.claim_runs('w', 10, null) $$, 'runs of paused and archived agents are not claimed');
reset role;
select results_eq($$ select status from mana_ai.runs order by mission_id $$, $$ values ('queued'::text), ('queued') $$,
  'gated runs stay queued');
select pg_temp.agent('u1', 'a-paused', 'active');
select tests.as_role('mana_ai_runner');
select results_eq($$ select mission_id, agent_id from mana_ai.claim_runs('w', 10, null) $$,
  $$ values ('g-paused'::text, 'a-paused'::text) $$, 'after resuming the agent its run is claimed, with its agent id');
reset role;

-- quota per agent: running runs with a live lease, across listeners, before the limit ---------------------
delete from mana_ai.runs; delete from mana_ai_private.projections;
select pg_temp.agent('u1', 'q0', 'active', 0);
select pg_temp.agent('u1', 'q1', 'active', 1);
select pg_temp.agent('u1', 'q2', 'active', 2);
select pg_temp.agent('u2', 'q1', 'active', 1);
select pg_temp.mission('u1', 'q0-1', '2024-01-01 00:00Z', 'q0');
select pg_temp.mission('u1', 'q1-1', '2024-01-01 00:01Z', 'q1');
select pg_temp.mission('u1', 'q1-2', '2024-01-01 00:02Z', 'q1');
select pg_temp.mission('u1', 'q1-3', '2024-01-01 00:03Z', 'q1');
select pg_temp.mission('u1', 'q2-1', '2024-01-01 00:04Z', 'q2');
select pg_temp.mission('u1', 'q2-2', '2024-01-01 00:05Z', 'q2');
select pg_temp.mission('u1', 'q2-3', '2024-01-01 00:06Z', 'q2');
select pg_temp.mission('u2', 'u2-q1', '2024-01-01 00:07Z', 'q1');
select pg_temp.mission('u1', 'legacy-1', '2024-01-01 00:08Z');
select pg_temp.mission('u1', 'legacy-2', '2024-01-01 00:09Z');
select mana_ai_private.enqueue_due('2024-01-01 00:10Z');
select tests.as_role('mana_ai_runner');
select results_eq($$ select mission_id from mana_ai.claim_runs('w1', 4, 60000) $$,
  $$ values ('q1-1'::text), ('q2-1'), ('q2-2'), ('u2-q1') $$,
  'quota 0 blocks, quota 1 takes the oldest slot, quota 2 two; applied before the limit so other agents are not starved');
select results_eq($$ select mission_id from mana_ai.claim_runs('w2', 10, 60000) $$,
  $$ values ('legacy-1'::text), ('legacy-2') $$,
  'a second listener sees the live leases: the agents stay at their quota; the legacy principal has none');
select is_empty($$ select * from mana_ai.claim_runs('w3', 10, 60000) $$, 'nothing else is claimable while the leases live');
reset role;
-- one of q2's leases expires: that run is claimable again and no longer counts against the quota
update mana_ai.runs set lease_until = '2024-01-01 00:09Z' where mission_id = 'q2-1';
select tests.as_role('mana_ai_runner');
select results_eq($$ select mission_id, attempt from mana_ai.claim_runs('w3', 10, 60000) $$,
  $$ values ('q2-1'::text, 2) $$,
  'an expired lease frees its quota slot; the oldest candidate (the expired run itself) takes it');
reset role;
-- a run that finished frees the quota
update mana_ai.runs set status = 'done', lease_until = null where mission_id = 'q1-1';
select tests.as_role('mana_ai_runner');
select results_eq($$ select mission_id from mana_ai.claim_runs('w3', 10, 60000) $$,
  $$ values ('q1-2'::text) $$, 'when a run finishes the agent''s next slot is claimed');
reset role;
update mana_ai_private.projections set max_concurrent = 3 where user_id = 'u1' and record_id = 'q2';
select tests.as_role('mana_ai_runner');
select results_eq($$ select mission_id from mana_ai.claim_runs('w3', 10, 60000) $$,
  $$ values ('q2-3'::text) $$, 'raising the quota lets one more run in');
reset role;
select is((select count(*)::int from mana_ai.runs where status = 'queued'), 2, 'q0-1 and q1-3 wait in the queue');
select is((select status from mana_ai.runs where mission_id = 'q0-1'), 'queued', 'a quota-blocked run stays queued');

select * from finish();
rollback;
