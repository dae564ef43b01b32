-- mana_ai.next_wakeup(): the listener's timer (earliest future due slot, retry time or lease end).
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(9);

select is_definer('mana_ai', 'next_wakeup', array[]::name[], 'next_wakeup is security definer');
select function_privs_are('mana_ai', 'next_wakeup', array[]::name[], 'mana_ai_runner', array['EXECUTE'], 'the runtime role may execute it');

select tests.freeze_time('2024-01-01 00:30Z');
select tests.as_role('mana_ai_runner');
select is(mana_ai.next_wakeup(), null, 'nothing pending → NULL');
reset role;

select pg_temp.agent('u1', 'a-paused', 'paused');
select pg_temp.mission('u1', 'past', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 'later', '2024-01-01 01:00Z');
select pg_temp.mission('u1', 'gated', '2024-01-01 00:45Z', 'a-paused');
select tests.as_role('mana_ai_runner');
select is(mana_ai.next_wakeup(), '2024-01-01 01:00Z'::timestamptz,
  'the next slot of an ungated mission; past slots and gated missions do not count');
reset role;

select pg_temp.mission('u1', 'r1', '2024-01-01 00:01Z');
select pg_temp.mission('u1', 'r2', '2024-01-01 00:02Z');
select pg_temp.mission('u1', 'r3', '2024-01-01 00:03Z');
select mana_ai_private.enqueue_due('2024-01-01 00:30Z');
update mana_ai.runs set status = 'failed', attempts = 3, retry_at = '2024-01-01 00:31Z' where mission_id = 'r1';
update mana_ai.runs set status = 'failed', attempts = 1, retry_at = '2024-01-01 00:40Z' where mission_id = 'r2';
select tests.as_role('mana_ai_runner');
select is(mana_ai.next_wakeup(), '2024-01-01 00:40Z'::timestamptz,
  'the retry time of a retryable failed run; one without attempts left does not count');
reset role;
update mana_ai.runs set status = 'running', attempts = 1, lease_token = gen_random_uuid(), lease_until = '2024-01-01 00:35Z'
 where mission_id = 'r3';
select tests.as_role('mana_ai_runner');
select is(mana_ai.next_wakeup(), '2024-01-01 00:35Z'::timestamptz, 'the end of a running lease');
reset role;
update mana_ai.runs set lease_until = '2024-01-01 00:29Z' where mission_id = 'r3';
update mana_ai.runs set retry_at = '2024-01-01 00:20Z' where mission_id = 'r2';
select tests.as_role('mana_ai_runner');
select is(mana_ai.next_wakeup(), '2024-01-01 01:00Z'::timestamptz, 'instants already past are not future wake-ups');
reset role;
select tests.freeze_time('2024-01-01 01:00Z');
select tests.as_role('mana_ai_runner');
select is(mana_ai.next_wakeup(), null, 'a slot equal to now is due, not a future wake-up');
reset role;
select pg_temp.agent('u1', 'a-paused', 'active');
select pg_temp.mission('u1', 'gated', '2024-01-01 01:45Z', 'a-paused');
select tests.as_role('mana_ai_runner');
select is(mana_ai.next_wakeup(), '2024-01-01 01:45Z'::timestamptz, 'a resumed agent''s missions count again');
reset role;

select * from finish();
rollback;
