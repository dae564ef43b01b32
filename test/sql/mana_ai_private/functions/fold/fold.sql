-- The fold functions behind mana_ai.fold() (docs/architecture.md, "Capture, then fold"): batches
-- oldest first, the one merge, per-user reads, record-level folds (waiting or skipping), idempotence.
begin;
select plan(17);

select tests.freeze_time('2026-06-01 12:00:00+00');
-- three users, rows of several statements, all left in the queue
select tests.sync('u1', 'aiMissions', 'm1', 'insert', '{"state":"active","title":"one","cadence":{"kind":"manual"}}', '{}', 'ai', '2026-05-01 00:00:01+00', 'd', false);
select tests.sync('u2', 'aiMissions', 'm1', 'insert', '{"state":"paused","title":"two","cadence":{"kind":"manual"}}', '{}', 'ai', '2026-05-01 00:00:02+00', 'd', false);
select tests.sync('u1', 'aiMissions', 'm1', 'update', '{"title":"one b"}', '{"title":"2026-05-02T00:00:00.000Z"}', 'ai', '2026-05-01 00:00:03+00', 'd', false);
select tests.sync('u3', 'agents', 'a1', 'insert', '{"name":"Scout","state":"active"}', '{}', 'ai', '2026-05-01 00:00:04+00', 'd', false);
select tests.sync('u1', 'aiMissions', 'm2', 'insert', '{"state":"active","title":"m2","cadence":{"kind":"manual"}}', '{}', 'ai', '2026-05-01 00:00:05+00', 'd', false);

select is(mana_ai_private.record_hash('u1', 'aiMissions', 'm1'), mana_ai_private.record_hash('u1', 'aiMissions', 'm1'), 'record_hash is deterministic');
select isnt(mana_ai_private.record_hash('u1', 'aiMissions', 'm1'), mana_ai_private.record_hash('u2', 'aiMissions', 'm1'), 'and tells users apart');

-- a batch of two: the two oldest rows, of two users
select is((mana_ai_private.fold_captured(2, mana_ai_private.now()) ->> 'rows')::int, 2, 'a bounded batch takes p_limit rows');
select results_eq($$ select user_id, record_id, state from mana_ai_private.projections order by 1, 2 $$,
                  $$ values ('u1'::text, 'm1'::text, 'active'::text), ('u2', 'm1', 'paused') $$,
                  'oldest first: the first two captured rows are folded, each read in its own user''s scope');
select is((select count(*)::int from mana_ai_private.captured), 3, 'the rest waits');

-- a record-level fold takes only that record's rows
select is(mana_ai_private.fold_records(array['u1'], array['aiMissions'], array['m1'], mana_ai_private.now()), 1,
          'fold_records takes the pending rows of the named record only');
select is(mana_ai_private.record_json('u1', 'aiMissions', 'm1') ->> 'title', 'one b', 'and folds them onto the record');
select is((select count(*)::int from mana_ai_private.captured), 2, 'other records stay queued');
select is(mana_ai_private.fold_records(array['u9'], array['aiMissions'], array['none'], mana_ai_private.now()), 0,
          'a record with nothing pending folds nothing');

-- a late commit: captured after m2's insert, but created before it
select tests.sync('u1', 'aiMissions', 'm2', 'update', '{"title":"m2 b"}', '{"title":"2026-05-03T00:00:00.000Z"}', 'ai', '2026-05-01 00:00:04+00', 'd', false);
select is((mana_ai_private.fold_captured(2, mana_ai_private.now()) ->> 'rows')::int, 2, 'a batch takes the two oldest captured rows');
select is((select count(*)::int from mana_ai_private.captured c
            where c.record_hash = mana_ai_private.record_hash('u1', 'aiMissions', 'm2')), 1,
          'the record''s late row stays queued');
select is((mana_ai_private.fold_captured(100, mana_ai_private.now()) ->> 'rows')::int, 1, 'the next batch takes the rest');
select is(mana_ai_private.record_json('u1', 'aiMissions', 'm2') ->> 'title', 'm2 b',
          'folding an older row after a newer one (a re-fold from the log) gives the log''s order');

-- idempotence: a row queued twice, or no longer in the log, changes nothing
create temp table before as select * from mana_ai_private.projections;
insert into mana_ai_private.captured (change_id, user_id, record_hash)
select c.id, c.user_id, mana_ai_private.record_hash(c.user_id, c.table_name, c.record_id)
  from public.sync_changes c where c.app_id = 'ai';
insert into mana_ai_private.captured (change_id, user_id, record_hash) values (gen_random_uuid(), 'u1', 0);
select is((mana_ai_private.fold_captured(1000, mana_ai_private.now()) ->> 'rows')::int, 7, 'every row again, plus one that names nothing');
select is_empty($$ select user_id, table_name, record_id, present, fields, vals, state, due_at from mana_ai_private.projections
                   except select user_id, table_name, record_id, present, fields, vals, state, due_at from before $$,
                'folding rows again changes no projection');
select is((mana_ai_private.rebuild_projections() ->> 'changed')::int, 0, 'and rebuild agrees');

-- the scope of the caller survives
select set_config('app.current_user_id', 'caller', true);
select tests.sync('u2', 'aiMissions', 'm1', 'update', '{"state":"active"}', '{"state":"2026-05-05T00:00:00.000Z"}', 'ai', null, 'd', false);
select set_config('app.current_user_id', 'caller', true);
select mana_ai_private.fold_captured(10, mana_ai_private.now());
select is(current_setting('app.current_user_id'), 'caller', 'fold_captured restores the caller''s RLS scope');

select * from finish();
rollback;
