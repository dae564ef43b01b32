-- The one clock of the runner. Every time-dependent function reads this instead of now(), so a test
-- can move time inside its own transaction with `set local mana_ai.now = '…'`. The override is honoured
-- only when settings.allow_test_clock is on (test databases), so a runtime role cannot time-travel.
-- PL/pgSQL so its query plan is cached: the SQL body (a sub-select) cannot be inlined, and a
-- non-inlined SQL function is re-planned on every call. Called once per statement by its callers.
-- Test: test/sql/mana_ai_private/functions/now.sql
create or replace function mana_ai_private.now()
  returns timestamptz
  language plpgsql stable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
begin
  if (select s.allow_test_clock from mana_ai_private.settings s) then
    return coalesce(nullif(current_setting('mana_ai.now', true), '')::timestamptz, now());
  end if;
  return now();
end
$$;
comment on function mana_ai_private.now() is
  E'Current instant for all runner logic.\n\nEqual to now(); in test databases (settings.allow_test_clock) the GUC mana_ai.now overrides it.';
