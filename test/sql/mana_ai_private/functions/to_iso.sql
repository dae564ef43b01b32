-- to_iso and us_to_ts: the exact toISOString form written on the wire (docs/writeback.md §3).
begin;
select plan(5);
select is(mana_ai_private.to_iso('2024-03-01 12:34:56.789+00'), '2024-03-01T12:34:56.789Z', 'milliseconds, UTC, Z');
select is(mana_ai_private.to_iso('2024-03-01 12:34:56+00'), '2024-03-01T12:34:56.000Z', 'zero milliseconds are written');
select is(mana_ai_private.to_iso('2024-03-01 12:34:56.789999+00'), '2024-03-01T12:34:56.789Z', 'microseconds are truncated, like Date');
select is(length(mana_ai_private.to_iso('2024-03-01 13:34:56+01')), 24, 'always 24 characters');
select is(mana_ai_private.us_to_ts(1704067200001000), '2024-01-01 00:00:00.001+00'::timestamptz, 'us_to_ts inverts stamp_us');
select * from finish();
rollback;
