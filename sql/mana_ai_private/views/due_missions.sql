-- Missions that have a due slot (projections.due_at: present, not deleted, active, a parseable
-- nextRunAt or a cron first fire), with their agent and its gate. "Due now" is `slot <= now`; the view
-- itself has no clock so the enqueue, tick, claim and wake-up queries can share it.
--   agent_id / agent_resolved: the mission's agentId resolved to a present, non-deleted agent of the
--     same user; a missing or deleted agent is the legacy principal, ungated (KI-11, docs/scheduling.md §4).
--   gate: 'skipped-archived' | 'skipped-paused' | NULL, in that order (docs/scheduling.md §5.4). The
--     concurrency quota is not a gate of the mission but of the ledger (claim_candidates).
--   max_concurrent: the agent's maxConcurrentMissions (already defaulted by the projection), NULL for
--     the legacy principal (no quota).
-- Cheap by construction: driven by the partial index projections_due_at_idx, agents by primary key.
-- Test: test/sql/mana_ai_private/views/due_missions.sql
create or replace view mana_ai_private.due_missions as
select m.user_id,
       m.record_id as mission_id,
       m.due_at as slot,
       a.record_id as agent_id,
       a.record_id is not null as agent_resolved,
       mana_ai_private.agent_gate(a.state) as gate,
       a.max_concurrent
  from mana_ai_private.projections m
  left join mana_ai_private.projections a
    on a.user_id = m.user_id
   and a.table_name = 'agents'
   and a.record_id = m.agent_id
   and a.present
   and not a.deleted
 where m.table_name = 'aiMissions'
   and m.due_at is not null
   and m.present
   and not m.deleted;
comment on view mana_ai_private.due_missions is
  E'Missions with a due slot, their resolved agent and its gate (skipped-archived, skipped-paused or NULL).\n\nFilter with slot <= now for the missions due now.';
