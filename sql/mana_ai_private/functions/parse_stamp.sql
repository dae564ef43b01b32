-- Parses an LWW stamp (docs/data-model.md §3): ISO-8601 / RFC 3339 date-time with any fractional precision
-- and `Z` or a numeric offset, to an instant. Anything else (not a string, no offset, impossible date,
-- 'now', 'infinity', leap second :60, …) is NULL = "no stamp". Never raises: the text is validated by
-- predicates first (docs/architecture.md: cast-and-catch lets 'tomorrow' or 'epoch' in, and exception blocks
-- cost a subtransaction), and only a string of the exact validated shape reaches the cast, where
-- DateStyle cannot matter because the offset is explicit.
-- Offsets are limited to ±15:59, PostgreSQL's range (JavaScript accepts up to ±23:59; no real zone
-- needs more). One SQL expression, so it is inlined into the queries that call it: it runs on every
-- stamp of every ai row the sync server inserts.
-- Test: test/sql/mana_ai_private/functions/parse_stamp.sql
create or replace function mana_ai_private.parse_stamp(p_text text)
  returns timestamptz
  language sql stable parallel safe
as $$
  select case when p_text ~ '^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,32})?)?([Zz]|[+-](0\d|1[0-5]):?[0-5]\d)$'
    then case
      when substr(p_text, 1, 4) = '0000' then null
      when substr(p_text, 9, 2)::int <= 28 then p_text::timestamptz
      when substr(p_text, 6, 2) in ('01', '03', '05', '07', '08', '10', '12') then p_text::timestamptz
      when substr(p_text, 6, 2) <> '02' then case when substr(p_text, 9, 2) <> '31' then p_text::timestamptz end
      when substr(p_text, 9, 2) = '29'
           and (substr(p_text, 1, 4)::int % 4 = 0 and (substr(p_text, 1, 4)::int % 100 <> 0 or substr(p_text, 1, 4)::int % 400 = 0))
        then p_text::timestamptz
    end
  end
$$;
comment on function mana_ai_private.parse_stamp(text) is
  E'Parse an ISO-8601/RFC 3339 stamp (Z or numeric offset) to an instant, or NULL.\n\nNever raises; NULL means "no stamp", lower than every real stamp.';

create or replace function mana_ai_private.stamp_us(p_value jsonb)
  returns bigint
  language sql stable parallel safe
as $$
  select case when jsonb_typeof(p_value) = 'string'
    then (extract(epoch from mana_ai_private.parse_stamp(p_value #>> '{}')) * 1000000)::bigint
  end
$$;
comment on function mana_ai_private.stamp_us(jsonb) is
  E'A JSON stamp value as epoch microseconds, or NULL when it is not a parseable ISO string.';
