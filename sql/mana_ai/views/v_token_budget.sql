-- Operator view: every agent's LLM token usage of the last 24 hours beside its budget (maxTokensPerDay,
-- a rolling 24-hour window), one row per present agent projection plus a row per (user, agent id) that
-- has usage in the window but no present agent. The legacy principal (runs without a resolved agent)
-- has no budget and no row.
--   budget:      maxTokensPerDay as the claim reads it (a JSON number >= 0), NULL = no limit;
--   used_24h:    tokens_used(), the sum the claim compares with the budget;
--   remaining:   budget − used_24h, at least 0 (NULL without a budget);
--   over_budget: used_24h >= budget: the agent's due missions are not claimed (skipped-budget);
--   frees_at:    when enough usage leaves the window for the agent to be claimed again (budget_frees_at);
--   waiting:     runs of the agent's missions that the budget holds back right now.
-- Why security_invoker: see v_missions.sql. Owned by mana_ai_owner; not granted to mana_ai_runner.
-- Test: test/sql/mana_ai/views/v_token_budget.sql
create or replace view mana_ai.v_token_budget
  with (security_invoker = true)
as
with clock as materialized (
  select mana_ai_private.now() as now
), keys as (
  select a.user_id, a.record_id as agent_id
    from mana_ai_private.projections a
   where a.table_name = 'agents'
     and a.present
  union
  select t.user_id, t.agent_id
    from mana_ai_private.run_tokens t
   cross join clock
   where t.recorded_at > clock.now - interval '24 hours'
     and t.agent_id is not null
), waiting as (
  select c.user_id, c.agent_id, count(*) as waiting
    from clock
   cross join mana_ai_private.claim_candidates(clock.now) c
   where c.gate = 'skipped-budget'
   group by c.user_id, c.agent_id
)
select k.user_id,
       k.agent_id,
       a.name,
       a.state,
       coalesce(a.deleted, false) as deleted,
       b.budget,
       u.used_24h,
       case when b.budget is not null then greatest(b.budget - u.used_24h, 0) end as remaining,
       u.used_24h >= b.budget as over_budget,
       mana_ai_private.budget_frees_at(k.user_id, k.agent_id, b.budget, clock.now) as frees_at,
       coalesce(w.waiting, 0) as waiting
  from keys k
 cross join clock
  left join mana_ai_private.projections a
    on a.user_id = k.user_id
   and a.table_name = 'agents'
   and a.record_id = k.agent_id
   and a.present
  -- the budget of a resolvable agent (present, not deleted): resolved_agents, the one home of that rule
  left join (select r.user_id, r.agent_id, r.token_budget as budget from mana_ai_private.resolved_agents r) b
    on b.user_id = k.user_id
   and b.agent_id = k.agent_id
 cross join lateral (
   select mana_ai_private.tokens_used(k.user_id, k.agent_id, clock.now) as used_24h) u
  left join waiting w
    on w.user_id = k.user_id
   and w.agent_id = k.agent_id
 order by k.user_id, k.agent_id;

comment on view mana_ai.v_token_budget is
  E'Per agent: LLM tokens used in the last 24 h beside maxTokensPerDay, remaining, over budget, when the window frees, runs waiting.\n\n'
  'The legacy principal has no budget and no row. Read as the admin (security_invoker; not granted to mana_ai_runner).';
comment on column mana_ai.v_token_budget.user_id is 'Owner of the agent.';
comment on column mana_ai.v_token_budget.agent_id is 'The agent''s record id.';
comment on column mana_ai.v_token_budget.name is 'The agent''s name.';
comment on column mana_ai.v_token_budget.state is 'active, paused or archived.';
comment on column mana_ai.v_token_budget.deleted is 'deletedAt is set: the agent no longer resolves (no budget).';
comment on column mana_ai.v_token_budget.budget is 'maxTokensPerDay as enforced: a JSON number >= 0; NULL = no limit (absent, negative or not a number).';
comment on column mana_ai.v_token_budget.used_24h is 'LLM tokens (usage.total_tokens) recorded for the agent''s runs in the last 24 hours.';
comment on column mana_ai.v_token_budget.remaining is 'budget - used_24h, at least 0; NULL without a budget.';
comment on column mana_ai.v_token_budget.over_budget is 'used_24h >= budget: the agent''s due missions wait (skipped-budget); NULL without a budget.';
comment on column mana_ai.v_token_budget.frees_at is 'When enough usage leaves the 24-hour window for the agent to run again; NULL when not over budget.';
comment on column mana_ai.v_token_budget.waiting is 'Claimable runs of the agent held back by the budget right now.';
