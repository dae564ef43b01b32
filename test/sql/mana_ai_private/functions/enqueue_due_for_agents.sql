-- mana_ai_private.enqueue_due_for_agents(): an agent change (resume, delete, quota) enqueues its missions.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(7);

select pg_temp.agent('u1', 'a1', 'paused');
select pg_temp.agent('u1', 'a2', 'paused');
select pg_temp.agent('u2', 'a1', 'paused');
select pg_temp.mission('u1', 'm1', '2024-01-01 00:00Z', 'a1');
select pg_temp.mission('u1', 'm2', '2024-01-01 00:01Z', 'a1');
select pg_temp.mission('u1', 'm-later', '2024-01-01 01:00Z', 'a1');
select pg_temp.mission('u1', 'm3', '2024-01-01 00:00Z', 'a2');
select pg_temp.mission('u2', 'm1', '2024-01-01 00:00Z', 'a1');

select is(mana_ai_private.enqueue_due_for_agents('2024-01-01 00:30Z', array['u1'], array['a1']), 0, 'a paused agent''s missions stay unqueued');
select pg_temp.agent('u1', 'a1', 'active');
select pg_temp.agent('u2', 'a1', 'active');
select is(mana_ai_private.enqueue_due_for_agents('2024-01-01 00:30Z', array['u1'], array['a1']), 2, 'resumed: its due missions are queued');
select results_eq($$ select user_id, mission_id, became_due_at from mana_ai.runs order by user_id, mission_id $$,
  $$ values ('u1'::text, 'm1'::text, '2024-01-01 00:30Z'::timestamptz), ('u1', 'm2', '2024-01-01 00:30Z') $$,
  'only that user''s agent, only due missions; became_due_at = the change');
select pg_temp.agent('u1', 'a2', 'paused', p_deleted => true);
select is(mana_ai_private.enqueue_due_for_agents('2024-01-01 00:30Z', array['u1'], array['a2']), 1,
  'a deleted agent''s missions fall back to the legacy principal and are queued (KI-11)');
select is((select agent_id from mana_ai.runs where mission_id = 'm3'), null, 'without an agent');
select is(mana_ai_private.enqueue_due_for_agents('2024-01-01 00:30Z', null, null), 0, 'no agents: nothing to do');
select throws_ok($$ select mana_ai_private.enqueue_due_for_agents('2024-01-01 00:30Z', array['u1', 'u2'], array['a1']) $$,
  'MA101', null, 'key arrays of different lengths are refused');

select * from finish();
rollback;
