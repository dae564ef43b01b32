-- The capture triggers on sync_changes and the fold behind them: the INSERT only queues ai mission/
-- agent rows; what mana_ai.fold() then projects, ignores and quarantines; bad data never fails the sync
-- server's INSERT. (tests.sync folds after each insert, as a listener does right after the commit.)
begin;
select plan(48);

select tests.freeze_time('2026-06-01 12:00:00+00');

-- a mission and an agent ------------------------------------------------------------------------
select tests.sync('u1', 'agents', 'ag1', 'insert', '{"name":"Scout","state":"active","maxConcurrentMissions":2,"updatedAt":"2026-05-01T00:00:00.000Z"}');
select tests.sync('u1', 'aiMissions', 'm1', 'insert', jsonb_build_object(
  'title', 'M', 'objective', 'O', 'state', 'active', 'agentId', 'ag1', 'iterations', '[]'::jsonb,
  'cadence', '{"kind":"interval","everyMinutes":60}'::jsonb, 'nextRunAt', '2026-07-01T00:00:00.000Z',
  'createdAt', '2026-05-01T00:00:00.000Z', 'updatedAt', '2026-05-01T00:00:00.000Z'));

select results_eq(
  $$ select present, deleted, state, agent_id, next_run_at, due_at, cadence_error from mana_ai_private.projections
      where user_id = 'u1' and record_id = 'm1' $$,
  $$ values (true, false, 'active'::text, 'ag1'::text, '2026-07-01 00:00:00+00'::timestamptz, '2026-07-01 00:00:00+00'::timestamptz, null::text) $$,
  'a mission insert is projected with its decision columns');
select results_eq(
  $$ select present, state, name, max_concurrent from mana_ai_private.projections where user_id = 'u1' and record_id = 'ag1' $$,
  $$ values (true, 'active'::text, 'Scout'::text, 2::numeric) $$,
  'an agent insert is projected with name and quota');
select ok(not (select vals from mana_ai_private.projections where record_id = 'm1') ? 'iterations',
          'large fields are not copied into the projection (only a pointer is kept)');
select is(mana_ai_private.record_json('u1', 'aiMissions', 'm1') -> 'iterations', '[]'::jsonb,
          'the full record is read back through the pointers');

-- what is ignored -------------------------------------------------------------------------------
select tests.sync('u1', 'notes', 'n1', 'insert', '{"title":"x"}', '{}', 'notes');
select tests.sync('u1', 'aiOther', 'x1', 'insert', '{"title":"x"}');
select is((select count(*)::int from mana_ai_private.projections where record_id in ('n1', 'x1')), 0,
          'rows of other apps and of other ai tables are not projected');

-- field updates and the due column ----------------------------------------------------------------
select tests.sync('u1', 'aiMissions', 'm1', 'update', '{"nextRunAt":"2026-06-01T11:00:00.000Z"}', '{"nextRunAt":"2026-05-02T00:00:00.000Z"}');
select is((select due_at from mana_ai_private.projections where record_id = 'm1'), '2026-06-01 11:00:00+00'::timestamptz,
          'a newer nextRunAt moves the due instant');
select tests.sync('u1', 'aiMissions', 'm1', 'update', '{"state":"paused"}', '{"state":"2026-05-03T00:00:00.000Z"}');
select is((select due_at from mana_ai_private.projections where record_id = 'm1'), null, 'a paused mission is not due');
select tests.sync('u1', 'aiMissions', 'm1', 'update', '{"state":"active"}', '{"state":"2026-05-02T12:00:00.000Z"}');
select is((select state from mana_ai_private.projections where record_id = 'm1'), 'paused', 'an older resume loses (field-level LWW)');

-- a late commit: an older created_at than what was folded is re-folded from the log --------------
select tests.sync('u1', 'aiMissions', 'm1', 'update', '{"title":"late but newest"}', '{"title":"2026-05-30T00:00:00.000Z"}',
                  'ai', '2026-01-01 00:00:00+00');
select is(mana_ai_private.record_json('u1', 'aiMissions', 'm1') ->> 'title', 'late but newest', 'a late-committing row with the newest stamp wins');
select is((select state from mana_ai_private.projections where record_id = 'm1'), 'paused', 'and the rest of the record is unchanged');

-- deletes ---------------------------------------------------------------------------------------
-- (explicit created_at: rows of one transaction share it, and the (created_at, id) order would be random)
select tests.sync('u1', 'aiMissions', 'm2', 'insert', '{"state":"active","nextRunAt":"2026-07-01T00:00:00.000Z","cadence":{"kind":"manual"}}',
                  '{}', 'ai', '2026-05-01 00:00:01+00');
select tests.sync('u1', 'aiMissions', 'm2', 'delete', '{"deletedAt":"2026-05-05T00:00:00.000Z"}', '{}', 'ai', '2026-05-01 00:00:02+00');
select results_eq($$ select present, deleted, due_at from mana_ai_private.projections where record_id = 'm2' $$,
                  $$ values (true, true, null::timestamptz) $$, 'a soft-deleted mission stays projected as deleted and is never due');
select tests.sync('u1', 'aiMissions', 'm3', 'insert', '{"state":"active","nextRunAt":"2026-07-01T00:00:00.000Z","cadence":{"kind":"manual"}}',
                  '{}', 'ai', '2026-05-01 00:00:01+00');
select tests.sync('u1', 'aiMissions', 'm3', 'delete', '{}', '{}', 'ai', '2026-05-01 00:00:02+00');
select results_eq($$ select present, fields, due_at from mana_ai_private.projections where record_id = 'm3' $$,
                  $$ values (false, '{}'::jsonb, null::timestamptz) $$, 'a hard delete leaves a tombstone (KI-6), not a missing row');

-- agent defaults --------------------------------------------------------------------------------
select tests.sync('u1', 'agents', 'ag2', 'insert', '{"name":"B"}');
select tests.sync('u1', 'agents', 'ag3', 'insert', '{"name":"C","maxConcurrentMissions":"3"}');
select tests.sync('u1', 'agents', 'ag4', 'insert', '{"name":"D","maxConcurrentMissions":"many"}');
select tests.sync('u1', 'agents', 'ag5', 'insert', '{"name":"E","maxConcurrentMissions":null}');
select results_eq($$ select record_id, max_concurrent from mana_ai_private.projections where record_id in ('ag2','ag3','ag4','ag5') order by 1 $$,
                  $$ values ('ag2'::text, 1::numeric), ('ag3', 3), ('ag4', 1), ('ag5', 1) $$,
                  'maxConcurrentMissions = Number(value ?? 1), non-finite → 1');

-- capture only: the INSERT queues, the fold projects -------------------------------------------
select tests.sync('u1', 'aiMissions', 'c1', 'insert', '{"state":"active","cadence":{"kind":"manual"}}', '{}', 'ai', null, 'd', false);
select tests.sync('u1', 'notes', 'c2', 'insert', '{"title":"x"}', '{}', 'notes', null, 'd', false);
select is((select count(*)::int from mana_ai_private.projections where record_id = 'c1'), 0,
          'the sync INSERT does not project');
select results_eq($$ select c.user_id, c.record_hash = mana_ai_private.record_hash('u1', 'aiMissions', 'c1')
                       from mana_ai_private.captured c join public.sync_changes s on s.id = c.change_id $$,
                  $$ values ('u1'::text, true) $$, 'it queues exactly the ai row, by id, user and record hash');
select is((mana_ai.fold() ->> 'rows')::int, 1, 'mana_ai.fold() takes the queued row');
select results_eq($$ select present, state from mana_ai_private.projections where record_id = 'c1' $$,
                  $$ values (true, 'active'::text) $$, 'and projects it');
select is((select count(*)::int from mana_ai_private.captured), 0, 'the fold deletes what it folded');
select is(mana_ai.fold(), '{"rows": 0}'::jsonb, 'an empty queue folds nothing');
savepoint before_rollback;
select tests.sync('u1', 'aiMissions', 'c3', 'insert', '{"state":"active"}', '{}', 'ai', null, 'd', false);
rollback to savepoint before_rollback;
select is((select count(*)::int from mana_ai_private.captured), 0, 'a rolled-back INSERT leaves nothing in the queue');
select throws_ok($$ select mana_ai.fold(0) $$, 'MA101', 'fold: invalid limit 0 (1 … 10000)', 'a batch size out of range is refused');

-- quarantine: bad rows never fail the INSERT ----------------------------------------------------
select lives_ok($$
  select set_config('app.current_user_id', 'u2', true);
  insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, schema_version) values
    ('ai', 'aiMissions', 'q1', 'u2', 'insert', '[1,2,3]', '{}', 'd', 1),
    ('ai', 'aiMissions', 'q2', 'u2', 'update', '{"state":"active"}', '"not an object"', 'd', 1),
    ('ai', 'aiMissions', 'q3', 'u2', 'insert', '{"state":42,"nextRunAt":"tomorrow","cadence":{"kind":"hourly"}}', '{}', 'd', 1),
    ('ai', 'aiMissions', 'q4', 'u2', 'insert', '{"state":"active"}', '{}', 'd', 2),
    ('ai', 'aiMissions', 'q5', 'u2', 'insert', '"just a string"', '{}', 'd', 1),
    ('ai', 'aiMissions', 'q6', 'u2', 'update', '{"iterations":{"not":"an array"}}', '{"iterations":"2026-01-01T00:00:00Z"}', 'd', 1),
    ('ai', 'aiMissions', 'ok1', 'u2', 'insert', '{"state":"active","cadence":{"kind":"manual"}}', '{}', 'd', 1)
$$, 'one INSERT mixing malformed and valid rows succeeds');
select is((mana_ai.fold() ->> 'rows')::int, 7, 'every row of it is captured and folded');
select results_eq($$ select record_id, applied from mana_ai_private.quarantine where user_id = 'u2' order by record_id $$,
                  $$ values ('q1'::text, false), ('q2', false), ('q3', true), ('q4', false), ('q5', false), ('q6', true) $$,
                  'every malformed row is quarantined; row-level problems are skipped, field-level ones applied');
select ok((select reason from mana_ai_private.quarantine where record_id = 'q3') ~ 'state 42' and (select reason from mana_ai_private.quarantine where record_id = 'q3') ~ 'nextRunAt "tomorrow"'
          and (select reason from mana_ai_private.quarantine where record_id = 'q3') ~ 'unknown cadence kind, got "hourly"',
          'a quarantine reason names every problem of the row');
select is((select present from mana_ai_private.projections where record_id = 'ok1'), true, 'the valid row of the same statement applied');
select results_eq($$ select present, state, due_at from mana_ai_private.projections where record_id = 'q3' $$,
                  $$ values (true, null::text, null::timestamptz) $$, 'an applied row with unusable fields is never due');

-- a 1,000-row statement of mixed valid and malformed rows -----------------------------------------
select lives_ok($$
  select set_config('app.current_user_id', 'u3', true);
  insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
  select 'ai', 'aiMissions', 'bulk' || (g % 400), 'u3', case when g % 3 = 0 then 'update' else 'insert' end,
         case when g % 10 = 0 then '["bad"]'::jsonb
              when g % 10 = 1 then jsonb_build_object('state', g)
              else jsonb_build_object('state', 'active', 'title', 't' || g, 'updatedAt', '2026-05-01T00:00:00.000Z',
                                      'cadence', '{"kind":"interval","everyMinutes":5}'::jsonb) end,
         case when g % 3 = 0 then '{"title":"2026-05-02T00:00:00.000Z","state":"2026-05-02T00:00:00.000Z"}'::jsonb else '{}'::jsonb end,
         'bulk'
    from generate_series(1, 1000) g
$$, 'a 1,000-row batch of mixed valid and malformed changes inserts without error');
select is((select count(*)::int from mana_ai_private.captured), 1000, 'the batch queues 1,000 rows');
select is((mana_ai.fold(300) ->> 'rows')::int, 300, 'a bounded fold takes one batch');
select is((mana_ai.fold(10000) ->> 'rows')::int, 700, 'the next takes the rest');
select is((select count(*)::int from mana_ai_private.quarantine where user_id = 'u3'), 200, 'its 200 malformed rows are quarantined');
select is((select count(*)::int from mana_ai_private.projections where user_id = 'u3' and present),
          (select count(distinct g % 400)::int from generate_series(1, 1000) g where g % 10 <> 0),
          'every record with at least one usable row is projected');

-- a key too long for our indexes is quarantined, not a failed INSERT ------------------------------
select lives_ok($$
  select tests.sync('u4', 'aiMissions', repeat(md5(random()::text), 70), 'insert', '{"state":"active"}')
$$, 'a record id the log accepts but our indexes cannot hold does not fail the INSERT');
select results_eq($$ select applied, reason ~ 'record key too long' from mana_ai_private.quarantine where user_id = 'u4' $$,
                  $$ values (false, true) $$, 'it is quarantined as skipped with the reason');

-- the caller's RLS scope survives the fold's own scope switches ----------------------------------
select set_config('app.current_user_id', 'sync-server-scope', true);
insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, created_at)
values ('ai', 'aiMissions', 'm1', 'u1', 'update', '{"title":"t"}', '{"title":"2020-01-01T00:00:00.000Z"}', 'd', '2020-01-01');
select is((mana_ai.fold() ->> 'rows')::int, 1, 'a late row is folded (a replay of its record)');
select is(current_setting('app.current_user_id', true), 'sync-server-scope', 'the fold restores app.current_user_id after a replay');

-- snapshot counters -------------------------------------------------------------------------------
select cmp_ok((select sum(delta) from mana_ai_private.counter_deltas where name = 'snapshot_rows_applied'), '>=', 1000::numeric,
              'mission rows folded are counted');

-- rows of other apps never enter PL/pgSQL -------------------------------------------------------
-- (pg_stat_xact_user_functions counts this transaction's calls; track_functions is per session)
set local track_functions = 'pl';
select set_config('app.current_user_id', 'u5', true);
insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
select app, tbl, 'n' || g, 'u5', 'insert', '{"title":"x"}', '{}', 'd'
  from generate_series(1, 50) g, (values ('notes', 'notes'), ('todo', 'tasks'), ('ai', 'aiOther')) a(app, tbl);
select is((select coalesce(sum(calls), 0)::int from pg_stat_xact_user_functions
            where funcname in ('tg_sync_changes__capture', 'tg_sync_changes__retired')), 0,
          'a statement without ai mission/agent rows calls neither trigger function');
insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
select case when g % 10 = 0 then 'ai' else 'notes' end, case when g % 10 = 0 then 'aiMissions' else 'notes' end,
       'mix' || g, 'u5', 'insert', '{"state":"active","cadence":{"kind":"manual"}}', '{}', 'd'
  from generate_series(1, 100) g;
select is((select string_agg(format('%s:%s', funcname, calls), ' ' order by funcname::text) from pg_stat_xact_user_functions
            where funcname::text in ('tg_sync_changes__capture', 'tg_sync_changes__retired')),
          'tg_sync_changes__capture:10',
          'a mixed statement calls the capture for its 10 ai rows only (no transition table, no mark)');
select is((select count(*)::int from mana_ai_private.captured where user_id = 'u5'), 10,
          'its ai rows are captured, wherever they are in the statement');
select is((mana_ai.fold() ->> 'rows')::int, 10, 'and folded');

-- a statement the log rejects leaves nothing ------------------------------------------------------
savepoint before_failure;
select throws_ok($$
  insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
  values ('ai', 'aiMissions', 'f1', 'u5', 'insert', '{}', '{}', 'd'), ('ai', 'aiMissions', 'f2', 'u5', 'bogus-op', '{}', '{}', 'd')
$$, '23514', null, 'a statement the log itself rejects fails as before');
rollback to savepoint before_failure;
select is((select count(*)::int from mana_ai_private.captured), 0, 'and leaves no queue row behind');

-- an earlier unconditional trigger of the same name is replaced in place ------------------------
select is((select count(*)::int from pg_trigger where tgrelid = 'public.sync_changes'::regclass and tgname like '\_500\_project%'), 1,
          'one trigger on a fresh install');
select ok((select pg_get_triggerdef(oid) ~ 'AFTER INSERT .* FOR EACH ROW WHEN \(\(\(new.app_id = ''ai''' from pg_trigger
            where tgrelid = 'public.sync_changes'::regclass and tgname = '_500_project'),
          'an AFTER row trigger filtered by WHEN to ai rows, without a transition table');
select ok((select pg_get_triggerdef(oid) ~ 'tg_sync_changes__capture' from pg_trigger
            where tgrelid = 'public.sync_changes'::regclass and tgname = '_500_project'),
          'and calls the capture, not the former in-transaction fold');
select is(to_regprocedure('mana_ai_private.tg_sync_changes__project()'), null, 'the former fold function is gone');

select * from finish();
rollback;
