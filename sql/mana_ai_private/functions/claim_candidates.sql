-- The runs a listener could claim at p_now, with the decision for each (docs/scheduling.md §5.3–5.4):
--   claimable: `queued`; `failed` whose retry time has come and attempts < settings.max_attempts;
--              `running` whose lease expired and attempts < max (its holder is presumed dead).
--   only if the mission is still due at exactly the run's slot (supersede_runs marks the others).
--   gate:      the agent's gate from due_missions (archived → paused); a gated run is not claimed.
--   blocked:   the agent's concurrency quota: the k-th candidate of an agent (oldest slot first) may be
--              claimed iff running_live + (k − 1) < max_concurrent, where running_live counts the
--              agent's runs in status running with a live lease across all listeners. Applied to all
--              candidates before any limit, so one busy agent never starves the others; a quota of 0
--              blocks everything; the legacy principal (no resolved agent) has no quota.
--   budget:    a candidate its quota admits, whose agent has a token budget (due_missions.token_budget)
--              that its usage of the last 24 h (tokens_used) has reached, gets gate 'skipped-budget'
--              (after archived → paused → concurrency) and is not claimed; it stays due. claim_runs calls
--              this under its advisory lock, so the usage it reads includes every outcome committed
--              before, and concurrent listeners overshoot by at most the runs already in flight.
-- STABLE and lock-free: claim_runs locks what it picks; tick() only counts the blocked ones.
-- settings.max_attempts is read as a scalar subquery (one InitPlan), not joined: the one-row settings
-- table is never analyzed (autovacuum needs 50 changes), so a join was estimated at ~570 rows, which
-- multiplied the plan cost over jit_above_cost and made every claim pay ~50 ms of JIT compilation
-- from about a thousand open runs on (test/chaos/08-many-listeners.test.ts).
-- p_lookahead: only the first p_lookahead open runs in claim order (slot, user_id, mission_id) are
-- considered (NULL = all). A run's decision depends only on the runs before it in that order (its rank
-- among its agent's candidates) and on the running runs, so it is the same in any prefix: claim_runs
-- looks at a short prefix first and widens it only when that prefix holds too few claimable runs,
-- instead of judging the whole backlog on every claim (bench B3: 8.5 ms per claim at ~1,000 open runs).
-- Test: test/sql/mana_ai_private/functions/claim_candidates.sql
create or replace function mana_ai_private.claim_candidates(p_now timestamptz, p_lookahead bigint)
  returns table (run_id bigint, user_id text, mission_id text, slot timestamptz, status text, attempts int,
                 agent_id text, agent_resolved boolean, gate text, blocked boolean)
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  with c as (
    select r.run_id, r.user_id, r.mission_id, r.slot, r.status, r.attempts,
           d.agent_id, d.agent_resolved, d.gate, d.max_concurrent, d.token_budget,
           case when d.gate is null then
             row_number() over (partition by r.user_id, d.agent_id, d.gate is null
                                order by r.slot, r.mission_id, r.run_id)
           end as rn
      from (select o.*
              from mana_ai.runs o
             where o.status in ('queued', 'running', 'failed')
             order by o.slot, o.user_id, o.mission_id
             limit p_lookahead) r
      cross join (select (select s.max_attempts from mana_ai_private.settings s) as max_attempts) s
      join mana_ai_private.due_missions d
        on d.user_id = r.user_id
       and d.mission_id = r.mission_id
       and d.slot = r.slot
     where r.status in ('queued', 'running', 'failed')
       and (r.status = 'queued'
            or (r.status = 'failed' and coalesce(r.retry_at, '-infinity') <= p_now and r.attempts < s.max_attempts)
            or (r.status = 'running' and r.lease_until < p_now and r.attempts < s.max_attempts))
  )
  select q.run_id, q.user_id, q.mission_id, q.slot, q.status, q.attempts,
         q.agent_id, q.agent_resolved,
         case when q.gate is null and not q.blocked and q.token_budget is not null
                   and mana_ai_private.tokens_used(q.user_id, q.agent_id, p_now) >= q.token_budget
              then 'skipped-budget' else q.gate end as gate,
         q.blocked
    from (select c.*,
                 c.gate is null and c.agent_id is not null
                   and (select count(*)
                          from mana_ai.runs x
                         where x.status = 'running'
                           and x.user_id = c.user_id
                           and x.agent_id = c.agent_id
                           and x.lease_until >= p_now) + (c.rn - 1) >= c.max_concurrent as blocked
            from c) q
$$;
revoke all on function mana_ai_private.claim_candidates(timestamptz, bigint) from public;
comment on function mana_ai_private.claim_candidates(timestamptz, bigint) is
  E'Claimable runs among the first p_lookahead open runs (oldest slot first; NULL = all), with agent, gate (skipped-archived, skipped-paused, skipped-budget) and quota decision.\n\nLock-free; claim_runs locks what it picks. The decisions are the same as over all open runs.';

create or replace function mana_ai_private.claim_candidates(p_now timestamptz)
  returns table (run_id bigint, user_id text, mission_id text, slot timestamptz, status text, attempts int,
                 agent_id text, agent_resolved boolean, gate text, blocked boolean)
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select * from mana_ai_private.claim_candidates(p_now, null)
$$;
revoke all on function mana_ai_private.claim_candidates(timestamptz) from public;
comment on function mana_ai_private.claim_candidates(timestamptz) is
  E'Claimable runs at an instant with their agent, gate and quota decision (blocked).\n\nLock-free; claim_runs locks what it picks.';
