-- Validates a standard 5-field cron expression (docs/scheduling.md §5.1): NULL when valid, else a short
-- reason naming the field, e.g. `minute field: value 61 out of range 0-59`. An invalid expression
-- makes the cadence invalid (cadence_error), so the reason ends up in the quarantine row.
-- Accepted, per field (minute 0-59, hour 0-23, day-of-month 1-31, month 1-12, day-of-week 0-7 with
-- 0 and 7 = Sunday): `*`, values, ranges `a-b` (a <= b), lists `a,b`, steps `*/n`, `a-b/n` and
-- `a/n` (= a-max/n, as cronie and cron-parser read it), n >= 1; month names JAN-DEC and day names
-- SUN-SAT (case-insensitive, also inside ranges); fields separated by any whitespace.
-- Rejected, with a reason: 6 or 7 fields (seconds/years), `@daily`-style macros (the cron cadence is
-- defined as 5 fields and each macro has a 5-field spelling, so one grammar is kept), Quartz/extended
-- syntax (`?`, `L`, `W`, `#`), backwards ranges (`5-1`), step 0, empty list items.
-- Invariants: never raises (validated by regex and length checks, no cast that can fail); cron_next
-- returns NULL exactly when this is not NULL or nothing fires within its horizon.
-- Test: test/sql/mana_ai_private/functions/cron_error.sql
create or replace function mana_ai_private.cron_error(p_expression text)
  returns text
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_field_names constant text[] := array['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
  v_lo constant int[] := array[0, 0, 1, 1, 0];
  v_hi constant int[] := array[59, 23, 31, 12, 7];
  v_months constant text[] := array['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN',
                                    'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  v_days constant text[] := array['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
  v_trimmed text;
  v_fields text[];
  v_k int;
  v_i int;
  v_prefix text;
  v_item text;
  v_m text[];
  v_tok text;
  v_val int;
  v_a int;
  v_b int;
begin
  if p_expression is null then
    return 'expression is missing';
  end if;
  if length(p_expression) > 1000 then
    return 'expression is too long (more than 1000 characters)';
  end if;
  v_trimmed := btrim(p_expression, E' \t\r\n\f\v');
  if v_trimmed = '' then
    return 'expression is empty';
  end if;
  v_fields := regexp_split_to_array(v_trimmed, '\s+');
  if left(v_fields[1], 1) = '@' then
    return format('macro %s is not supported: use 5 fields (minute hour day-of-month month day-of-week)',
                  left(v_fields[1], 40));
  end if;
  if cardinality(v_fields) <> 5 then
    return format('expected 5 fields (minute hour day-of-month month day-of-week), got %s%s',
                  cardinality(v_fields),
                  case when cardinality(v_fields) > 5 then ': seconds and year fields are not supported' else '' end);
  end if;

  for v_k in 1..5 loop
    v_prefix := v_field_names[v_k] || ' field: ';
    foreach v_item in array string_to_array(v_fields[v_k], ',') loop
      if v_item = '' then
        return v_prefix || format('empty list item in %s', left(v_fields[v_k], 40));
      end if;
      -- (*) | (a)(-b)?  followed by an optional (/n)
      v_m := regexp_match(v_item, '^(?:(\*)|([^-/*]+)(?:-([^-/*]+))?)(?:/([^/]*))?$');
      if v_m is null then
        return v_prefix || format('cannot parse %s', left(v_item, 40));
      end if;
      if v_m[1] is null then
        -- a and, for a range, b: a number or, in the month/day-of-week fields, a name
        for v_i in 2..3 loop
          v_tok := v_m[v_i];
          continue when v_tok is null;
          v_val := case
            when v_tok ~ '^0*[0-9]{1,4}$' then v_tok::int
            when v_k = 4 then array_position(v_months, upper(v_tok))
            when v_k = 5 then array_position(v_days, upper(v_tok)) - 1
          end;
          if v_val is null and v_tok ~ '^[0-9]+$' then
            return v_prefix || format('value %s out of range %s-%s', left(v_tok, 20), v_lo[v_k], v_hi[v_k]);
          elsif v_val is null then
            return v_prefix || format('invalid value %s', left(v_tok, 40));
          elsif v_val not between v_lo[v_k] and v_hi[v_k] then
            return v_prefix || format('value %s out of range %s-%s', v_tok, v_lo[v_k], v_hi[v_k]);
          end if;
          if v_i = 2 then
            v_a := v_val;
          else
            v_b := v_val;
          end if;
        end loop;
        if v_m[3] is not null and v_a > v_b then
          return v_prefix || format('range %s is backwards', left(v_item, 40));
        end if;
      end if;
      if v_m[4] is not null then
        if v_m[4] !~ '^[0-9]+$' then
          return v_prefix || format('invalid step in %s', left(v_item, 40));
        end if;
        if ltrim(v_m[4], '0') = '' then
          return v_prefix || format('step must be at least 1 in %s', left(v_item, 40));
        end if;
      end if;
    end loop;
  end loop;
  return null;
end
$$;
comment on function mana_ai_private.cron_error(text) is
  E'Why a 5-field cron expression is invalid, or NULL when it is valid.\n\n'
  'Supports *, values, a-b, lists, */n, a-b/n, a/n, JAN-DEC, SUN-SAT, day-of-week 7 = Sunday. '
  'Rejects 6 fields, @macros, ?/L/W/#. Never raises.';
