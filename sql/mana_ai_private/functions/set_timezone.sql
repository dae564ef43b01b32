-- Stores MANA_AI_TIMEZONE (the zone of daily/weekly/cron slots, docs/scheduling.md §5.1). Called by migrate;
-- the trigger evaluates cron first-fire times inside the sync server's transactions, where no listener
-- configuration is visible, so the zone must live in the database. Rejects unknown zones.
-- Test: test/sql/mana_ai_private/functions/set_timezone.sql
create or replace function mana_ai_private.set_timezone(p_timezone text)
  returns text
  language plpgsql volatile strict
  set search_path = pg_catalog, pg_temp
as $$
begin
  if not exists (select from pg_catalog.pg_timezone_names where name = p_timezone) then
    raise exception using errcode = 'MA001', message = format('unknown time zone %L', p_timezone),
      hint = 'Use an IANA zone name such as Europe/Berlin.';
  end if;
  update mana_ai_private.settings set timezone = p_timezone;
  return p_timezone;
end
$$;
comment on function mana_ai_private.set_timezone(text) is
  E'Set the zone for daily/weekly/cron slots (MANA_AI_TIMEZONE).\n\nRaises MA001 for a zone PostgreSQL does not know.';
