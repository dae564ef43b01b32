-- JavaScript `String(x ?? '')` of a JSON value: how the reference turns a mission's objective into the
-- actor's rationale (docs/writeback.md §4, src/planner/mission.ts does the same for the prompt).
--   absent / null → ''        string → itself          true / false → 'true' / 'false'
--   number → shortest decimal form (5.0 → '5'; exponent forms such as 1e21 stay decimal, a known gap)
--   object → '[object Object]'     array → elements joined with ',' (null elements → '', nested arrays
--   recursively), as Array.prototype.join does.
-- Test: test/sql/mana_ai_private/functions/js_string.sql
create or replace function mana_ai_private.js_string(p_value jsonb)
  returns text
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
begin
  return case coalesce(jsonb_typeof(p_value), 'null')
    when 'null' then ''
    when 'string' then p_value #>> '{}'
    when 'boolean' then p_value #>> '{}'
    when 'number' then trim_scale((p_value #>> '{}')::numeric)::text
    when 'object' then '[object Object]'
    else (
      select coalesce(string_agg(mana_ai_private.js_string(e.value), ',' order by e.ordinality), '')
        from jsonb_array_elements(p_value) with ordinality e
    )
  end;
end
$$;
revoke all on function mana_ai_private.js_string(jsonb) from public;
comment on function mana_ai_private.js_string(jsonb) is
  E'JavaScript String(x ?? \'\') of a JSON value (objective → actor rationale).';
