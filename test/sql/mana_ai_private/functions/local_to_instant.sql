-- mana_ai_private.local_to_instant(): wall-clock time in a zone -> instant, Temporal "compatible"
-- (docs/scheduling.md §5.1: gap skipped forward, overlap takes the earlier instant).
begin;
select plan(25);

select is(mana_ai_private.local_to_instant(l::timestamp, tz), want::timestamptz, description)
  from (values
    -- Europe/Berlin, ordinary days
    ('2024-01-15 09:00', 'Europe/Berlin', '2024-01-15 08:00Z', 'Berlin winter: CET, UTC+1'),
    ('2024-07-15 09:00', 'Europe/Berlin', '2024-07-15 07:00Z', 'Berlin summer: CEST, UTC+2'),
    -- spring forward 2024-03-31: 02:00 CET -> 03:00 CEST, local 02:00-02:59 does not exist
    ('2024-03-31 01:59', 'Europe/Berlin', '2024-03-31 00:59Z', 'Berlin: last minute before the gap'),
    ('2024-03-31 02:00', 'Europe/Berlin', '2024-03-31 01:00Z', 'Berlin gap: 02:00 is skipped forward to 03:00 CEST'),
    ('2024-03-31 02:30', 'Europe/Berlin', '2024-03-31 01:30Z', 'Berlin gap: 02:30 is skipped forward to 03:30 CEST'),
    ('2024-03-31 02:59', 'Europe/Berlin', '2024-03-31 01:59Z', 'Berlin gap: 02:59 is skipped forward to 03:59 CEST'),
    ('2024-03-31 03:00', 'Europe/Berlin', '2024-03-31 01:00Z', 'Berlin: 03:00 CEST, first minute after the gap'),
    -- fall back 2024-10-27: 03:00 CEST -> 02:00 CET, local 02:00-02:59 occurs twice
    ('2024-10-27 01:59', 'Europe/Berlin', '2024-10-26 23:59Z', 'Berlin: last minute before the overlap'),
    ('2024-10-27 02:00', 'Europe/Berlin', '2024-10-27 00:00Z', 'Berlin overlap: 02:00 takes the earlier (CEST) instant'),
    ('2024-10-27 02:30', 'Europe/Berlin', '2024-10-27 00:30Z', 'Berlin overlap: 02:30 takes the earlier (CEST) instant, not 01:30Z'),
    ('2024-10-27 02:59', 'Europe/Berlin', '2024-10-27 00:59Z', 'Berlin overlap: 02:59 takes the earlier (CEST) instant'),
    ('2024-10-27 03:00', 'Europe/Berlin', '2024-10-27 02:00Z', 'Berlin: 03:00 CET after the overlap'),
    -- other zones
    ('2024-03-10 02:30', 'America/New_York', '2024-03-10 07:30Z', 'New York gap: 02:30 -> 03:30 EDT'),
    ('2024-11-03 01:30', 'America/New_York', '2024-11-03 05:30Z', 'New York overlap: 01:30 takes EDT, the earlier instant'),
    ('2024-04-07 01:45', 'Australia/Lord_Howe', '2024-04-06 14:45Z', 'Lord Howe 30-minute overlap: the earlier instant (+11)'),
    ('2024-10-06 02:15', 'Australia/Lord_Howe', '2024-10-05 15:45Z', 'Lord Howe 30-minute gap: 02:15 -> 02:45 (+11)'),
    ('2011-12-30 12:00', 'Pacific/Apia', '2011-12-30 22:00Z', 'Samoa''s skipped day: 30 Dec 12:00 -> 31 Dec 12:00'),
    ('2024-03-31 02:30', 'UTC', '2024-03-31 02:30Z', 'UTC has no gap'),
    ('2024-10-27 02:30', 'Asia/Tokyo', '2024-10-26 17:30Z', 'Tokyo: UTC+9, no DST'),
    ('2024-03-31 02:30', 'Asia/Kolkata', '2024-03-30 21:00Z', 'Kolkata: half-hour offset UTC+5:30'),
    ('2024-02-29 00:00', 'Asia/Kolkata', '2024-02-28 18:30Z', 'Kolkata: leap day, the instant is on the previous UTC date')
  ) v(l, tz, want, description);

select is(mana_ai_private.local_to_instant(null, 'Europe/Berlin'), null, 'NULL local time -> NULL');
select is(mana_ai_private.local_to_instant('2024-01-01 00:00', null), null, 'NULL zone -> NULL');
select throws_ok($$ select mana_ai_private.local_to_instant('2024-01-01 00:00', 'Mars/Olympus') $$, '22023', null,
  'an unknown zone is PostgreSQL''s own error (set_timezone keeps it out of settings)');
select is((select provolatile::text || proparallel::text from pg_catalog.pg_proc
            where oid = 'mana_ai_private.local_to_instant(timestamp, text)'::regprocedure), 'ss',
  'stable (reads the tz database) and parallel safe');

select * from finish();
rollback;
