-- mana_ai_private.cron_next(): first fire time strictly after p_after, in a zone's wall-clock time,
-- Vixie day rule, DST via local_to_instant (docs/scheduling.md §5.1).
begin;
select plan(70);

select is(mana_ai_private.cron_next(e, a::timestamptz, tz), want::timestamptz, description)
  from (values
    -- basics (UTC keeps the arithmetic visible)
    ('* * * * *', '2024-06-01 10:00:30Z', 'UTC', '2024-06-01 10:01Z', '*: the next whole minute'),
    ('* * * * *', '2024-06-01 10:01:00Z', 'UTC', '2024-06-01 10:02Z', 'strictly after: a fire time equal to p_after is skipped'),
    ('* * * * *', '2024-06-01 10:00:59.999999Z', 'UTC', '2024-06-01 10:01Z', 'microseconds before the minute'),
    ('5 * * * *', '2024-06-01 10:05Z', 'UTC', '2024-06-01 11:05Z', 'single minute: the next hour'),
    ('0,15,30,45 * * * *', '2024-06-01 10:16Z', 'UTC', '2024-06-01 10:30Z', 'list'),
    ('0,15,30,45 * * * *', '2024-06-01 10:45Z', 'UTC', '2024-06-01 11:00Z', 'list wraps to the next hour'),
    ('0 9-17 * * *', '2024-06-01 17:00Z', 'UTC', '2024-06-02 09:00Z', 'hour range wraps to the next day'),
    ('0 9-17 * * *', '2024-06-01 12:30Z', 'UTC', '2024-06-01 13:00Z', 'hour range, inside'),
    ('*/15 * * * *', '2024-06-01 10:31Z', 'UTC', '2024-06-01 10:45Z', 'step */15'),
    ('10-50/20 * * * *', '2024-06-01 10:30Z', 'UTC', '2024-06-01 10:50Z', 'a-b/n: 10,30,50'),
    ('10-50/20 * * * *', '2024-06-01 10:50Z', 'UTC', '2024-06-01 11:10Z', 'a-b/n wraps to the start of the range'),
    ('5/20 * * * *', '2024-06-01 10:30Z', 'UTC', '2024-06-01 10:45Z', 'a/n: 5,25,45'),
    ('0 0 * */5 *', '2024-02-10 00:00Z', 'UTC', '2024-06-01 00:00Z', 'month step */5: 1,6,11'),
    ('0 9 * * MON-fri', '2024-06-01 10:00Z', 'UTC', '2024-06-03 09:00Z', 'day names: Saturday -> Monday'),
    ('0 9 1 jul,DEC *', '2024-07-01 09:00Z', 'UTC', '2024-12-01 09:00Z', 'month names'),
    ('0 9 * * 7', '2024-06-01 10:00Z', 'UTC', '2024-06-02 09:00Z', 'day-of-week 7 is Sunday'),
    ('0 9 * * 0', '2024-06-01 10:00Z', 'UTC', '2024-06-02 09:00Z', 'day-of-week 0 is Sunday'),
    ('0 9 * * 5-7', '2024-06-02 10:00Z', 'UTC', '2024-06-07 09:00Z', 'range 5-7 covers Friday to Sunday'),
    -- the Vixie day rule
    ('0 0 13 * 5', '2024-06-01 00:00Z', 'UTC', '2024-06-07 00:00Z', 'both restricted: OR (Friday 7th before the 13th)'),
    ('0 0 13 * 5', '2024-06-10 00:00Z', 'UTC', '2024-06-13 00:00Z', 'both restricted: OR (the 13th, a Thursday, before Friday)'),
    ('0 0 13 * *', '2024-06-01 00:00Z', 'UTC', '2024-06-13 00:00Z', 'day-of-week *: day-of-month alone'),
    ('0 0 * * 5', '2024-06-01 00:00Z', 'UTC', '2024-06-07 00:00Z', 'day-of-month *: day-of-week alone'),
    ('0 0 */13 * 5', '2024-06-01 00:00Z', 'UTC', '2024-06-14 00:00Z', 'day-of-month starts with *: AND (1,14,27 and Friday)'),
    ('0 0 13 * */5', '2024-06-01 00:00Z', 'UTC', '2024-09-13 00:00Z', 'day-of-week starts with *: AND (13th and Sun/Fri)'),
    -- impossible and rare dates
    ('0 0 29 2 *', '2024-03-01 00:00Z', 'UTC', '2028-02-29 00:00Z', '29 Feb: the next leap year'),
    ('0 0 29 2 *', '2024-02-28 12:00Z', 'UTC', '2024-02-29 00:00Z', '29 Feb in a leap year'),
    ('0 0 29 2 *', '2096-03-01 00:00Z', 'UTC', '2104-02-29 00:00Z', '29 Feb across 2100, which is not a leap year'),
    ('0 0 30 2 *', '2024-01-01 00:00Z', 'UTC', null, '30 Feb never fires -> NULL'),
    ('0 0 31 4,6,9,11 *', '2024-01-01 00:00Z', 'UTC', null, '31st of 30-day months never fires -> NULL'),
    ('0 0 31 * *', '2024-04-15 00:00Z', 'UTC', '2024-05-31 00:00Z', '31st skips a 30-day month'),
    -- rollover at the end of a day, month and year; Feb 28/29
    ('59 23 * * *', '2024-06-01 23:59Z', 'UTC', '2024-06-02 23:59Z', 'end of day'),
    ('0 0 * * *', '2024-01-31 23:30Z', 'UTC', '2024-02-01 00:00Z', 'end of month'),
    ('0 0 * * *', '2024-12-31 23:59:59Z', 'UTC', '2025-01-01 00:00Z', 'Dec 31 -> Jan 1'),
    ('0 0 1 1 *', '2024-01-01 00:00Z', 'UTC', '2025-01-01 00:00Z', 'yearly: a full year later'),
    ('59 23 31 12 *', '2024-12-31 23:59Z', 'UTC', '2025-12-31 23:59Z', 'last minute of the year -> a year later'),
    ('0 12 * * *', '2023-02-28 12:00Z', 'UTC', '2023-03-01 12:00Z', 'Feb 28 -> Mar 1 in a non-leap year'),
    ('0 12 * * *', '2024-02-28 12:00Z', 'UTC', '2024-02-29 12:00Z', 'Feb 28 -> Feb 29 in a leap year'),
    ('0 0 28-31 2 *', '2023-02-28 00:00Z', 'UTC', '2024-02-28 00:00Z', '28-31 Feb: only days that exist'),
    -- zones without DST, half-hour offset
    ('0 9 * * *', '2024-06-01 00:00Z', 'Asia/Tokyo', '2024-06-02 00:00Z', 'Tokyo 09:00 = 00:00Z; equal to p_after -> next day'),
    ('0 9 * * *', '2024-05-31 23:59Z', 'Asia/Tokyo', '2024-06-01 00:00Z', 'Tokyo 09:00'),
    ('0 0 1 1 *', '2024-06-01 00:00Z', 'Asia/Tokyo', '2024-12-31 15:00Z', 'Tokyo new year is Dec 31 in UTC'),
    ('0 9 * * *', '2024-06-01 00:00Z', 'Asia/Kolkata', '2024-06-01 03:30Z', 'Kolkata 09:00 = 03:30Z'),
    ('*/45 * * * *', '2024-06-01 03:30Z', 'Asia/Kolkata', '2024-06-01 04:15Z', 'Kolkata 09:45 is 04:15Z'),
    -- Europe/Berlin, ordinary days
    ('0 9 * * *', '2024-01-15 06:00Z', 'Europe/Berlin', '2024-01-15 08:00Z', 'Berlin winter (UTC+1)'),
    ('0 9 * * *', '2024-07-15 06:00Z', 'Europe/Berlin', '2024-07-15 07:00Z', 'Berlin summer (UTC+2)'),
    ('0 0 1 1 *', '2024-06-01 00:00Z', 'Europe/Berlin', '2024-12-31 23:00Z', 'Berlin new year is Dec 31 in UTC'),
    -- Europe/Berlin spring forward 2024-03-31 (02:00 CET -> 03:00 CEST)
    ('30 2 * * *', '2024-03-30 12:00Z', 'Europe/Berlin', '2024-03-31 01:30Z', 'gap: 02:30 fires at 03:30 CEST'),
    ('30 2 * * *', '2024-03-31 01:30Z', 'Europe/Berlin', '2024-04-01 00:30Z', 'after the gap-shifted fire: next day 02:30 CEST'),
    ('30 2 * * *', '2024-03-31 01:15Z', 'Europe/Berlin', '2024-03-31 01:30Z', 'gap: the shifted fire after p_after (03:15 CEST) is found'),
    ('20 3 * * *', '2024-03-31 01:15Z', 'Europe/Berlin', '2024-03-31 01:20Z', 'a real 03:20 CEST before the shifted 02:30'),
    ('20,30 2,3 * * *', '2024-03-31 01:15Z', 'Europe/Berlin', '2024-03-31 01:20Z', 'gap and post-gap candidates: the earliest instant wins'),
    ('0 * * * *', '2024-03-31 00:30Z', 'Europe/Berlin', '2024-03-31 01:00Z', 'hourly: 02:00 and 03:00 are the same instant'),
    ('0 * * * *', '2024-03-31 01:00Z', 'Europe/Berlin', '2024-03-31 02:00Z', 'hourly after the gap: 04:00 CEST'),
    -- Europe/Berlin fall back 2024-10-27 (03:00 CEST -> 02:00 CET)
    ('30 2 * * *', '2024-10-26 12:00Z', 'Europe/Berlin', '2024-10-27 00:30Z', 'overlap: 02:30 fires at the earlier instant'),
    ('30 2 * * *', '2024-10-27 00:30Z', 'Europe/Berlin', '2024-10-28 01:30Z', 'overlap: the second 02:30 (01:30Z) does not fire'),
    ('30 2 * * *', '2024-10-27 01:30Z', 'Europe/Berlin', '2024-10-28 01:30Z', 'from inside the second pass: next day'),
    ('* * * * *', '2024-10-27 00:59Z', 'Europe/Berlin', '2024-10-27 02:00Z', 'every minute pauses for the repeated hour'),
    ('* * * * *', '2024-10-27 01:30Z', 'Europe/Berlin', '2024-10-27 02:00Z', 'from inside the repeated hour: 03:00 CET'),
    ('0 * * * *', '2024-10-26 23:30Z', 'Europe/Berlin', '2024-10-27 00:00Z', 'hourly: 02:00 CEST'),
    ('0 * * * *', '2024-10-27 00:00Z', 'Europe/Berlin', '2024-10-27 02:00Z', 'hourly: 02:00 CET is not a second fire; next is 03:00 CET'),
    -- Australia/Lord_Howe springs forward by 30 minutes (2024-10-06 02:00 -> 02:30, UTC+10:30 -> +11)
    ('20,35 2 * * *', '2024-10-05 15:31Z', 'Australia/Lord_Howe', '2024-10-05 15:35Z', 'half-hour gap: a real 02:35 beats the gap-shifted 02:20 (= 02:50)'),
    ('20,35 2 * * *', '2024-10-05 15:36Z', 'Australia/Lord_Howe', '2024-10-05 15:50Z', 'half-hour gap: then the gap-shifted 02:20 fires at 02:50'),
    ('0 2 * * 0', '2024-03-30 12:00Z', 'Europe/Berlin', '2024-03-31 01:00Z', 'weekly Sunday 02:00 in the gap -> 03:00 CEST'),
    ('0 2 * * 0', '2024-10-26 12:00Z', 'Europe/Berlin', '2024-10-27 00:00Z', 'weekly Sunday 02:00 in the overlap -> earlier instant')
  ) v(e, a, tz, want, description);

-- invalid input gives NULL, never an error ---------------------------------------------------------
select is_empty($$
  select e from (values ('61 * * * *'), ('* * *'), ('a b c d e'), (''), ('*/0 * * * *'), ('5-1 * * * *'),
                        ('0 0 * * * *'), ('@daily')) v(e)
   where mana_ai_private.cron_next(e, '2024-06-01 00:00Z', 'UTC') is not null $$,
  'invalid expressions (61, 3 fields, letters, empty, */0, 5-1, 6 fields, @daily) -> NULL');
select is(mana_ai_private.cron_next(null, '2024-06-01 00:00Z', 'UTC'), null, 'NULL expression -> NULL');
select is(mana_ai_private.cron_next('* * * * *', null, 'UTC'), null, 'NULL p_after -> NULL');
select is(mana_ai_private.cron_next('* * * * *', 'infinity', 'UTC'), null, 'infinite p_after -> NULL');

-- agreement with a brute-force oracle around DST transitions ------------------------------------------
-- The oracle resolves every local minute of a 4-day window with local_to_instant, keeps the ones the
-- expression matches (written out by hand below) and takes the smallest instant after each probe.
create temp table oracle_windows (tz text, center timestamp, e text) on commit drop;
insert into oracle_windows
select z.tz, z.center, x.e
  from (values ('Europe/Berlin', timestamp '2024-03-31 02:00'), ('Europe/Berlin', timestamp '2024-10-27 02:00'),
               ('America/New_York', timestamp '2024-03-10 02:00'), ('America/New_York', timestamp '2024-11-03 01:00'),
               ('Australia/Lord_Howe', timestamp '2024-04-07 02:00'), ('Australia/Lord_Howe', timestamp '2024-10-06 02:00')) z(tz, center)
 cross join (values ('* * * * *'), ('30 2 * * *'), ('*/20 1-3 * * *'), ('0,30 3 * * 0'), ('20,35 2 * * *')) x(e);
create temp table oracle_candidates on commit drop as
select w.tz, w.center, w.e, mana_ai_private.local_to_instant(t, w.tz) as i
  from oracle_windows w
 cross join lateral generate_series(w.center - interval '2 days', w.center + interval '2 days', interval '1 minute') t
 where case w.e
         when '* * * * *' then true
         when '30 2 * * *' then extract(hour from t) = 2 and extract(minute from t) = 30
         when '*/20 1-3 * * *' then extract(hour from t) between 1 and 3 and extract(minute from t)::int % 20 = 0
         when '0,30 3 * * 0' then extract(hour from t) = 3 and extract(minute from t) in (0, 30) and extract(dow from t) = 0
         when '20,35 2 * * *' then extract(hour from t) = 2 and extract(minute from t) in (20, 35)
       end;
create index on oracle_candidates (tz, center, e, i);
analyze oracle_candidates;
select is_empty($$
  select *
    from (select w.tz, w.e, a, mana_ai_private.cron_next(w.e, a, w.tz) as got,
                 (select min(c.i) from oracle_candidates c
                   where (c.tz, c.center, c.e) = (w.tz, w.center, w.e) and c.i > a) as want,
                 (w.center + interval '2 days') at time zone w.tz as window_end
            from oracle_windows w
           cross join lateral generate_series((w.center at time zone w.tz) - interval '12 hours',
                                              (w.center at time zone w.tz) + interval '12 hours',
                                              interval '7 minutes 13 seconds') a) r
   where got is distinct from want and not (want is null and got > window_end) $$,
  'agrees with a brute-force oracle every 7m13s across Berlin, New York and Lord Howe (half-hour) transitions');

select is((select provolatile::text || proparallel::text from pg_catalog.pg_proc
            where oid = 'mana_ai_private.cron_next(text, timestamptz, text)'::regprocedure), 'ss',
  'stable (reads the tz database) and parallel safe');

select * from finish();
rollback;
