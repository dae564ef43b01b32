-- The one parser of 5-field cron expressions (cadence rules: README, "Cadences"): every list item of
-- every field as a resolved range, or a single row whose `error` says why the expression is invalid.
-- cron_error reports that error; cron_next builds its minute/hour/day/month sets from the ranges.
-- Grammar, per field (minute 0-59, hour 0-23, day-of-month 1-31, month 1-12, day-of-week 0-7 with
-- 0 and 7 = Sunday): `*`, values, ranges `a-b` (a <= b), lists `a,b`, steps `*/n`, `a-b/n` and
-- `a/n` (= a-max/n, as cronie and cron-parser read it), n >= 1; month names JAN-DEC and day names
-- SUN-SAT (case-insensitive, also inside ranges); fields separated by any whitespace.
-- Rejected, with a reason naming the field: 6 or 7 fields (seconds/years), `@daily`-style macros
-- (each has a 5-field spelling, so one grammar is kept), Quartz syntax (`?`, `L`, `W`, `#`), backwards
-- ranges (`5-1`), step 0, empty list items.
-- Rows: field 1..5, lo..hi by step (a step longer than any range is capped at 100, which keeps only
-- lo); starred = the field's text starts with `*` (the Vixie day rule in cron_next reads it).
-- Invariants: never raises (regex and length checks before every cast); either exactly one row with
-- a non-NULL error, or one row per list item, all with error NULL.
-- Test: test/sql/mana_ai_private/functions/cron_fields.sql
create or replace function mana_ai_private.cron_fields(p_expression text)
  returns table (field int, lo int, hi int, step int, starred boolean, error text)
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_field_names constant text[] := array['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
  v_min constant int[] := array[0, 0, 1, 1, 0];
  v_max constant int[] := array[59, 23, 31, 12, 7];
  v_names constant text[] := array['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN',
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
  v_ends int[];
  -- the ranges found so far, returned only when every field parsed
  v_f int[] := '{}';
  v_lo int[] := '{}';
  v_hi int[] := '{}';
  v_step int[] := '{}';
  v_starred boolean[] := '{}';
begin
  error := case
    when p_expression is null then 'expression is missing'
    when length(p_expression) > 1000 then 'expression is too long (more than 1000 characters)'
    when btrim(p_expression, E' \t\r\n\f\v') = '' then 'expression is empty'
  end;
  if error is not null then
    return next;
    return;
  end if;
  v_trimmed := btrim(p_expression, E' \t\r\n\f\v');
  v_fields := regexp_split_to_array(v_trimmed, '\s+');
  if left(v_fields[1], 1) = '@' then
    error := format('macro %s is not supported: use 5 fields (minute hour day-of-month month day-of-week)',
                    left(v_fields[1], 40));
  elsif cardinality(v_fields) <> 5 then
    error := format('expected 5 fields (minute hour day-of-month month day-of-week), got %s%s',
                    cardinality(v_fields),
                    case when cardinality(v_fields) > 5 then ': seconds and year fields are not supported' else '' end);
  end if;
  if error is not null then
    return next;
    return;
  end if;

  for v_k in 1..5 loop
    v_prefix := v_field_names[v_k] || ' field: ';
    foreach v_item in array string_to_array(v_fields[v_k], ',') loop
      if v_item = '' then
        error := v_prefix || format('empty list item in %s', left(v_fields[v_k], 40));
        exit;
      end if;
      -- (*) | (a)(-b)?  followed by an optional (/n)
      v_m := regexp_match(v_item, '^(?:(\*)|([^-/*]+)(?:-([^-/*]+))?)(?:/([^/]*))?$');
      if v_m is null then
        error := v_prefix || format('cannot parse %s', left(v_item, 40));
        exit;
      end if;
      v_ends := array[v_min[v_k], v_max[v_k]];
      if v_m[1] is null then
        -- a and, for a range, b: a number or, in the month/day-of-week fields, a name
        for v_i in 2..3 loop
          v_tok := v_m[v_i];
          continue when v_tok is null;
          v_val := case
            when v_tok ~ '^0*[0-9]{1,4}$' then v_tok::int
            when v_k = 4 then array_position(v_names, upper(v_tok))
            when v_k = 5 then array_position(v_days, upper(v_tok)) - 1
          end;
          if v_val is null and v_tok ~ '^[0-9]+$' then
            error := v_prefix || format('value %s out of range %s-%s', left(v_tok, 20), v_min[v_k], v_max[v_k]);
          elsif v_val is null then
            error := v_prefix || format('invalid value %s', left(v_tok, 40));
          elsif v_val not between v_min[v_k] and v_max[v_k] then
            error := v_prefix || format('value %s out of range %s-%s', v_tok, v_min[v_k], v_max[v_k]);
          end if;
          exit when error is not null;
          v_ends[v_i - 1] := v_val;
        end loop;
        exit when error is not null;
        if v_m[3] is null and v_m[4] is null then
          v_ends[2] := v_ends[1];  -- a single value; a/n keeps the field's maximum (a-max/n)
        elsif v_m[3] is not null and v_ends[1] > v_ends[2] then
          error := v_prefix || format('range %s is backwards', left(v_item, 40));
          exit;
        end if;
      end if;
      if v_m[4] is not null and v_m[4] !~ '^[0-9]+$' then
        error := v_prefix || format('invalid step in %s', left(v_item, 40));
      elsif v_m[4] is not null and ltrim(v_m[4], '0') = '' then
        error := v_prefix || format('step must be at least 1 in %s', left(v_item, 40));
      end if;
      exit when error is not null;
      v_f := v_f || v_k;
      v_lo := v_lo || v_ends[1];
      v_hi := v_hi || v_ends[2];
      v_step := v_step || case when v_m[4] is null then 1 when length(ltrim(v_m[4], '0')) > 2 then 100 else v_m[4]::int end;
      v_starred := v_starred || (left(v_fields[v_k], 1) = '*');
    end loop;
    exit when error is not null;
  end loop;
  if error is not null then
    return next;  -- only the error row: ranges of the fields before it are not returned
    return;
  end if;
  return query select u.f, u.lo, u.hi, u.step, u.starred, null::text
                 from unnest(v_f, v_lo, v_hi, v_step, v_starred) with ordinality u(f, lo, hi, step, starred, n)
                order by u.n;
end
$$;
comment on function mana_ai_private.cron_fields(text) is
  E'The parser of 5-field cron expressions: one row per list item (field, lo, hi, step, starred), or one '
  'row whose error says why the expression is invalid. Never raises.';
