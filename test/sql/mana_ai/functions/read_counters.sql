-- mana_ai.read_counters(): totals plus pending deltas, and the capture queue gauges, for the listener's
-- scrape.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(6);

select is_definer('mana_ai', 'read_counters', array[]::name[], 'read_counters is security definer');
select function_privs_are('mana_ai', 'read_counters', array[]::name[], 'mana_ai_runner', array['EXECUTE'], 'the runtime role may execute it');

insert into mana_ai_private.counters (name, value) values ('snapshots_new', 10), ('agent_decisions:skipped-paused', 2);
select mana_ai_private.count_many('{"snapshots_new": 3, "snapshot_rows_applied": 7}');
select mana_ai_private.count_many('{"snapshots_new": 1}');
select tests.as_role('mana_ai_runner');
select results_eq($$ select name, value from mana_ai.read_counters() $$,
  $$ values ('agent_decisions:skipped-paused'::text, 2::bigint), ('capture_backlog_oldest_age_ms', 0), ('capture_backlog_rows', 0),
           ('snapshot_rows_applied', 7), ('snapshots_new', 14) $$,
  'totals plus every pending delta, by name, and an empty capture queue');
select mana_ai.tick();
select results_eq($$ select name, value from mana_ai.read_counters() $$,
  $$ values ('agent_decisions:skipped-paused'::text, 2::bigint), ('capture_backlog_oldest_age_ms', 0), ('capture_backlog_rows', 0),
           ('snapshot_rows_applied', 7), ('snapshots_new', 14) $$,
  'folding the deltas in a tick does not change what is read');
reset role;

-- the capture queue gauges: two rows captured at transaction start, read 90 s later
select tests.sync('u1', 'aiMissions', 'g1', 'insert', '{"state":"active"}', '{}', 'ai', null, 'd', false);
select tests.sync('u1', 'aiMissions', 'g2', 'insert', '{"state":"active"}', '{}', 'ai', null, 'd', false);
select tests.freeze_time(now() + interval '90 seconds');
select tests.as_role('mana_ai_runner');
select is((select value from mana_ai.read_counters() where name = 'capture_backlog_rows'), 2::bigint, 'the backlog counts captured rows');
select is((select value from mana_ai.read_counters() where name = 'capture_backlog_oldest_age_ms'), 90000::bigint,
  'and the age of the oldest, in ms');
reset role;

select * from finish();
rollback;
