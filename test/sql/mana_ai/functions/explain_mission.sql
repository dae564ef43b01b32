-- mana_ai.explain_mission(): why a mission is or is not due, walking the same decisions as the
-- projection, due_missions, claim_candidates and the ledger. Missions and agents go in through the log
-- (tests.sync), so the verdicts come from what the trigger really folded.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(20);

select is_definer('mana_ai', 'explain_mission', array['text', 'text'], 'explain_mission is security definer');
select tests.freeze_time('2024-06-01 12:00Z');
select pg_temp.sync_agent('u1', 'a-arch', '{"state": "archived"}', '2024-06-01 10:00:00Z');
select pg_temp.sync_agent('u1', 'a-quota', '{"maxConcurrentMissions": 1}', '2024-06-01 10:00:01Z');
select pg_temp.sync_mission('u1', 'm-paused', '{"state": "paused", "nextRunAt": "2024-06-01T11:00:00.000Z"}', '2024-06-01 10:01:00Z');
select pg_temp.sync_mission('u1', 'm-arch', '{"agentId": "a-arch", "nextRunAt": "2024-06-01T11:00:00.000Z"}', '2024-06-01 10:01:01Z');
select pg_temp.sync_mission('u1', 'm-badcad', '{"cadence": {"kind": "daily", "atHour": 24, "atMinute": 0}, "nextRunAt": null}', '2024-06-01 10:01:02Z');
select pg_temp.sync_mission('u1', 'm-future', '{"nextRunAt": "2024-06-01T13:00:00.000Z"}', '2024-06-01 10:01:03Z');
select pg_temp.sync_mission('u1', 'm-due', '{"agentId": "a-quota", "nextRunAt": "2024-06-01T11:00:00.000Z"}', '2024-06-01 10:01:04Z');
select pg_temp.sync_mission('u1', 'm-blocked', '{"agentId": "a-quota", "nextRunAt": "2024-06-01T11:30:00.000Z"}', '2024-06-01 10:01:05Z');
select pg_temp.sync_mission('u1', 'm-ghost-agent', '{"agentId": "a-nowhere", "nextRunAt": "2024-06-01T11:00:00.000Z"}', '2024-06-01 10:01:06Z');
select pg_temp.sync_mission('u1', 'm-shared', '{"nextRunAt": "2024-06-01T13:00:00.000Z"}', '2024-06-01 10:01:07Z');
select pg_temp.sync_mission('u2', 'm-shared', '{"nextRunAt": "2024-06-01T13:00:00.000Z"}', '2024-06-01 10:01:08Z');
select pg_temp.sync_mission('u1', 'm-gone', '{"nextRunAt": "2024-06-01T11:00:00.000Z"}', '2024-06-01 10:01:09Z');
select tests.sync('u1', 'aiMissions', 'm-gone', 'delete', '{"deletedAt": "2024-06-01T10:02:00.000Z"}', '{}', 'ai', '2024-06-01 10:02Z');
-- an earlier slot of m-due that failed for good, and the current slot's run claimed by a listener
insert into mana_ai.runs (user_id, mission_id, slot, agent_id, became_due_at, status, attempts, error_class, last_error, finished_at)
values ('u1', 'm-due', '2024-05-31 11:00Z', 'a-quota', '2024-05-31 11:00Z', 'dead', 3, 'llm:timeout', 'mana-llm timeout', '2024-05-31 11:30Z');
update mana_ai.runs set status = 'running', attempts = 1, worker = 'w1', lease_token = gen_random_uuid(), lease_until = '2024-06-01 12:05Z'
 where mission_id = 'm-due' and status = 'queued';

create temp table x as
select m, mana_ai.explain_mission('u1', m) as e
  from unnest(array['m-paused', 'm-arch', 'm-badcad', 'm-future', 'm-due', 'm-blocked', 'm-ghost-agent', 'm-gone']) m;

select is((select e ->> 'verdict' from x where m = 'm-paused'), 'not-active', 'a paused mission is not active');
select results_eq($$ select e ->> 'cause', e #>> '{mission,state}', e ? 'summary' from x where m = 'm-paused' $$,
  $$ values ('state', 'paused', false) $$, 'the cause is its state, given as a fact, not as prose');
select results_eq($$ select e ->> 'verdict', e ->> 'gate', e #>> '{agent,state}' from x where m = 'm-arch' $$,
  $$ values ('agent-archived', 'skipped-archived', 'archived') $$, 'an archived agent gates its due mission');
select results_eq(
  $$ select e ->> 'verdict', e #>> '{mission,cadenceError}', e ->> 'cause', e -> 'notes' from x where m = 'm-badcad' $$,
  $$ values ('no-slot', 'daily cadence: atHour must be an integer 0-23, got 24', 'cadence-invalid', '["cadence-invalid"]'::jsonb) $$,
  'an invalid cadence without nextRunAt: no slot, and the cadence_error is shown');
select results_eq(
  $$ select e ->> 'verdict', e #>> '{slot,at}', (e #>> '{slot,dueInSeconds}')::numeric from x where m = 'm-future' $$,
  $$ values ('not-yet-due', '2024-06-01T13:00:00.000Z', 3600::numeric) $$,
  'a future slot is not due yet, with the time until it');
select results_eq(
  $$ select e ->> 'verdict', e ->> 'cause', e #>> '{slot,run,status}', e #>> '{slot,run,worker}', (e #>> '{slot,lateBySeconds}')::numeric from x where m = 'm-due' $$,
  $$ values ('due', 'running', 'running', 'w1', 3600::numeric) $$,
  'a due mission: the run of its slot is running on w1, an hour late');
select results_eq(
  $$ select r ->> 'status', r ->> 'errorClass', r ->> 'lastError' from x, jsonb_array_elements(e -> 'runs') r where m = 'm-due' $$,
  $$ values ('running', null, null), ('dead', 'llm:timeout', 'mana-llm timeout') $$,
  'the last runs come newest first, with their errors');
select results_eq(
  $$ select e ->> 'verdict', (e #>> '{slot,run,quotaBlocked}')::boolean, e ->> 'cause' from x where m = 'm-blocked' $$,
  $$ values ('due', true, 'quota-blocked') $$,
  'a queued run behind its agent''s full quota is reported as held back by the quota');
select results_eq(
  $$ select e ->> 'verdict', (e #>> '{agent,resolved}')::boolean, e -> 'notes' from x where m = 'm-ghost-agent' $$,
  $$ values ('due', false, '["agent-unresolved"]'::jsonb) $$,
  'an agentId naming no agent: the mission runs as the legacy principal, and a note says so');
select is((select e ->> 'verdict' from x where m = 'm-gone'), 'deleted', 'a soft-deleted mission is deleted');

select results_eq(
  $$ select e ->> 'verdict', e -> 'users' from (select mana_ai.explain_mission(null, 'm-shared') e) s $$,
  $$ values ('ambiguous', '["u1", "u2"]'::jsonb) $$,
  'without a user, an id two users share is ambiguous and lists both');
select is(mana_ai.explain_mission(null, 'm-future') ->> 'userId', 'u1', 'without a user, a unique id finds its user');
select is(mana_ai.explain_mission('u2', 'm-future') ->> 'verdict', 'not-found', 'another user''s mission is not found');
select is(mana_ai.explain_mission(null, 'nope') ->> 'verdict', 'not-found', 'an unknown id is not found');
select throws_ok($$ select mana_ai.explain_mission('u1', '') $$, 'MA101', null, 'a mission id is required');

select tests.freeze_time('2024-06-01 14:00Z');
select is(mana_ai.explain_mission('u1', 'm-future') ->> 'verdict', 'due', 'once the slot passes, the mission is due');

-- personas ---------------------------------------------------------------------------------------
select tests.as_role('mana_ai_runner');
select throws_ok($$ select mana_ai.explain_mission('u1', 'm-due') $$, '42501', null, 'the listener cannot call explain_mission');
reset role;
select tests.as_role('mana_ai_owner');
select is(mana_ai.explain_mission('u1', 'm-arch') ->> 'verdict', 'agent-archived', 'the owner can, under FORCE RLS');
reset role;
select ok(not pg_catalog.has_function_privilege('mana_ai_runner', 'mana_ai.explain_mission(text, text)', 'EXECUTE'),
  'explain_mission is not granted to mana_ai_runner');

select * from finish();
rollback;
