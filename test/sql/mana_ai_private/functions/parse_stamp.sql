-- parse_stamp / stamp_us: every accepted and rejected shape of an LWW stamp (docs/data-model.md §3).
begin;
select plan(24);

select is(mana_ai_private.parse_stamp('2024-03-01T12:34:56.789Z'), '2024-03-01 12:34:56.789+00'::timestamptz, 'canonical toISOString form');
select is(mana_ai_private.parse_stamp('2024-03-01T12:34:56Z'), '2024-03-01 12:34:56+00'::timestamptz, 'no fraction');
select is(mana_ai_private.parse_stamp('2024-03-01T12:34Z'), '2024-03-01 12:34:00+00'::timestamptz, 'no seconds');
select is(mana_ai_private.parse_stamp('2024-03-01T12:34:56.123456789Z'), '2024-03-01 12:34:56.123457+00'::timestamptz, 'nanoseconds round to microseconds');
select is(mana_ai_private.parse_stamp('2024-03-01T13:34:56+01:00'), '2024-03-01 12:34:56+00'::timestamptz, 'numeric offset with colon');
select is(mana_ai_private.parse_stamp('2024-03-01T07:04:56-0530'), '2024-03-01 12:34:56+00'::timestamptz, 'numeric offset without colon');
select is(mana_ai_private.parse_stamp('2024-03-01 12:34:56z'), '2024-03-01 12:34:56+00'::timestamptz, 'space separator and lower-case z (RFC 3339)');
select is(mana_ai_private.parse_stamp('2024-02-29T00:00:00Z'), '2024-02-29 00:00:00+00'::timestamptz, 'leap day in a leap year');
select is(mana_ai_private.parse_stamp('2000-02-29T00:00:00Z'), '2000-02-29 00:00:00+00'::timestamptz, 'leap day in a 400-year');
select is(mana_ai_private.parse_stamp('2023-02-29T00:00:00Z'), null, 'Feb 29 of a common year is no stamp');
select is(mana_ai_private.parse_stamp('2100-02-29T00:00:00Z'), null, 'Feb 29 of a century year is no stamp');
select is(mana_ai_private.parse_stamp('2024-04-31T00:00:00Z'), null, 'April 31 is no stamp');
select is(mana_ai_private.parse_stamp('2024-13-01T00:00:00Z'), null, 'month 13 is no stamp');
select is(mana_ai_private.parse_stamp('2024-01-01T24:00:00Z'), null, 'hour 24 is no stamp');
select is(mana_ai_private.parse_stamp('2024-01-01T23:59:60Z'), null, 'leap second is no stamp (JavaScript rejects it too)');
select is(mana_ai_private.parse_stamp('0000-01-01T00:00:00Z'), null, 'year 0 is no stamp');
select is(mana_ai_private.parse_stamp('2024-01-01T00:00:00'), null, 'no offset is no stamp (local time is ambiguous)');
select is(mana_ai_private.parse_stamp('2024-01-01'), null, 'date only is no stamp');
select is(mana_ai_private.parse_stamp('2024-01-01T00:00:00+16:00'), null, 'offset beyond ±15:59 is no stamp, not an error');
select ok(mana_ai_private.parse_stamp('now') is null and mana_ai_private.parse_stamp('tomorrow') is null
          and mana_ai_private.parse_stamp('epoch') is null and mana_ai_private.parse_stamp('infinity') is null,
          'PostgreSQL special values are no stamps (they would cast without error)');
select is(mana_ai_private.parse_stamp(' 2024-01-01T00:00:00Z'), null, 'surrounding whitespace is no stamp');
select is(mana_ai_private.stamp_us('"2024-01-01T00:00:00.001Z"'), 1704067200001000::bigint, 'stamp_us gives epoch microseconds');
select ok(mana_ai_private.stamp_us('1704067200000') is null and mana_ai_private.stamp_us('null') is null
          and mana_ai_private.stamp_us(null) is null and mana_ai_private.stamp_us('{"a":1}') is null,
          'stamp_us of a non-string JSON value is no stamp');
select is(mana_ai_private.stamp_us('"2024-01-01T01:00:00+01:00"'), mana_ai_private.stamp_us('"2024-01-01T00:00:00.000Z"'),
          'instants compare equal across formats (…00Z vs …00.000Z vs offset)');

select * from finish();
rollback;
