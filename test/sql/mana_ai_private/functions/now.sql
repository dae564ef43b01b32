-- now(): the runner's clock honours mana_ai.now only where settings.allow_test_clock is on.
begin;
select plan(3);
select tests.freeze_time('2030-01-01 00:00:00+00');
select is(mana_ai_private.now(), '2030-01-01 00:00:00+00'::timestamptz, 'the test clock moves time in a test database');
update mana_ai_private.settings set allow_test_clock = false;
select is(mana_ai_private.now(), now(), 'without allow_test_clock the GUC is ignored (a runtime role cannot time-travel)');
update mana_ai_private.settings set allow_test_clock = true;
select set_config('mana_ai.now', '', true);
select is(mana_ai_private.now(), now(), 'an empty override means the real clock');
select * from finish();
rollback;
