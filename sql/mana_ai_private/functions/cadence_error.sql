-- Why a mission cadence (docs/scheduling.md §1) is invalid, or NULL when it is valid. An invalid cadence
-- gets no next slot (next_slot returns NULL) and its reason goes to the quarantine row, so the
-- reasons are short and name the field: `daily cadence: atHour must be an integer 0-23, got 24`.
-- Rules, matching the browser's JavaScript: the cadence is a JSON object with a string `kind`;
-- `manual` needs nothing; `interval` needs `everyMinutes` a finite number > 0; `daily` integer
-- `atHour` 0-23 and `atMinute` 0-59; `weekly` integer `dayOfWeek` 0-6 and `atHour` 0-23; `cron` a
-- string `expression` that cron_error accepts. Unknown extra keys are ignored. Numbers are read as
-- JavaScript reads JSON: 5.0 is the integer 5, 1e400 is Infinity (not finite, out of every range),
-- 1e-400 is 0; a numeric string such as "5" is not a number.
-- Invariants: never raises (numbers are range-checked as numeric before any float8 cast, so huge
-- or tiny values cannot overflow); SQL NULL is invalid ('cadence is missing').
-- Test: test/sql/mana_ai_private/functions/cadence_error.sql
create or replace function mana_ai_private.cadence_error(p_cadence jsonb)
  returns text
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_kind text;
  v_problem text;
  v_field text;
  v_value jsonb;
  v_number numeric;
  v_float double precision;
  v_fields constant text[] := array['atHour', 'atMinute', 'dayOfWeek', 'atHour'];
  v_maxes constant int[] := array[23, 59, 6, 23];
  v_i int;
begin
  if p_cadence is null then
    return 'cadence is missing';
  end if;
  if jsonb_typeof(p_cadence) <> 'object' then
    return format('cadence must be a JSON object, got %s', jsonb_typeof(p_cadence));
  end if;
  if jsonb_typeof(p_cadence -> 'kind') is null or jsonb_typeof(p_cadence -> 'kind') = 'null' then
    return 'cadence kind is missing';
  end if;
  v_kind := p_cadence ->> 'kind';
  v_value := p_cadence -> 'kind';

  if jsonb_typeof(p_cadence -> 'kind') <> 'string' then
    v_problem := 'cadence kind must be a string';

  elsif v_kind = 'manual' then
    return null;

  elsif v_kind = 'interval' then
    v_value := p_cadence -> 'everyMinutes';
    if jsonb_typeof(v_value) = 'number' then
      v_number := v_value::text::numeric;
      -- JavaScript: above the largest double is Infinity, below half the smallest denormal is 0
      if v_number <= 1.7976931348623157e308 and v_number >= 2.5e-324 then
        return null;
      end if;
    end if;
    v_problem := 'interval cadence: everyMinutes must be a finite number > 0';

  elsif v_kind in ('daily', 'weekly') then
    for v_i in (case v_kind when 'daily' then 1 else 3 end)..(case v_kind when 'daily' then 2 else 4 end) loop
      v_field := v_fields[v_i];
      v_value := p_cadence -> v_field;
      v_float := null;
      if jsonb_typeof(v_value) = 'number' then
        v_number := v_value::text::numeric;
        -- outside ±1e15 nothing is in range; inside, round like JavaScript's JSON.parse does
        -- (23.00000000000000001 is 23) without risking a float8 overflow or underflow error
        v_float := case
          when abs(v_number) > 1e15 then null
          when abs(v_number) < 1e-300 then 0
          else v_number::double precision
        end;
      end if;
      if v_float is null or v_float <> trunc(v_float) or v_float < 0 or v_float > v_maxes[v_i] then
        v_problem := format('%s cadence: %s must be an integer 0-%s', v_kind, v_field, v_maxes[v_i]);
        exit;
      end if;
    end loop;
    if v_problem is null then
      return null;
    end if;

  elsif v_kind = 'cron' then
    v_value := p_cadence -> 'expression';
    if jsonb_typeof(v_value) = 'string' then
      return 'cron cadence: ' || mana_ai_private.cron_error(v_value #>> '{}');
    end if;
    v_problem := 'cron cadence: expression must be a string';

  else
    v_problem := 'unknown cadence kind';
  end if;

  -- "got <value>": long numbers (1e400 is stored with all its digits) in scientific notation
  return v_problem || ', got ' || case
    when v_value is null then 'nothing'
    when jsonb_typeof(v_value) = 'number' and length(v_value::text) > 20
      then btrim(to_char(v_value::text::numeric, '9.999EEEE'))
    when length(v_value::text) > 40 then left(v_value::text, 40) || '...'
    else v_value::text
  end;
end
$$;
comment on function mana_ai_private.cadence_error(jsonb) is
  E'Why a mission cadence (docs/scheduling.md §1) is invalid, or NULL when it is valid.\n\n'
  'Kinds manual, interval (everyMinutes finite > 0), daily (atHour 0-23, atMinute 0-59), weekly '
  '(dayOfWeek 0-6, atHour 0-23), cron (expression per cron_error). Numbers follow JavaScript: 5.0 is '
  'an integer, "5" is not a number, 1e400 is not finite. Unknown keys are ignored. Never raises.';
