-- mana_ai_private.finish_exhausted_run(): dead with the schedule advanced, superseded, or failed.
-- The paths through fail_run and tick are in test/sql/mana_ai/functions/{fail_run,tick}.sql.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(4);

select tests.freeze_time('2024-01-01 00:30Z');
select pg_temp.sync_mission('u1', 'm1', '{"nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:01Z');
select pg_temp.sync_mission('u1', 'm2', '{"nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:02Z');
update mana_ai.runs set status = 'running', attempts = 3, lease_token = gen_random_uuid(), lease_until = '2024-01-01 00:29Z';
select pg_temp.sync_update('u1', 'aiMissions', 'm2', '{"nextRunAt": null}', '2024-01-01T00:20:00.000Z', '2024-01-01 00:20Z');

select is(mana_ai_private.finish_exhausted_run(pg_temp.run_id('u1', 'm1'), '2024-01-01 00:30Z') ->> 'status', 'dead',
  'an exhausted run of a still-due mission dies with the schedule advanced');
select is(mana_ai_private.finish_exhausted_run(pg_temp.run_id('u1', 'm2'), '2024-01-01 00:30Z'), '{"status": "superseded"}',
  'a mission no longer due at the slot: superseded');
select is((select (r).error_class from (select pg_temp.run(pg_temp.run_id('u1', 'm2')) r) x), 'lease-expired',
  'an expired running run records why it ended');
select is(mana_ai_private.finish_exhausted_run(-1, '2024-01-01 00:30Z'), '{"status": "missing"}', 'an unknown run id is reported');

select * from finish();
rollback;
