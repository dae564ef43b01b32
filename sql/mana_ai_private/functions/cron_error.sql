-- Why a 5-field cron expression is invalid (e.g. `minute field: value 61 out of range 0-59`), or NULL
-- when it is valid. The grammar and the reasons live in cron_fields, the one parser; an invalid
-- expression makes the cadence invalid (cadence_error), so the reason ends up in the quarantine row.
-- Invariants: never raises; cron_next returns NULL exactly when this is not NULL or nothing fires
-- within its horizon.
-- Test: test/sql/mana_ai_private/functions/cron_error.sql
create or replace function mana_ai_private.cron_error(p_expression text)
  returns text
  language sql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
  select f.error from mana_ai_private.cron_fields(p_expression) f where f.error is not null
$$;
comment on function mana_ai_private.cron_error(text) is
  E'Why a 5-field cron expression is invalid, or NULL when it is valid (grammar: cron_fields).\n\n'
  'Supports *, values, a-b, lists, */n, a-b/n, a/n, JAN-DEC, SUN-SAT, day-of-week 7 = Sunday. '
  'Rejects 6 fields, @macros, ?/L/W/#. Never raises.';
