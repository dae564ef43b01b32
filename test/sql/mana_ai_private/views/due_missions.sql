-- mana_ai_private.due_missions: due slots with their resolved agent and gate (docs/scheduling.md §5.4, KI-11).
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(10);

select pg_temp.agent('u1', 'a-active');
select pg_temp.agent('u1', 'a-paused', 'paused', 2);
select pg_temp.agent('u1', 'a-archived', 'archived');
select pg_temp.agent('u1', 'a-deleted', 'paused', p_deleted => true);
select pg_temp.agent('u1', 'a-gone', 'archived', p_present => false);
select pg_temp.agent('u2', 'a-other', 'paused');
select pg_temp.mission('u1', 'm-legacy', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 'm-active', '2024-01-01 00:01Z', 'a-active');
select pg_temp.mission('u1', 'm-paused', '2024-01-01 00:02Z', 'a-paused');
select pg_temp.mission('u1', 'm-archived', '2024-01-01 00:03Z', 'a-archived');
select pg_temp.mission('u1', 'm-deleted-agent', '2024-01-01 00:04Z', 'a-deleted');
select pg_temp.mission('u1', 'm-tombstone-agent', '2024-01-01 00:05Z', 'a-gone');
select pg_temp.mission('u1', 'm-other-users-agent', '2024-01-01 00:06Z', 'a-other');
select pg_temp.mission('u1', 'm-missing-agent', '2024-01-01 00:07Z', 'a-nowhere');
select pg_temp.mission('u1', 'm-paused-mission', '2024-01-01 00:08Z', p_state => 'paused');
select pg_temp.mission('u1', 'm-deleted', '2024-01-01 00:09Z', p_deleted => true);
select pg_temp.mission('u1', 'm-no-slot', null);

select results_eq(
  $$ select mission_id from mana_ai_private.due_missions order by slot $$,
  $$ values ('m-legacy'), ('m-active'), ('m-paused'), ('m-archived'), ('m-deleted-agent'), ('m-tombstone-agent'),
            ('m-other-users-agent'), ('m-missing-agent') $$,
  'lists exactly the missions with a due slot (not paused, deleted or slot-less missions)');
select is((select slot from mana_ai_private.due_missions where mission_id = 'm-active'), '2024-01-01 00:01Z'::timestamptz,
  'slot is the projection''s due_at');
select results_eq(
  $$ select agent_id, agent_resolved, gate, max_concurrent from mana_ai_private.due_missions where mission_id = 'm-active' $$,
  $$ values ('a-active'::text, true, null::text, 1::numeric) $$,
  'an active agent resolves, ungated, with its quota');
select results_eq(
  $$ select agent_id, gate, max_concurrent from mana_ai_private.due_missions where mission_id = 'm-paused' $$,
  $$ values ('a-paused'::text, 'skipped-paused'::text, 2::numeric) $$,
  'a paused agent gates with skipped-paused');
select is((select gate from mana_ai_private.due_missions where mission_id = 'm-archived'), 'skipped-archived',
  'an archived agent gates with skipped-archived');
select results_eq(
  $$ select agent_id, agent_resolved, gate, max_concurrent from mana_ai_private.due_missions where mission_id = 'm-legacy' $$,
  $$ values (null::text, false, null::text, null::numeric) $$,
  'a mission without agentId is the legacy principal: no agent, no gate, no quota');
select results_eq(
  $$ select agent_resolved, gate from mana_ai_private.due_missions where mission_id = 'm-deleted-agent' $$,
  $$ values (false, null::text) $$,
  'a deleted agent does not resolve and does not gate (KI-11 legacy fallback)');
select results_eq(
  $$ select agent_resolved, gate from mana_ai_private.due_missions where mission_id = 'm-tombstone-agent' $$,
  $$ values (false, null::text) $$,
  'an agent that folded away (tombstone) does not resolve');
select results_eq(
  $$ select agent_resolved, gate from mana_ai_private.due_missions where mission_id = 'm-other-users-agent' $$,
  $$ values (false, null::text) $$,
  'another user''s agent with the same id never resolves');
select results_eq(
  $$ select agent_resolved from mana_ai_private.due_missions where mission_id = 'm-missing-agent' $$,
  $$ values (false) $$,
  'a missing agent does not resolve');

select * from finish();
rollback;
