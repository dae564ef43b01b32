-- First fire time of a 5-field cron expression strictly after p_after, evaluated in the wall-clock
-- time of zone p_tz (cron cadences are evaluated server-side in MANA_AI_TIMEZONE). Grammar and
-- parsing: cron_fields; an invalid expression gives NULL, never an error.
-- Day rule as in Vixie cron: when both day-of-month and day-of-week are restricted (neither field
-- starts with `*`) a day matches if EITHER matches, otherwise both must (so `*/2` in one of them
-- still means AND). DST: each matching local time becomes an instant through local_to_instant, so a
-- fire time in a gap fires at the forward-skipped instant, and in an overlap only at the earlier
-- instant (the second 02:30 of a fall-back night never fires; `* * * * *` pauses for that hour).
-- Speed: the search walks the parsed sets month -> day -> hour -> minute, never minute by minute
-- (tens of µs for common expressions). Horizon: 8 years of local time, enough for `0 0 29 2 *` across
-- the 2100 non-leap year; nothing within it (`0 0 30 2 *`) -> NULL.
-- Why the loop around the set walk: resolved instants are not monotonic in local time near a
-- transition (a gap time maps an hour forward, onto later local times; an overlap maps back), so
-- the walk starts at p_after read with the smallest offset of the last day, skips candidates
-- <= p_after and, once one is found, keeps walking while a later local time could still map to an
-- earlier instant (only while an offset change lies within a day; otherwise it stops at once).
-- Invariants: result > p_after; result is local_to_instant of a matching local time, and the
-- smallest such; NULL for NULL/infinite inputs or p_after outside years 1..9989. An unknown zone
-- raises 22023 (see local_to_instant). Stable: reads the tz database.
-- Test: test/sql/mana_ai_private/functions/cron_next.sql
create or replace function mana_ai_private.cron_next(p_expression text, p_after timestamptz, p_tz text)
  returns timestamptz
  language plpgsql stable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  -- the parsed sets, indexed by value
  v_minute boolean[] := array_fill(false, array[60], array[0]);
  v_hour boolean[] := array_fill(false, array[24], array[0]);
  v_dom boolean[] := array_fill(false, array[31], array[1]);
  v_month boolean[] := array_fill(false, array[12], array[1]);
  v_dow boolean[] := array_fill(false, array[7], array[0]);
  v_day_or boolean := true;
  v_r record;
  v_i int;
  -- the walk, in local wall-clock time
  v_t timestamp;
  v_y int;
  v_mo int;
  v_d int;
  v_h int;
  v_mi int;
  v_dim int;
  v_dow1 int;
  v_y_end int;
  v_instant timestamptz;
  v_best timestamptz;
  v_limit timestamp;
begin
  if p_expression is null or p_after is null or p_tz is null
     or not isfinite(p_after)
     or p_after < timestamptz '0001-01-03 00:00Z' or p_after >= timestamptz '9990-01-01 00:00Z' then
    return null;
  end if;
  -- The parsed ranges as sets; an invalid expression is a single error row.
  for v_r in select * from mana_ai_private.cron_fields(p_expression) loop
    if v_r.error is not null then
      return null;
    end if;
    for v_i in v_r.lo..v_r.hi by v_r.step loop
      case v_r.field
        when 1 then v_minute[v_i] := true;
        when 2 then v_hour[v_i] := true;
        when 3 then v_dom[v_i] := true;
        when 4 then v_month[v_i] := true;
        else v_dow[v_i % 7] := true;  -- 7 is Sunday too
      end case;
    end loop;
    -- Vixie: OR of the two day fields only when neither starts with `*`
    if v_r.field in (3, 5) and v_r.starred then
      v_day_or := false;
    end if;
  end loop;

  -- Start at p_after read with the smaller of the offsets in force now and a day ago: no local time
  -- before that can resolve to an instant after p_after, even one in a gap just behind us.
  v_t := date_trunc('minute', (p_after at time zone 'UTC') + least(
           ((p_after - interval '1 day') at time zone p_tz) - ((p_after - interval '1 day') at time zone 'UTC'),
           (p_after at time zone p_tz) - (p_after at time zone 'UTC')));
  v_y_end := extract(year from v_t)::int + 8;

  loop
    -- Next matching local time >= v_t, or NULL past the horizon.
    v_y := extract(year from v_t)::int;
    v_mo := extract(month from v_t)::int;
    v_d := extract(day from v_t)::int;
    v_h := extract(hour from v_t)::int;
    v_mi := extract(minute from v_t)::int;
    v_t := null;
    loop
      exit when v_y > v_y_end;
      while v_mo <= 12 and not v_month[v_mo] loop
        v_mo := v_mo + 1; v_d := 1; v_h := 0; v_mi := 0;
      end loop;
      if v_mo > 12 then
        v_y := v_y + 1; v_mo := 1; v_d := 1; v_h := 0; v_mi := 0;
        continue;
      end if;
      v_dim := case
        when v_mo = 2 and (v_y % 4 = 0 and (v_y % 100 <> 0 or v_y % 400 = 0)) then 29
        when v_mo = 2 then 28
        when v_mo in (4, 6, 9, 11) then 30
        else 31
      end;
      v_dow1 := extract(dow from make_date(v_y, v_mo, 1))::int;
      while v_d <= v_dim and not (case
          when v_day_or then v_dom[v_d] or v_dow[(v_dow1 + v_d - 1) % 7]
          else v_dom[v_d] and v_dow[(v_dow1 + v_d - 1) % 7]
        end) loop
        v_d := v_d + 1; v_h := 0; v_mi := 0;
      end loop;
      if v_d > v_dim then
        v_mo := v_mo + 1; v_d := 1; v_h := 0; v_mi := 0;
        continue;
      end if;
      while v_h <= 23 and not v_hour[v_h] loop
        v_h := v_h + 1; v_mi := 0;
      end loop;
      if v_h > 23 then
        v_d := v_d + 1; v_h := 0; v_mi := 0;
        continue;
      end if;
      while v_mi <= 59 and not v_minute[v_mi] loop
        v_mi := v_mi + 1;
      end loop;
      if v_mi > 59 then
        v_h := v_h + 1; v_mi := 0;
        continue;
      end if;
      v_t := make_timestamp(v_y, v_mo, v_d, v_h, v_mi, 0);
      exit;
    end loop;

    exit when v_t is null or v_t >= v_limit;
    v_instant := mana_ai_private.local_to_instant(v_t, p_tz);
    if v_instant > p_after and (v_best is null or v_instant < v_best) then
      v_best := v_instant;
      -- A later local time T can still resolve below v_best only if T - offset < v_best for some
      -- offset in force within the day before v_best; usually that bound is the match itself.
      v_limit := (v_best at time zone 'UTC') + greatest(
        ((v_best - interval '1 day') at time zone p_tz) - ((v_best - interval '1 day') at time zone 'UTC'),
        (v_best at time zone p_tz) - (v_best at time zone 'UTC'));
    end if;
    v_t := v_t + interval '1 minute';
    exit when v_t >= v_limit;
  end loop;
  return v_best;
end
$$;
comment on function mana_ai_private.cron_next(text, timestamptz, text) is
  E'First fire time of a 5-field cron expression strictly after p_after, in zone p_tz.\n\n'
  'Vixie day rule (day-of-month OR day-of-week when both are restricted). DST like local_to_instant: '
  'gap times fire skipped forward, overlap times at the earlier instant. NULL for an invalid '
  'expression or when nothing fires within 8 years. Never raises except for an unknown zone (22023).';
