-- mana_ai_private.resolved_agents: the agents a mission's agentId resolves to (present, not deleted,
-- per user), and that the views deciding about agents read it instead of repeating the join.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(4);

select pg_temp.agent('u1', 'a-active', p_max => 3);
select pg_temp.agent('u1', 'a-paused', 'paused', 2);
select pg_temp.agent('u1', 'a-archived', 'archived');
select pg_temp.agent('u1', 'a-deleted', 'paused', p_deleted => true);
select pg_temp.agent('u1', 'a-gone', 'archived', p_present => false);
select pg_temp.agent('u2', 'a-active', 'paused');

select results_eq(
  $$ select user_id, agent_id, state, max_concurrent, gate from mana_ai_private.resolved_agents order by 1, 2 $$,
  $$ values ('u1'::text, 'a-active'::text, 'active'::text, 3::numeric, null::text), ('u1', 'a-archived', 'archived', 1, 'skipped-archived'),
            ('u1', 'a-paused', 'paused', 2, 'skipped-paused'), ('u2', 'a-active', 'paused', 1, 'skipped-paused') $$,
  'present, non-deleted agents per user, with state, quota and gate; deleted and folded-away agents are absent');
select is((select count(*)::int from pg_views where schemaname in ('mana_ai', 'mana_ai_private')
            and viewname <> 'resolved_agents' and definition ~ 'table_name = ''agents'''
            and definition ~ 'NOT [a-z_]+\.deleted'), 0,
          'no other view resolves agents on its own (v_agent_load lists deleted agents too, on purpose)');
select ok((select bool_and(definition ~ 'resolved_agents') from pg_views
            where schemaname || '.' || viewname in ('mana_ai.v_missions', 'mana_ai_private.due_missions')),
          'due_missions and v_missions read resolved_agents');
select ok((select prosrc ~ 'mana_ai_private\.resolved_agents' from pg_proc
            where oid = 'mana_ai.explain_mission(text, text)'::regprocedure),
          'explain_mission reads resolved_agents');

select * from finish();
rollback;
