-- mana_ai_private.cron_fields(): the one cron parser. Valid expressions give one resolved range per
-- list item; invalid ones exactly one row carrying the reason (the reasons themselves are pinned in
-- cron_error's test, which reads them from here).
begin;
select plan(11);

select results_eq(
  $$ select field, lo, hi, step, starred, error from mana_ai_private.cron_fields('*/15 9-17 1,15 JAN-mar/2 sun') $$,
  $$ values (1, 0, 59, 15, true, null::text), (2, 9, 17, 1, false, null), (3, 1, 1, 1, false, null),
            (3, 15, 15, 1, false, null), (4, 1, 3, 2, false, null), (5, 0, 0, 1, false, null) $$,
  'every list item of every field as lo..hi by step, names resolved, in field order');
select results_eq(
  $$ select field, lo, hi, step from mana_ai_private.cron_fields('5/20 * * * 7') $$,
  $$ values (1, 5, 59, 20), (2, 0, 23, 1), (3, 1, 31, 1), (4, 1, 12, 1), (5, 7, 7, 1) $$,
  'a/n runs to the field maximum; day-of-week 7 is kept as 7 (cron_next folds it onto Sunday)');
select is((select step from mana_ai_private.cron_fields('*/99999 * * * *') where field = 1), 100,
  'a step longer than any range is capped at 100 (keeps only lo)');
select is((select array_agg(starred order by field) from mana_ai_private.cron_fields('*/2 * 1 * 1')),
  array[true, true, false, true, false], 'starred: the field text starts with *');

select results_eq(
  $$ select field, lo, hi, step, starred, error from mana_ai_private.cron_fields('0 9 * * 1,,2') $$,
  $$ values (null::int, null::int, null::int, null::int, null::boolean, 'day-of-week field: empty list item in 1,,2') $$,
  'an error in the last field yields only the error row, none of the ranges before it');
select is((select count(*) from mana_ai_private.cron_fields(e))::int, 1, format('one error row: %s', coalesce(e, 'NULL')))
  from (values (null::text), (''), ('@daily'), ('0 0 * * * *')) v(e);
select is((select error from mana_ai_private.cron_fields(repeat('* ', 600))),
  'expression is too long (more than 1000 characters)', 'length is checked before any split');
select lives_ok($$ select * from mana_ai_private.cron_fields(E'99999999999999999999/0 L W # ?') $$,
  'never raises on hostile input');
select * from finish();
rollback;
