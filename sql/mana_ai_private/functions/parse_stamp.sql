-- Parses an LWW stamp (data-model.md §3): ISO-8601 / RFC 3339 date-time with any fractional precision
-- and `Z` or a numeric offset, to an instant. Anything else (not a string, no offset, impossible date,
-- 'now', 'infinity', …) is NULL = "no stamp". Never raises: validated by predicates, not by catching
-- cast errors (architecture.md), and built only from immutable pieces (make_timestamp), so it is
-- IMMUTABLE and usable anywhere. Leap seconds (:60) are rejected like JavaScript's Date does.
-- Test: test/sql/mana_ai_private/functions/parse_stamp.sql
create or replace function mana_ai_private.parse_stamp(p_text text)
  returns timestamptz
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  m text[];
  y int; mo int; d int; h int; mi int; s numeric; oh int; om int;
  local_ts timestamp;
begin
  if p_text is null or length(p_text) > 64 then
    return null;
  end if;
  m := regexp_match(p_text,
    '^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$');
  if m is null then
    return null;
  end if;
  y := m[1]::int; mo := m[2]::int; d := m[3]::int; h := m[4]::int; mi := m[5]::int;
  if y < 1 or mo not between 1 and 12 or d < 1 or h > 23 or mi > 59 then
    return null;
  end if;
  if d > extract(day from (make_date(y, mo, 1) + interval '1 month' - interval '1 day'))::int then
    return null;
  end if;
  s := coalesce(m[6], '0')::numeric;
  if s > 59 then
    return null;
  end if;
  if m[7] is not null then
    s := s + ('0' || left(m[7], 10))::numeric;
  end if;
  local_ts := make_timestamp(y, mo, d, h, mi, s::double precision);
  if m[8] is null then
    oh := m[10]::int; om := m[11]::int;
    if oh > 23 or om > 59 then
      return null;
    end if;
    if m[9] = '+' then
      local_ts := local_ts - make_interval(hours => oh, mins => om);
    else
      local_ts := local_ts + make_interval(hours => oh, mins => om);
    end if;
  end if;
  return local_ts at time zone 'UTC';
end
$$;
comment on function mana_ai_private.parse_stamp(text) is
  E'Parse an ISO-8601/RFC 3339 stamp (Z or numeric offset) to an instant, or NULL.\n\nNever raises; NULL means "no stamp", lower than every real stamp.';

create or replace function mana_ai_private.stamp_us(p_value jsonb)
  returns bigint
  language sql immutable parallel safe
as $$
  select case when jsonb_typeof(p_value) = 'string'
    then (extract(epoch from mana_ai_private.parse_stamp(p_value #>> '{}')) * 1000000)::bigint
  end
$$;
comment on function mana_ai_private.stamp_us(jsonb) is
  E'A JSON stamp value as epoch microseconds, or NULL when it is not a parseable ISO string.';
