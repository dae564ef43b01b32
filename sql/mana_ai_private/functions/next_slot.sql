-- The next `nextRunAt` the runner writes after a run (docs/scheduling.md §5.1), with the browser's rules
-- of §2 and `from` = the instant of the write-back, wall-clock kinds evaluated in zone p_tz
-- (MANA_AI_TIMEZONE):
--   manual, invalid (cadence_error not NULL)  -> NULL: the mission stops being due;
--   interval -> p_from + everyMinutes × 60 s, in JavaScript Date arithmetic: p_from truncated to
--               ms, float64 product, result truncated to ms; NULL beyond the JS Date range;
--   daily    -> the local date of p_from at atHour:atMinute:00; if that is <= p_from, the next
--               local date at that time;
--   weekly   -> the next local date (today included) with weekday dayOfWeek (0 = Sunday) at
--               atHour:00; if that is today and <= p_from, a week later;
--   cron     -> cron_next(expression, p_from, p_tz).
-- Local times go through local_to_instant (gap: skipped forward; overlap: earlier instant).
-- Deliberate difference from a JavaScript `setDate(getDate() + 1)`: when today's slot fell into a
-- DST gap and has passed, tomorrow's slot is tomorrow at the configured time (02:30), not at the
-- gap-shifted time (03:30) that Date would carry over; the brief asks for "tomorrow at that time".
-- Invariants: result > p_from except for interval cadences whose everyMinutes rounds to < 1 ms (JS
-- does the same); never raises for any cadence or from value (infinite or out-of-range from -> NULL);
-- an unknown zone raises 22023 for the wall-clock kinds only (see local_to_instant).
-- Test: test/sql/mana_ai_private/functions/next_slot.sql
create or replace function mana_ai_private.next_slot(p_cadence jsonb, p_from timestamptz, p_tz text)
  returns timestamptz
  language plpgsql stable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_minutes numeric;
  v_ms double precision;
  v_ms_int bigint;
  v_date date;
  v_time time;
  v_days int;
  v_slot timestamptz;
begin
  if p_from is null or not isfinite(p_from) or mana_ai_private.cadence_error(p_cadence) is not null then
    return null;
  end if;

  case p_cadence ->> 'kind'
    when 'interval' then
      v_minutes := (p_cadence ->> 'everyMinutes')::numeric;
      if v_minutes > 1e12 then
        return null;  -- over 1.9 million years: outside the JS Date range from any start
      end if;
      v_ms := trunc(floor(extract(epoch from p_from) * 1000)::double precision
                    + case when v_minutes < 1e-300 then 0 else v_minutes::double precision * 60000 end);
      if abs(v_ms) > 8.64e15 then
        return null;  -- JavaScript: Invalid Date
      end if;
      v_ms_int := v_ms::bigint;
      return timestamptz 'epoch' + div(v_ms_int, 1000) * interval '1 second'
                                 + mod(v_ms_int, 1000) * interval '1 millisecond';

    when 'daily', 'weekly' then
      if p_tz is null or p_from < timestamptz '0001-01-03 00:00Z' or p_from >= timestamptz '9990-01-01 00:00Z' then
        return null;
      end if;
      v_date := (p_from at time zone p_tz)::date;
      if p_cadence ->> 'kind' = 'daily' then
        v_time := make_time(round((p_cadence ->> 'atHour')::numeric)::int,
                            round((p_cadence ->> 'atMinute')::numeric)::int, 0);
        v_days := 0;
      else
        v_time := make_time(round((p_cadence ->> 'atHour')::numeric)::int, 0, 0);
        v_days := (round((p_cadence ->> 'dayOfWeek')::numeric)::int - extract(dow from v_date)::int + 7) % 7;
      end if;
      v_slot := mana_ai_private.local_to_instant(v_date + v_days + v_time, p_tz);
      if v_slot <= p_from then
        v_slot := mana_ai_private.local_to_instant(
          v_date + v_days + case p_cadence ->> 'kind' when 'daily' then 1 else 7 end + v_time, p_tz);
      end if;
      return v_slot;

    when 'cron' then
      return mana_ai_private.cron_next(p_cadence ->> 'expression', p_from, p_tz);

    else
      return null;  -- manual
  end case;
end
$$;
comment on function mana_ai_private.next_slot(jsonb, timestamptz, text) is
  E'The next nextRunAt after a run at p_from (docs/scheduling.md §5.1), wall-clock kinds in zone p_tz.\n\n'
  'manual and invalid cadences give NULL; interval adds everyMinutes like JavaScript Date (ms); daily '
  'and weekly take the next local slot after p_from, DST-resolved like Temporal "compatible"; cron '
  'uses cron_next. Never raises except for an unknown zone (22023).';
