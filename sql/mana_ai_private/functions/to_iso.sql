-- Canonical 24-character JavaScript toISOString() form, YYYY-MM-DDTHH:mm:ss.sssZ, UTC, milliseconds
-- truncated (docs/writeback.md §3: devices compare stamps as strings, so the form must be exact).
-- Test: test/sql/mana_ai_private/functions/to_iso.sql
create or replace function mana_ai_private.to_iso(p_at timestamptz)
  returns text
  language sql immutable strict parallel safe
as $$
  select to_char(date_trunc('milliseconds', p_at at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
comment on function mana_ai_private.to_iso(timestamptz) is
  E'Render an instant exactly like JavaScript Date.prototype.toISOString() (ms, UTC, Z).';

create or replace function mana_ai_private.us_to_ts(p_us bigint)
  returns timestamptz
  language sql immutable strict parallel safe
as $$
  select timestamptz 'epoch' + p_us * interval '1 microsecond'
$$;
comment on function mana_ai_private.us_to_ts(bigint) is 'Epoch microseconds to timestamptz.';
