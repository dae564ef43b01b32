-- mana_ai_private.next_slot(): the runner's next nextRunAt after a run at p_from (docs/scheduling.md §2,
-- §5.1), wall-clock kinds in the given zone.
begin;
select plan(63);

select is(mana_ai_private.next_slot(c::jsonb, f::timestamptz, tz), want::timestamptz, description)
  from (values
    -- interval: from + everyMinutes × 60 s, JavaScript Date arithmetic (ms)
    ('{"kind":"interval","everyMinutes":30}', '2024-06-01 10:00Z', 'Europe/Berlin', '2024-06-01 10:30Z', 'interval 30 minutes'),
    ('{"kind":"interval","everyMinutes":1.5}', '2024-06-01 10:00:00.123456Z', 'Europe/Berlin', '2024-06-01 10:01:30.123Z', 'interval 1.5 minutes; from truncated to ms'),
    ('{"kind":"interval","everyMinutes":0.0001}', '2024-06-01 10:00:00.123Z', 'Europe/Berlin', '2024-06-01 10:00:00.129Z', 'interval 0.0001 minutes = 6 ms'),
    ('{"kind":"interval","everyMinutes":0.00001}', '2024-06-01 10:00:00.123456Z', 'Europe/Berlin', '2024-06-01 10:00:00.123Z', 'interval of 0.6 ms truncates to the from millisecond, like Date'),
    ('{"kind":"interval","everyMinutes":1440}', '2024-03-30 12:00Z', 'Europe/Berlin', '2024-03-31 12:00Z', 'interval ignores DST: 24 h, not "same time tomorrow"'),
    ('{"kind":"interval","everyMinutes":20}', '2024-12-31 23:50Z', 'UTC', '2025-01-01 00:10Z', 'interval across the year boundary'),
    ('{"kind":"interval","everyMinutes":5,"atHour":99}', '2024-06-01 10:00Z', 'Mars/Olympus', '2024-06-01 10:05Z', 'interval needs no zone and ignores unknown keys'),
    -- daily: today at H:M, else tomorrow (Berlin summer is UTC+2)
    ('{"kind":"daily","atHour":9,"atMinute":30}', '2024-06-01 07:00Z', 'Europe/Berlin', '2024-06-01 07:30Z', 'daily: before the time -> today'),
    ('{"kind":"daily","atHour":9,"atMinute":30}', '2024-06-01 07:30Z', 'Europe/Berlin', '2024-06-02 07:30Z', 'daily: exactly at the time -> tomorrow'),
    ('{"kind":"daily","atHour":9,"atMinute":30}', '2024-06-01 07:30:00.001Z', 'Europe/Berlin', '2024-06-02 07:30Z', 'daily: just after the time -> tomorrow'),
    ('{"kind":"daily","atHour":9,"atMinute":30}', '2024-06-01 08:00Z', 'Europe/Berlin', '2024-06-02 07:30Z', 'daily: after the time -> tomorrow'),
    ('{"kind":"daily","atHour":0,"atMinute":15}', '2024-06-01 22:30Z', 'Europe/Berlin', '2024-06-02 22:15Z', 'daily: "today" is the local date (00:30 on June 2 in Berlin)'),
    ('{"kind":"daily","atHour":9.0,"atMinute":0}', '2024-01-15 06:00Z', 'Europe/Berlin', '2024-01-15 08:00Z', 'daily in winter (UTC+1); 9.0 is 9'),
    ('{"kind":"daily","atHour":0,"atMinute":0}', '2024-12-31 12:00Z', 'UTC', '2025-01-01 00:00Z', 'daily: Dec 31 -> Jan 1'),
    ('{"kind":"daily","atHour":0,"atMinute":0}', '2024-12-31 12:00Z', 'Europe/Berlin', '2024-12-31 23:00Z', 'daily: Berlin new year is 23:00Z'),
    ('{"kind":"daily","atHour":12,"atMinute":0}', '2023-02-28 12:30Z', 'UTC', '2023-03-01 12:00Z', 'daily: Feb 28 -> Mar 1 in a non-leap year'),
    ('{"kind":"daily","atHour":12,"atMinute":0}', '2024-02-28 12:30Z', 'UTC', '2024-02-29 12:00Z', 'daily: Feb 28 -> Feb 29 in a leap year'),
    ('{"kind":"daily","atHour":12,"atMinute":0}', '2024-02-29 12:30Z', 'UTC', '2024-03-01 12:00Z', 'daily: Feb 29 -> Mar 1'),
    -- daily at 02:30 across Berlin's spring-forward (2024-03-31) and fall-back (2024-10-27) nights
    ('{"kind":"daily","atHour":2,"atMinute":30}', '2024-03-30 12:00Z', 'Europe/Berlin', '2024-03-31 01:30Z', 'daily 02:30 in the gap -> 03:30 CEST'),
    ('{"kind":"daily","atHour":2,"atMinute":30}', '2024-03-31 00:00Z', 'Europe/Berlin', '2024-03-31 01:30Z', 'daily 02:30, from 01:00 CET on the gap day'),
    ('{"kind":"daily","atHour":2,"atMinute":30}', '2024-03-31 01:30Z', 'Europe/Berlin', '2024-04-01 00:30Z', 'daily 02:30, at the gap-shifted slot -> tomorrow 02:30 CEST'),
    ('{"kind":"daily","atHour":2,"atMinute":30}', '2024-03-31 10:00Z', 'Europe/Berlin', '2024-04-01 00:30Z', 'daily 02:30 after the gap day: tomorrow at 02:30, not the shifted 03:30'),
    ('{"kind":"daily","atHour":2,"atMinute":30}', '2024-10-26 12:00Z', 'Europe/Berlin', '2024-10-27 00:30Z', 'daily 02:30 in the overlap -> the earlier instant (CEST)'),
    ('{"kind":"daily","atHour":2,"atMinute":30}', '2024-10-27 00:30Z', 'Europe/Berlin', '2024-10-28 01:30Z', 'daily 02:30: the second 02:30 is not a new slot'),
    ('{"kind":"daily","atHour":2,"atMinute":30}', '2024-10-27 01:30Z', 'Europe/Berlin', '2024-10-28 01:30Z', 'daily 02:30, from the second 02:30 -> tomorrow (CET)'),
    -- zones without DST, half-hour offset
    ('{"kind":"daily","atHour":9,"atMinute":0}', '2024-06-01 00:00Z', 'Asia/Tokyo', '2024-06-02 00:00Z', 'Tokyo daily 09:00, at the slot -> tomorrow'),
    ('{"kind":"daily","atHour":9,"atMinute":0}', '2024-05-31 23:00Z', 'Asia/Tokyo', '2024-06-01 00:00Z', 'Tokyo daily 09:00, before'),
    ('{"kind":"daily","atHour":9,"atMinute":0}', '2024-06-01 00:00Z', 'Asia/Kolkata', '2024-06-01 03:30Z', 'Kolkata daily 09:00 = 03:30Z'),
    ('{"kind":"daily","atHour":23,"atMinute":45}', '2024-06-01 18:15Z', 'Asia/Kolkata', '2024-06-02 18:15Z', 'Kolkata daily 23:45, at the slot -> tomorrow'),
    ('{"kind":"daily","atHour":2,"atMinute":30}', '2024-03-30 12:00Z', 'UTC', '2024-03-31 02:30Z', 'UTC has no gap'),
    -- weekly: next dayOfWeek (0 = Sunday) at H:00; 2024-06-03 is a Monday
    ('{"kind":"weekly","dayOfWeek":1,"atHour":9}', '2024-06-03 06:00Z', 'Europe/Berlin', '2024-06-03 07:00Z', 'weekly: today, before the hour -> today'),
    ('{"kind":"weekly","dayOfWeek":1,"atHour":9}', '2024-06-03 07:00Z', 'Europe/Berlin', '2024-06-10 07:00Z', 'weekly: today, at the hour -> next week'),
    ('{"kind":"weekly","dayOfWeek":1,"atHour":9}', '2024-06-03 08:00Z', 'Europe/Berlin', '2024-06-10 07:00Z', 'weekly: today, after the hour -> next week'),
    ('{"kind":"weekly","dayOfWeek":1,"atHour":9}', '2024-06-05 12:00Z', 'Europe/Berlin', '2024-06-10 07:00Z', 'weekly: from Wednesday -> next Monday'),
    ('{"kind":"weekly","dayOfWeek":1,"atHour":9}', '2024-06-02 12:00Z', 'Europe/Berlin', '2024-06-03 07:00Z', 'weekly: from Sunday -> tomorrow'),
    ('{"kind":"weekly","dayOfWeek":1,"atHour":9}', '2024-06-01 23:30Z', 'Europe/Berlin', '2024-06-03 07:00Z', 'weekly: weekday of the local date (Saturday 23:30Z is Sunday in Berlin)'),
    ('{"kind":"weekly","dayOfWeek":0,"atHour":23}', '2024-06-01 20:00Z', 'Europe/Berlin', '2024-06-02 21:00Z', 'weekly: Saturday -> Sunday 23:00'),
    ('{"kind":"weekly","dayOfWeek":6,"atHour":0}', '2024-06-02 00:00Z', 'UTC', '2024-06-08 00:00Z', 'weekly: Sunday -> Saturday, six days on'),
    ('{"kind":"weekly","dayOfWeek":3,"atHour":0}', '2024-12-30 12:00Z', 'UTC', '2025-01-01 00:00Z', 'weekly across the year boundary'),
    ('{"kind":"weekly","dayOfWeek":4,"atHour":12}', '2024-02-27 12:00Z', 'UTC', '2024-02-29 12:00Z', 'weekly onto Feb 29'),
    ('{"kind":"weekly","dayOfWeek":4,"atHour":12}', '2023-02-27 12:00Z', 'UTC', '2023-03-02 12:00Z', 'weekly across Feb 28 in a non-leap year'),
    -- weekly Sunday 02:00 across Berlin's transition nights (both are Sundays)
    ('{"kind":"weekly","dayOfWeek":0,"atHour":2}', '2024-03-30 12:00Z', 'Europe/Berlin', '2024-03-31 01:00Z', 'weekly Sunday 02:00 in the gap -> 03:00 CEST'),
    ('{"kind":"weekly","dayOfWeek":0,"atHour":2}', '2024-03-31 01:00Z', 'Europe/Berlin', '2024-04-07 00:00Z', 'weekly, at the gap-shifted slot -> next Sunday 02:00 CEST'),
    ('{"kind":"weekly","dayOfWeek":0,"atHour":2}', '2024-10-26 12:00Z', 'Europe/Berlin', '2024-10-27 00:00Z', 'weekly Sunday 02:00 in the overlap -> the earlier instant'),
    ('{"kind":"weekly","dayOfWeek":0,"atHour":2}', '2024-10-27 00:00Z', 'Europe/Berlin', '2024-11-03 01:00Z', 'weekly, at the overlap slot -> next Sunday 02:00 CET'),
    ('{"kind":"weekly","dayOfWeek":0,"atHour":2}', '2024-10-27 01:00Z', 'Europe/Berlin', '2024-11-03 01:00Z', 'weekly, from the second 02:00 -> next week'),
    ('{"kind":"weekly","dayOfWeek":1,"atHour":9}', '2024-06-03 03:00Z', 'Asia/Kolkata', '2024-06-03 03:30Z', 'Kolkata weekly Monday 09:00'),
    ('{"kind":"weekly","dayOfWeek":0,"atHour":0}', '2024-06-01 14:59Z', 'Asia/Tokyo', '2024-06-01 15:00Z', 'Tokyo weekly Sunday 00:00 is Saturday 15:00Z'),
    -- cron goes through cron_next
    ('{"kind":"cron","expression":"30 2 * * *"}', '2024-03-30 12:00Z', 'Europe/Berlin', '2024-03-31 01:30Z', 'cron 02:30 in the gap -> 03:30 CEST'),
    ('{"kind":"cron","expression":"30 2 * * *"}', '2024-10-27 00:30Z', 'Europe/Berlin', '2024-10-28 01:30Z', 'cron 02:30: the second 02:30 does not fire'),
    ('{"kind":"cron","expression":"0 9 * * 1-5"}', '2024-06-01 10:00Z', 'UTC', '2024-06-03 09:00Z', 'cron weekdays'),
    ('{"kind":"cron","expression":"0 0 29 2 *"}', '2024-03-01 00:00Z', 'UTC', '2028-02-29 00:00Z', 'cron 29 Feb -> next leap year'),
    -- no slot
    ('{"kind":"manual"}', '2024-06-01 10:00Z', 'Europe/Berlin', null, 'manual -> NULL'),
    ('{"kind":"cron","expression":"0 0 30 2 *"}', '2024-06-01 10:00Z', 'Europe/Berlin', null, 'cron that never fires -> NULL'),
    ('{"kind":"cron","expression":"61 * * * *"}', '2024-06-01 10:00Z', 'Europe/Berlin', null, 'invalid cron -> NULL'),
    ('{"kind":"daily","atHour":24,"atMinute":0}', '2024-06-01 10:00Z', 'Europe/Berlin', null, 'invalid daily -> NULL'),
    ('{"kind":"interval","everyMinutes":"5"}', '2024-06-01 10:00Z', 'Europe/Berlin', null, 'invalid interval -> NULL'),
    ('{"kind":"interval","everyMinutes":1e12}', '2024-06-01 10:00Z', 'Europe/Berlin', null, 'interval beyond the JavaScript Date range -> NULL'),
    ('{"kind":"hourly"}', '2024-06-01 10:00Z', 'Europe/Berlin', null, 'unknown kind -> NULL')
  ) v(c, f, tz, want, description);

select is_empty($$
  select c from (values ('{"kind":"interval","everyMinutes":5}'::jsonb), ('{"kind":"daily","atHour":1,"atMinute":2}'),
                        ('{"kind":"weekly","dayOfWeek":1,"atHour":2}'), ('{"kind":"cron","expression":"* * * * *"}')) v(c)
   where mana_ai_private.next_slot(c, null, 'Europe/Berlin') is not null
      or mana_ai_private.next_slot(c, 'infinity', 'Europe/Berlin') is not null
      or mana_ai_private.next_slot(c, '-infinity', 'Europe/Berlin') is not null
      or mana_ai_private.next_slot(null, '2024-06-01 10:00Z', 'Europe/Berlin') is not null $$,
  'NULL or infinite from, and NULL cadence -> NULL for every kind');
select lives_ok($$ select mana_ai_private.next_slot(c::jsonb, f::timestamptz, 'Europe/Berlin') from (values
    ('{"kind":"interval","everyMinutes":1e308}', '2024-06-01 10:00Z'), ('{"kind":"interval","everyMinutes":1e400}', '2024-06-01 10:00Z'),
    ('{"kind":"interval","everyMinutes":1e-320}', '2024-06-01 10:00Z'), ('{"kind":"interval","everyMinutes":1}', '294276-12-31 23:59Z'),
    ('{"kind":"daily","atHour":23,"atMinute":59}', '294276-12-31 23:59Z'), ('{"kind":"daily","atHour":0,"atMinute":0}', '4713-01-01 00:00Z BC'),
    ('{"kind":"weekly","dayOfWeek":6,"atHour":23}', '9999-12-31 23:59Z'), ('{"kind":"cron","expression":"* * * * *"}', '294276-12-31 23:59Z'),
    ('[]', '2024-06-01 10:00Z'), ('{"kind":{"nested":true}}', '2024-06-01 10:00Z')) v(c, f) $$,
  'extreme numbers and instants at the ends of the timestamp range never raise');
select throws_ok($$ select mana_ai_private.next_slot('{"kind":"daily","atHour":9,"atMinute":0}', '2024-06-01 10:00Z', 'Mars/Olympus') $$,
  '22023', null, 'an unknown zone raises for wall-clock kinds (a configuration error, kept out by set_timezone)');
select is((select provolatile::text || proparallel::text from pg_catalog.pg_proc
            where oid = 'mana_ai_private.next_slot(jsonb, timestamptz, text)'::regprocedure), 'ss',
  'stable (reads the tz database) and parallel safe');

select * from finish();
rollback;
