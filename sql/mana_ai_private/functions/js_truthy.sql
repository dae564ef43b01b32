-- JavaScript truthiness of a JSON value: null, false, 0 and "" are falsy, everything else (including
-- "0", [] and {}) is truthy. Absent (SQL NULL) is falsy. Used for `deletedAt` (docs/data-model.md §3).
-- Test: test/sql/mana_ai_private/functions/js_truthy.sql
create or replace function mana_ai_private.js_truthy(p_value jsonb)
  returns boolean
  language sql immutable parallel safe
as $$
  select case jsonb_typeof(p_value)
    when 'null' then false
    when 'boolean' then p_value = 'true'::jsonb
    when 'number' then p_value <> '0'::jsonb
    when 'string' then p_value <> '""'::jsonb
    when 'array' then true
    when 'object' then true
    else false -- SQL NULL: the key is absent
  end
$$;
comment on function mana_ai_private.js_truthy(jsonb) is 'JavaScript truthiness of a JSON value (NULL = absent = false).';
