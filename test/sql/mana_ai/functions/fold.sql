-- mana_ai.fold(): the listener's entry to the fold; privileges, bounds, counters and what it enqueues.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(8);

select is_definer('mana_ai', 'fold', array['integer'], 'fold is security definer');
select function_privs_are('mana_ai', 'fold', array['integer'], 'mana_ai_runner', array['EXECUTE'], 'the runtime role may execute it');
select function_privs_are('mana_ai', 'fold', array['integer'], 'public', array[]::text[], 'PUBLIC may not');

select tests.freeze_time('2024-01-01 00:30Z');
select tests.sync('u1', 'aiMissions', 'm1', 'insert',
  '{"state":"active","nextRunAt":"2024-01-01T00:10:00.000Z","cadence":{"kind":"interval","everyMinutes":60}}', '{}', 'ai', null, 'd', false);
select tests.sync('u1', 'aiMissions', 'm2', 'insert',
  '{"state":"active","nextRunAt":"2024-01-02T00:10:00.000Z","cadence":{"kind":"interval","everyMinutes":60}}', '{}', 'ai', null, 'd', false);
select tests.as_role('mana_ai_runner');
select throws_ok($$ select mana_ai.fold(10001) $$, 'MA101', 'fold: invalid limit 10001 (1 … 10000)', 'more than 10,000 rows per call is refused');
select is(mana_ai.fold() - 'missionsChanged' - 'newMissions' - 'missionRows' - 'records',
          '{"rows": 2, "enqueued": 1}'::jsonb, 'the runtime role folds the queue; the mission that became due is enqueued');
reset role;
select results_eq($$ select mission_id, slot from mana_ai.runs $$, $$ values ('m1'::text, '2024-01-01 00:10Z'::timestamptz) $$,
  'one run, for the due mission''s slot');
select is((select sum(delta)::int from mana_ai_private.counter_deltas where name = 'fold_rows'), 2, 'folded rows are counted (fold_rows)');
select results_eq($$ select rows, oldest_captured_at, oldest_age_seconds from mana_ai.v_capture_backlog $$,
  $$ values (0::bigint, null::timestamptz, 0::double precision) $$, 'v_capture_backlog: nothing left');

select * from finish();
rollback;
