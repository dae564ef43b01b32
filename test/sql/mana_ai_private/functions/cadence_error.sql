-- mana_ai_private.cadence_error(): NULL for a valid cadence (docs/scheduling.md §1), else a reason.
begin;
select plan(50);

-- valid ------------------------------------------------------------------------------------------
select is(mana_ai_private.cadence_error(c::jsonb), null, format('valid: %s', description))
  from (values
    ('{"kind":"manual"}', 'manual'),
    ('{"kind":"manual","everyMinutes":"junk"}', 'manual ignores other keys'),
    ('{"kind":"interval","everyMinutes":30}', 'interval'),
    ('{"kind":"interval","everyMinutes":0.5}', 'interval with fractional minutes'),
    ('{"kind":"interval","everyMinutes":1e308}', 'interval with a huge but finite number'),
    ('{"kind":"daily","atHour":0,"atMinute":0}', 'daily at midnight'),
    ('{"kind":"daily","atHour":23,"atMinute":59}', 'daily at 23:59'),
    ('{"kind":"daily","atHour":5.0,"atMinute":30}', 'daily: 5.0 is the integer 5, as in JavaScript'),
    ('{"kind":"daily","atHour":9,"atMinute":0,"label":"x","dayOfWeek":99}', 'daily ignores unknown and foreign keys'),
    ('{"kind":"weekly","dayOfWeek":0,"atHour":0}', 'weekly Sunday'),
    ('{"kind":"weekly","dayOfWeek":6,"atHour":23}', 'weekly Saturday 23:00'),
    ('{"kind":"weekly","dayOfWeek":1,"atHour":9,"atMinute":99}', 'weekly has no minute field, atMinute is ignored'),
    ('{"kind":"cron","expression":"*/5 * * * *"}', 'cron')
  ) v(c, description);

-- invalid ----------------------------------------------------------------------------------------
select is(mana_ai_private.cadence_error(c::jsonb), want, format('invalid: %s', description))
  from (values
    ('[]', 'cadence must be a JSON object, got array', 'an array'),
    ('"daily"', 'cadence must be a JSON object, got string', 'a string'),
    ('42', 'cadence must be a JSON object, got number', 'a number'),
    ('null', 'cadence must be a JSON object, got null', 'JSON null'),
    ('{}', 'cadence kind is missing', 'missing kind'),
    ('{"kind":null}', 'cadence kind is missing', 'null kind'),
    ('{"kind":1}', 'cadence kind must be a string, got 1', 'numeric kind'),
    ('{"kind":"hourly"}', 'unknown cadence kind, got "hourly"', 'unknown kind'),
    ('{"kind":"Daily","atHour":1,"atMinute":1}', 'unknown cadence kind, got "Daily"', 'kinds are case-sensitive'),
    ('{"kind":"interval"}', 'interval cadence: everyMinutes must be a finite number > 0, got nothing', 'everyMinutes missing'),
    ('{"kind":"interval","everyMinutes":0}', 'interval cadence: everyMinutes must be a finite number > 0, got 0', 'everyMinutes 0'),
    ('{"kind":"interval","everyMinutes":-1}', 'interval cadence: everyMinutes must be a finite number > 0, got -1', 'everyMinutes -1'),
    ('{"kind":"interval","everyMinutes":"5"}', 'interval cadence: everyMinutes must be a finite number > 0, got "5"', 'everyMinutes as a string'),
    ('{"kind":"interval","everyMinutes":null}', 'interval cadence: everyMinutes must be a finite number > 0, got null', 'everyMinutes null'),
    ('{"kind":"interval","everyMinutes":true}', 'interval cadence: everyMinutes must be a finite number > 0, got true', 'everyMinutes boolean'),
    ('{"kind":"interval","everyMinutes":1e400}', 'interval cadence: everyMinutes must be a finite number > 0, got 1.000e+400', 'everyMinutes 1e400 is Infinity in JavaScript'),
    ('{"kind":"interval","everyMinutes":1e-400}', 'interval cadence: everyMinutes must be a finite number > 0, got 1.000e-400', 'everyMinutes 1e-400 is 0 in JavaScript'),
    ('{"kind":"daily","atHour":24,"atMinute":0}', 'daily cadence: atHour must be an integer 0-23, got 24', 'atHour 24'),
    ('{"kind":"daily","atHour":-1,"atMinute":0}', 'daily cadence: atHour must be an integer 0-23, got -1', 'atHour -1'),
    ('{"kind":"daily","atHour":1.5,"atMinute":0}', 'daily cadence: atHour must be an integer 0-23, got 1.5', 'atHour 1.5'),
    ('{"kind":"daily","atHour":"9","atMinute":0}', 'daily cadence: atHour must be an integer 0-23, got "9"', 'atHour as a string'),
    ('{"kind":"daily","atHour":1e400,"atMinute":0}', 'daily cadence: atHour must be an integer 0-23, got 1.000e+400', 'atHour 1e400'),
    ('{"kind":"daily","atHour":9}', 'daily cadence: atMinute must be an integer 0-59, got nothing', 'atMinute missing'),
    ('{"kind":"daily","atHour":9,"atMinute":60}', 'daily cadence: atMinute must be an integer 0-59, got 60', 'atMinute 60'),
    ('{"kind":"weekly","dayOfWeek":7,"atHour":9}', 'weekly cadence: dayOfWeek must be an integer 0-6, got 7', 'dayOfWeek 7 (cron allows it, weekly does not)'),
    ('{"kind":"weekly","dayOfWeek":2.5,"atHour":9}', 'weekly cadence: dayOfWeek must be an integer 0-6, got 2.5', 'dayOfWeek 2.5'),
    ('{"kind":"weekly","atHour":9}', 'weekly cadence: dayOfWeek must be an integer 0-6, got nothing', 'dayOfWeek missing'),
    ('{"kind":"weekly","dayOfWeek":1,"atHour":24}', 'weekly cadence: atHour must be an integer 0-23, got 24', 'weekly atHour 24'),
    ('{"kind":"weekly","dayOfWeek":1,"atHour":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}', 'weekly cadence: atHour must be an integer 0-23, got [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, ...', 'a long value is cut'),
    ('{"kind":"cron"}', 'cron cadence: expression must be a string, got nothing', 'cron without expression'),
    ('{"kind":"cron","expression":5}', 'cron cadence: expression must be a string, got 5', 'cron expression not a string'),
    ('{"kind":"cron","expression":"61 * * * *"}', 'cron cadence: minute field: value 61 out of range 0-59', 'cron expression invalid'),
    ('{"kind":"cron","expression":"@daily"}', 'cron cadence: macro @daily is not supported: use 5 fields (minute hour day-of-month month day-of-week)', 'cron macro')
  ) v(c, want, description);

select is(mana_ai_private.cadence_error(null), 'cadence is missing', 'SQL NULL is missing, not valid');
select lives_ok($$ select mana_ai_private.cadence_error(c) from (values
    ('{"kind":"interval","everyMinutes":-1e400}'::jsonb), ('{"kind":"interval","everyMinutes":1e100000}'),
    ('{"kind":"daily","atHour":-1e-400,"atMinute":1e131000}'), ('{"kind":"weekly","dayOfWeek":1e-16000,"atHour":1e15}')) v(c) $$,
  'extreme numbers never raise');
select is(mana_ai_private.cadence_error('{"kind":"daily","atHour":23.000000000000000001,"atMinute":0}'), null,
  'a number JavaScript reads as an integer is one (23.000000000000000001 parses to 23)');
select is((select provolatile::text || proparallel::text from pg_catalog.pg_proc
            where oid = 'mana_ai_private.cadence_error(jsonb)'::regprocedure), 'is',
  'immutable and parallel safe');

select * from finish();
rollback;
