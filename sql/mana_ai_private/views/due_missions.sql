-- Missions that have a due slot (projections.due_at: present, not deleted, active, a parseable
-- nextRunAt or a cron first fire), with their agent and its gate. "Due now" is `slot <= now`; the view
-- itself has no clock so the enqueue, tick, claim and wake-up queries can share it.
--   agent_id / agent_resolved / gate: the mission's agentId resolved through resolved_agents; a
--     missing or deleted agent is the legacy principal, ungated. The concurrency quota is not a gate
--     of the mission but of the ledger (claim_candidates).
--   max_concurrent: the agent's maxConcurrentMissions (already defaulted by the projection), NULL for
--     the legacy principal (no quota).
--   token_budget: the agent's maxTokensPerDay as a budget (token_budget(): a JSON number >= 0), NULL =
--     no limit; the claim checks it (claim_candidates).
-- Cheap by construction: driven by the partial index projections_due_at_idx, agents by primary key
-- (resolved_agents is inlined).
-- Test: test/sql/mana_ai_private/views/due_missions.sql
create or replace view mana_ai_private.due_missions as
select m.user_id,
       m.record_id as mission_id,
       m.due_at as slot,
       a.agent_id,
       a.agent_id is not null as agent_resolved,
       a.gate,
       a.max_concurrent,
       a.token_budget
  from mana_ai_private.projections m
  left join mana_ai_private.resolved_agents a
    on a.user_id = m.user_id
   and a.agent_id = m.agent_id
 where m.table_name = 'aiMissions'
   and m.due_at is not null
   and m.present
   and not m.deleted;
comment on view mana_ai_private.due_missions is
  E'Missions with a due slot, their resolved agent and its gate (skipped-archived, skipped-paused or NULL).\n\nFilter with slot <= now for the missions due now.';
