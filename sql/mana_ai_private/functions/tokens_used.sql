-- An agent's LLM tokens of the 24 hours before p_now (the budget window), summed over
-- agent_token_usage(). 0 when there are none.
-- Test: test/sql/mana_ai_private/functions/token_usage.sql
create or replace function mana_ai_private.tokens_used(p_user_id text, p_agent_id text, p_now timestamptz)
  returns bigint
  language sql stable parallel safe
as $$
  select coalesce(sum(u.tokens), 0)::bigint
    from mana_ai_private.agent_token_usage(p_user_id, p_agent_id, p_now - interval '24 hours') u
$$;
comment on function mana_ai_private.tokens_used(text, text, timestamptz) is
  'LLM tokens an agent used in the 24 hours before p_now (its budget window).';
