-- Operator view: the missions that are due now or next, i.e. every mission with a due slot, oldest slot
-- first, with its agent gate, how late it is, and the run the ledger holds for that slot.
--   due_now / late_by / due_in: against the runner clock mana_ai_private.now();
--   gate: the agent gate of due_missions (skipped-archived, skipped-paused); gated missions are due but
--     never enqueued or claimed;
--   run_*: the ledger row of exactly this (user, mission, slot), any status; NULL = not enqueued yet
--     (tick() or the projection trigger enqueues due, ungated slots);
--   quota_blocked: that run is claimable but its agent's concurrency quota holds it back right now.
-- Built on mana_ai_private.due_missions and claim_candidates, so it shows exactly what tick() and
-- claim_runs() decide on.
-- Why security_invoker: see v_missions.sql (reads with the reader's rights; never a cross-user door
-- for mana_ai_runner, which is granted nothing here). Owned by mana_ai_owner.
-- Test: test/sql/mana_ai/views/v_due.sql
create or replace view mana_ai.v_due
  with (security_invoker = true)
as
with clock as materialized (
  select mana_ai_private.now() as now
)
select d.user_id,
       d.mission_id,
       m.state,
       d.slot,
       d.slot <= clock.now as due_now,
       case when d.slot <= clock.now then clock.now - d.slot end as late_by,
       case when d.slot > clock.now then d.slot - clock.now end as due_in,
       m.agent_id,
       d.agent_resolved,
       a.state as agent_state,
       d.gate,
       d.max_concurrent as agent_quota,
       r.run_id,
       r.status as run_status,
       r.attempts as run_attempts,
       r.retry_at as run_retry_at,
       r.worker as run_worker,
       r.lease_until as run_lease_until,
       coalesce(c.blocked, false) as quota_blocked
  from mana_ai_private.due_missions d
 cross join clock
  join mana_ai_private.projections m
    on m.user_id = d.user_id
   and m.table_name = 'aiMissions'
   and m.record_id = d.mission_id
  left join mana_ai_private.resolved_agents a
    on a.user_id = d.user_id
   and a.agent_id = d.agent_id
  left join mana_ai.runs r
    on r.user_id = d.user_id
   and r.mission_id = d.mission_id
   and r.slot = d.slot
  left join mana_ai_private.claim_candidates(clock.now) c
    on c.run_id = r.run_id
 order by d.slot, d.user_id, d.mission_id;

comment on view mana_ai.v_due is
  E'Missions due now or next (every mission with a due slot), oldest slot first: gate, lateness and the run of that slot.\n\n'
  'Read as the admin (security_invoker; not granted to mana_ai_runner). due_now and gate = NULL and no run_id: the next tick enqueues it.';
comment on column mana_ai.v_due.user_id is 'Owner of the mission.';
comment on column mana_ai.v_due.mission_id is 'The mission''s record id.';
comment on column mana_ai.v_due.state is 'The mission''s state (always active here: only active missions have a slot).';
comment on column mana_ai.v_due.slot is 'The due instant (nextRunAt, or a cron mission''s first fire time); the ledger key with user and mission.';
comment on column mana_ai.v_due.due_now is 'The slot has passed (runner clock).';
comment on column mana_ai.v_due.late_by is 'How long ago the slot passed (NULL when it lies ahead).';
comment on column mana_ai.v_due.due_in is 'How long until the slot (NULL when it has passed).';
comment on column mana_ai.v_due.agent_id is 'The mission''s agentId as written (may name a missing or deleted agent).';
comment on column mana_ai.v_due.agent_resolved is 'agentId names a present, non-deleted agent of the same user; false = legacy principal, ungated, no quota.';
comment on column mana_ai.v_due.agent_state is 'State of the resolved agent.';
comment on column mana_ai.v_due.gate is 'skipped-archived or skipped-paused: the agent blocks the mission; NULL = not gated.';
comment on column mana_ai.v_due.agent_quota is 'The agent''s maxConcurrentMissions (concurrently running plannings); NULL = no quota.';
comment on column mana_ai.v_due.run_id is 'The ledger run of this slot; NULL = not enqueued (yet).';
comment on column mana_ai.v_due.run_status is 'queued, running, failed (retry pending), done, superseded or dead.';
comment on column mana_ai.v_due.run_attempts is 'Attempts of that run so far.';
comment on column mana_ai.v_due.run_retry_at is 'When a failed run may be claimed again.';
comment on column mana_ai.v_due.run_worker is 'Listener that claimed the run last.';
comment on column mana_ai.v_due.run_lease_until is 'End of the current lease of a running run.';
comment on column mana_ai.v_due.quota_blocked is 'The run is claimable but its agent already runs maxConcurrentMissions plannings.';
