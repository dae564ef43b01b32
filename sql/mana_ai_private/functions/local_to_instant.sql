-- Wall-clock time in an IANA zone -> instant, resolved like JavaScript Temporal's "compatible"
-- disambiguation (what `Date#setHours` does), because docs/scheduling.md §5.1 requires the server to
-- land on the same instant a browser would:
--   * gap (spring forward): the local time is read with the offset in force BEFORE the transition,
--     i.e. skipped forward by the gap (Berlin 2024-03-31 02:30 -> 03:30 CEST = 01:30Z);
--   * overlap (fall back): the EARLIER of the two instants (Berlin 2024-10-27 02:30 -> 00:30Z).
-- PostgreSQL's `ts at time zone tz` already skips forward in gaps but takes the LATER instant in
-- overlaps, so only the overlap is corrected: the offset in force a day before PostgreSQL's answer
-- gives the other candidate, kept when it is earlier and renders back to the same local time.
-- Invariants: the result renders back to p_local unless p_local is in a gap; assumes at most one
-- transition per day (true for every zone in tzdata since 1970). Stable, not immutable: it reads
-- the tz database. An unknown zone raises 22023 (PostgreSQL's own error); no exception block, as
-- that would make the function parallel-unsafe. Callers take the zone from settings, which
-- set_timezone validates (MA001).
-- Test: test/sql/mana_ai_private/functions/local_to_instant.sql
create or replace function mana_ai_private.local_to_instant(p_local timestamp, p_tz text)
  returns timestamptz
  language plpgsql stable strict parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_later timestamptz := p_local at time zone p_tz;
  v_day_before timestamptz := v_later - interval '1 day';
  v_earlier timestamptz;
begin
  -- Candidate read with the offset in force a day earlier (identical to v_later almost always).
  v_earlier := (p_local - ((v_day_before at time zone p_tz) - (v_day_before at time zone 'UTC')))
               at time zone 'UTC';
  if v_earlier < v_later and (v_earlier at time zone p_tz) = p_local then
    return v_earlier;
  end if;
  return v_later;
end
$$;
comment on function mana_ai_private.local_to_instant(timestamp, text) is
  E'Instant of wall-clock time p_local in zone p_tz, Temporal "compatible" style.\n\n'
  'A time in a DST gap is skipped forward by the gap; a time that occurs twice (fall back) takes the '
  'earlier instant. Raises 22023 for an unknown zone.';
