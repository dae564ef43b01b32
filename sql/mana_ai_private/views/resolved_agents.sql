-- The agents a mission's agentId can resolve to: the present, non-deleted agent projections, keyed by
-- (user_id, agent_id), with their gate, quota and token budget (maxTokensPerDay as token_budget():
-- NULL = no limit). The one home of the resolution rule: due_missions,
-- v_missions and explain_mission join missions to this view on (user_id, agentId). A mission whose
-- agentId names no row here (missing, folded away or soft-deleted agent) runs as the legacy principal:
-- no gate, no quota (reference defects: README, "Agents").
-- Cheap: a filter on projections; a join by (user_id, agent_id) reads the primary key.
-- Test: test/sql/mana_ai_private/views/resolved_agents.sql
create or replace view mana_ai_private.resolved_agents as
select a.user_id,
       a.record_id as agent_id,
       a.state,
       a.name,
       a.max_concurrent,
       mana_ai_private.agent_gate(a.state) as gate,
       mana_ai_private.token_budget(a.vals -> 'maxTokensPerDay') as token_budget
  from mana_ai_private.projections a
 where a.table_name = 'agents'
   and a.present
   and not a.deleted;
comment on view mana_ai_private.resolved_agents is
  E'Agents a mission can resolve to (present, not deleted), with gate (skipped-archived, skipped-paused or NULL), quota and token budget.\n\n'
  'Join on (user_id, agent_id); no row = the legacy principal (no gate, no quota).';
