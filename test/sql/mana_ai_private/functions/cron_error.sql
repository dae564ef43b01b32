-- mana_ai_private.cron_error(): NULL for a valid 5-field cron expression, else a reason naming the
-- field (docs/scheduling.md §5.1; grammar in the function's header).
begin;
select plan(59);

-- valid ------------------------------------------------------------------------------------------
select is(mana_ai_private.cron_error(e), null, format('valid: %s', description))
  from (values
    ('* * * * *', 'all stars'),
    ('0 9 * * 1-5', 'range'),
    ('0,15,30,45 * * * *', 'list'),
    ('*/15 * * * *', 'step over *'),
    ('10-50/20 * * * *', 'step over a range'),
    ('5/20 * * * *', 'a/n (a to max by n)'),
    ('0 0 1,15 */2 *', 'lists and steps in other fields'),
    ('0 9 * JAN-MAR mon-fri', 'month and day names in ranges, any case'),
    ('0 9 * jul,Dec SUN,sat', 'names in lists'),
    ('0 9 * * 7', 'day-of-week 7 (Sunday)'),
    ('0 9 * * 0-7', 'day-of-week 0-7'),
    ('59 23 31 12 6', 'every field at its maximum'),
    ('0 0 1 1 0', 'every field at its minimum'),
    ('00 09 * * *', 'leading zeros'),
    (E'  0\t9  *  *  *  ', 'tabs, repeated and surrounding whitespace'),
    ('0 0 29 2 *', 'a date that exists only in leap years'),
    ('0 0 30 2 *', 'a date that never exists is still syntactically valid'),
    ('*/100 * * * *', 'a step longer than the range')
  ) v(e, description);

-- invalid ----------------------------------------------------------------------------------------
select is(mana_ai_private.cron_error(e), want, format('invalid: %s', description))
  from (values
    ('61 * * * *', 'minute field: value 61 out of range 0-59', 'minute 61'),
    ('* 24 * * *', 'hour field: value 24 out of range 0-23', 'hour 24'),
    ('* * 0 * *', 'day-of-month field: value 0 out of range 1-31', 'day-of-month 0'),
    ('* * 32 * *', 'day-of-month field: value 32 out of range 1-31', 'day-of-month 32'),
    ('* * * 13 *', 'month field: value 13 out of range 1-12', 'month 13'),
    ('* * * 0 *', 'month field: value 0 out of range 1-12', 'month 0'),
    ('* * * * 8', 'day-of-week field: value 8 out of range 0-7', 'day-of-week 8'),
    ('99999999999 * * * *', 'minute field: value 99999999999 out of range 0-59', 'a huge number'),
    ('* * *', 'expected 5 fields (minute hour day-of-month month day-of-week), got 3', 'three fields'),
    ('0 0 * * * *', 'expected 5 fields (minute hour day-of-month month day-of-week), got 6: seconds and year fields are not supported', 'six fields'),
    ('0 0 0 * * * 2024', 'expected 5 fields (minute hour day-of-month month day-of-week), got 7: seconds and year fields are not supported', 'seven fields'),
    ('a b c d e', 'minute field: invalid value a', 'letters'),
    ('', 'expression is empty', 'empty'),
    (E' \t ', 'expression is empty', 'only whitespace'),
    ('*/0 * * * *', 'minute field: step must be at least 1 in */0', 'step 0'),
    ('0-59/00 * * * *', 'minute field: step must be at least 1 in 0-59/00', 'step 00 over a range'),
    ('*/ * * * *', 'minute field: invalid step in */', 'missing step'),
    ('*/x * * * *', 'minute field: invalid step in */x', 'non-numeric step'),
    ('5-1 * * * *', 'minute field: range 5-1 is backwards', 'backwards range'),
    ('0 0 * * SAT-SUN', 'day-of-week field: range SAT-SUN is backwards', 'backwards day-name range'),
    ('1,,2 * * * *', 'minute field: empty list item in 1,,2', 'empty list item'),
    ('1, * * * *', 'minute field: empty list item in 1,', 'trailing comma'),
    ('1-2-3 * * * *', 'minute field: cannot parse 1-2-3', 'double range'),
    ('*/5/2 * * * *', 'minute field: cannot parse */5/2', 'double step'),
    ('5-* * * * *', 'minute field: cannot parse 5-*', 'star as a range end'),
    ('-5 * * * *', 'minute field: cannot parse -5', 'negative number'),
    ('mon * * * *', 'minute field: invalid value mon', 'a day name in the minute field'),
    ('0 0 * mon *', 'month field: invalid value mon', 'a day name in the month field'),
    ('0 0 * * jan', 'day-of-week field: invalid value jan', 'a month name in the day-of-week field'),
    ('0 0 * * MONDAY', 'day-of-week field: invalid value MONDAY', 'a long day name'),
    ('0 0 ? * *', 'day-of-month field: invalid value ?', 'Quartz ?'),
    ('0 0 L * *', 'day-of-month field: invalid value L', 'Quartz L'),
    ('0 0 * * 1#2', 'day-of-week field: invalid value 1#2', 'Quartz #'),
    ('@daily', 'macro @daily is not supported: use 5 fields (minute hour day-of-month month day-of-week)', '@daily macro'),
    ('@reboot', 'macro @reboot is not supported: use 5 fields (minute hour day-of-month month day-of-week)', '@reboot macro')
  ) v(e, want, description);

select is(mana_ai_private.cron_error(null), 'expression is missing', 'NULL is missing, not valid');
select is(mana_ai_private.cron_error(repeat('1,', 600) || '1 * * * *'),
  'expression is too long (more than 1000 characters)', 'an overlong expression is rejected without parsing');
select lives_ok($$ select mana_ai_private.cron_error(e) from (values (E'\\'), ('%s'), ('(((('), ('* * * * *,'),
                    (repeat('9', 500) || ' * * * *'), ('1-' || repeat('9', 40) || ' * * * *')) v(e) $$,
  'odd input never raises');
select is(mana_ai_private.cron_error('1-99999 * * * *'), 'minute field: value 99999 out of range 0-59',
  'the end of a range is range-checked too');
select is(mana_ai_private.cron_error('0 0 1 foo *'), 'month field: invalid value foo', 'an unknown month name');
select is((select provolatile::text || proparallel::text from pg_catalog.pg_proc
            where oid = 'mana_ai_private.cron_error(text)'::regprocedure), 'is',
  'immutable and parallel safe');

select * from finish();
rollback;
