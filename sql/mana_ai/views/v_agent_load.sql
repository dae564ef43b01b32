-- Operator view: the load of every agent against its concurrency quota (docs/scheduling.md §5.4), one row per
-- (user, agent): every present agent projection, plus a row with agent_id NULL per user whose open runs
-- belong to the legacy principal (no resolved agent: no gate, no quota).
--   running:         runs in status running with a live lease (what the quota counts, all listeners);
--   running_expired: running runs whose lease ended (holder presumed dead; re-claimed or swept);
--   queued, failed:  open runs waiting for a claim (failed = retry pending, attempts below the maximum);
--   blocked:         claimable runs the quota holds back right now (claim_candidates.blocked);
--   gated:           missions due now that the agent's state (archived/paused) keeps from running;
--   at_quota:        running >= quota.
-- Why security_invoker: see v_missions.sql. Owned by mana_ai_owner; not granted to mana_ai_runner.
-- Test: test/sql/mana_ai/views/v_agent_load.sql
create or replace view mana_ai.v_agent_load
  with (security_invoker = true)
as
with clock as materialized (
  select mana_ai_private.now() as now,
         (select s.max_attempts from mana_ai_private.settings s) as max_attempts
), keys as (
  select a.user_id, a.record_id as agent_id
    from mana_ai_private.projections a
   where a.table_name = 'agents'
     and a.present
  union
  select r.user_id, r.agent_id
    from mana_ai.runs r
   where r.status in ('queued', 'running', 'failed')
), runs as (
  select r.user_id, r.agent_id,
         count(*) filter (where r.status = 'running' and r.lease_until >= clock.now) as running,
         count(*) filter (where r.status = 'running' and r.lease_until < clock.now) as running_expired,
         count(*) filter (where r.status = 'queued') as queued,
         count(*) filter (where r.status = 'failed' and r.attempts < clock.max_attempts) as failed
    from mana_ai.runs r
   cross join clock
   where r.status in ('queued', 'running', 'failed')
   group by r.user_id, r.agent_id
), candidates as (
  select c.user_id, c.agent_id, count(*) filter (where c.blocked) as blocked
    from clock
   cross join mana_ai_private.claim_candidates(clock.now) c
   group by c.user_id, c.agent_id
), gated as (
  select d.user_id, d.agent_id, count(*) as gated
    from mana_ai_private.due_missions d
   cross join clock
   where d.slot <= clock.now
     and d.gate is not null
   group by d.user_id, d.agent_id
)
select k.user_id,
       k.agent_id,
       a.name,
       a.state,
       coalesce(a.deleted, false) as deleted,
       a.max_concurrent as quota,
       coalesce(r.running, 0) as running,
       coalesce(r.running_expired, 0) as running_expired,
       coalesce(r.queued, 0) as queued,
       coalesce(r.failed, 0) as failed,
       coalesce(c.blocked, 0) as blocked,
       coalesce(g.gated, 0) as gated,
       coalesce(r.running, 0) >= a.max_concurrent as at_quota
  from keys k
  left join mana_ai_private.projections a
    on a.user_id = k.user_id
   and a.table_name = 'agents'
   and a.record_id = k.agent_id
   and a.present
  left join runs r
    on r.user_id = k.user_id
   and r.agent_id is not distinct from k.agent_id
  left join candidates c
    on c.user_id = k.user_id
   and c.agent_id is not distinct from k.agent_id
  left join gated g
    on g.user_id = k.user_id
   and g.agent_id is not distinct from k.agent_id
 order by k.user_id, k.agent_id nulls first;

comment on view mana_ai.v_agent_load is
  E'Per agent: plannings running with a live lease against its quota, queued, failed (retry pending), quota-blocked and gated work.\n\n'
  'agent_id NULL = the legacy principal (missions without a resolved agent). Read as the admin (security_invoker; not granted to mana_ai_runner).';
comment on column mana_ai.v_agent_load.user_id is 'Owner of the agent.';
comment on column mana_ai.v_agent_load.agent_id is 'The agent''s record id; NULL = legacy principal (no gate, no quota).';
comment on column mana_ai.v_agent_load.name is 'The agent''s name.';
comment on column mana_ai.v_agent_load.state is 'active, paused or archived (paused/archived agents gate their missions).';
comment on column mana_ai.v_agent_load.deleted is 'deletedAt is set: the agent no longer resolves, its missions run as the legacy principal.';
comment on column mana_ai.v_agent_load.quota is 'maxConcurrentMissions: concurrently running plannings allowed (NULL = no quota).';
comment on column mana_ai.v_agent_load.running is 'Runs in status running with a live lease, across all listeners.';
comment on column mana_ai.v_agent_load.running_expired is 'Runs in status running whose lease expired (holder presumed dead).';
comment on column mana_ai.v_agent_load.queued is 'Runs waiting for their first claim.';
comment on column mana_ai.v_agent_load.failed is 'Failed runs with a retry pending (attempts below settings.max_attempts).';
comment on column mana_ai.v_agent_load.blocked is 'Claimable runs the quota holds back right now.';
comment on column mana_ai.v_agent_load.gated is 'Missions due now that the agent''s state keeps from running.';
comment on column mana_ai.v_agent_load.at_quota is 'running >= quota: no further run of this agent is claimed now.';
