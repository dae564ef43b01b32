-- An agent's maxTokensPerDay as a budget: a finite JSON number >= 0, else NULL = no limit (absent,
-- null, negative, a string, a boolean, an object). One SQL expression without SET clause, so it is
-- inlined where it is used (due_missions).
-- Test: test/sql/mana_ai_private/functions/token_usage.sql
create or replace function mana_ai_private.token_budget(p_value jsonb)
  returns numeric
  language sql immutable parallel safe
as $$
  select case when jsonb_typeof(p_value) = 'number' and (p_value #>> '{}')::numeric >= 0
              then (p_value #>> '{}')::numeric end
$$;
comment on function mana_ai_private.token_budget(jsonb) is
  'maxTokensPerDay as a token budget: a JSON number >= 0, else NULL (no limit).';
