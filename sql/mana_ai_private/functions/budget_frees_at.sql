-- When an agent whose usage has reached its budget may be claimed again: the first instant at which
-- enough of its usage has left the 24-hour window for the rest to be below p_budget. Usage rows leave
-- the window in the order they were recorded, so that is 24 h after the row whose leaving brings the
-- remaining sum below the budget. NULL when there is no budget or the usage is below it already.
-- Runs that finish meanwhile add usage, so this is a lower bound: next_wakeup() asks again each time.
-- Test: test/sql/mana_ai_private/functions/token_usage.sql
create or replace function mana_ai_private.budget_frees_at(
  p_user_id text, p_agent_id text, p_budget numeric, p_now timestamptz)
  returns timestamptz
  language sql stable parallel safe
as $$
  select min(w.at) + interval '24 hours'
    from (select u.at,
                 sum(u.tokens) over () as total,
                 sum(u.tokens) over () - sum(u.tokens) over (order by u.at rows unbounded preceding) as left_after
            from mana_ai_private.agent_token_usage(p_user_id, p_agent_id, p_now - interval '24 hours') u) w
   where w.total >= p_budget
     and w.left_after < p_budget
$$;
comment on function mana_ai_private.budget_frees_at(text, text, numeric, timestamptz) is
  'First instant at which an agent over its token budget falls below it again (24 h window); NULL if not over.';
