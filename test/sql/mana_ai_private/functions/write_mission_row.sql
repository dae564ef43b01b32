-- mana_ai_private.write_mission_row(): the re-check and the row (the full row is asserted in
-- test/sql/mana_ai/functions/complete_run.sql and fail_run.sql).
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(6);

select tests.freeze_time('2024-01-01 00:30Z');
select pg_temp.sync_mission('u1', 'm1', '{"nextRunAt": "2024-01-01T00:10:00.000Z", "cadence": {"kind": "interval", "everyMinutes": 15}}', '2024-01-01 00:01Z');
select set_config('app.current_user_id', 'someone-else', true);

select is(mana_ai_private.write_mission_row('u1', 'm1', '2024-01-01 00:05Z', null, '2024-01-01 00:30Z'), null,
  'another slot than the due one: nothing written (NULL)');
select is(mana_ai_private.write_mission_row('u1', 'nope', '2024-01-01 00:10Z', null, '2024-01-01 00:30Z'), null,
  'an unknown mission: NULL');
select throws_ok($$ select mana_ai_private.write_mission_row('', 'm1', '2024-01-01 00:10Z', null, '2024-01-01 00:30Z') $$,
  'MA105', null, 'an empty user id is refused');
select is(mana_ai_private.write_mission_row('u1', 'm1', '2024-01-01 00:10Z', null, '2024-01-01 00:30Z') - 'changeId',
  '{"stamp": "2024-01-01T00:30:00.000Z", "nextRunAt": "2024-01-01T00:45:00.000Z", "agentResolved": false}',
  'the due slot: a schedule-only row with the next slot of the cadence');
select is(current_setting('app.current_user_id', true), 'someone-else', 'the caller''s own RLS scope is restored');
select is(mana_ai_private.write_mission_row('u1', 'm1', '2024-01-01 00:10Z', null, '2024-01-01 00:30Z'), null,
  'the same slot again: the mission moved on, nothing written');

select * from finish();
rollback;
