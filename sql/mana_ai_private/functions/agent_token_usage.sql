-- The LLM token usage that counts against one agent's budget since p_since: (at, tokens) rows. The one
-- place that says which rows count; tokens_used() and budget_frees_at() read only this: the runner's
-- own ledger (run_tokens) and the rows of the reference runner's later token_usage table adopted at a
-- takeover (reference_token_usage; README, "Taking over the reference runner's schema"), so a budget
-- spent by the reference runner shortly before the upgrade still counts. A SQL function without SET
-- clause, so it is inlined into its callers' queries (an index scan on each table).
-- Test: test/sql/mana_ai_private/functions/token_usage.sql
create or replace function mana_ai_private.agent_token_usage(p_user_id text, p_agent_id text, p_since timestamptz)
  returns table (at timestamptz, tokens bigint)
  language sql stable parallel safe
as $$
  select t.recorded_at, t.tokens
    from mana_ai_private.run_tokens t
   where t.user_id = p_user_id
     and t.agent_id = p_agent_id
     and t.recorded_at > p_since
  union all
  select r.ts, r.tokens_used::bigint
    from mana_ai_private.reference_token_usage r
   where r.user_id = p_user_id
     and r.agent_id = p_agent_id
     and r.ts > p_since
$$;
comment on function mana_ai_private.agent_token_usage(text, text, timestamptz) is
  'LLM token usage counted against an agent''s budget since p_since, as (at, tokens) rows.';
