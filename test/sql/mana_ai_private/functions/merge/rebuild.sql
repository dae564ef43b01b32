-- The rebuild oracle: a randomised history of mission and agent changes — inserts, field updates with
-- colliding, reordered and unparseable stamps, soft and hard deletes, rows committed "late" (older
-- created_at than rows already folded) and rows sharing one created_at — is captured in many
-- statements and folded in batches of random size that cut across statements and records, interleaved
-- with the inserts (the order of folds and commits must not matter). Re-deriving everything from the log
-- must then change nothing.
begin;
select plan(7);

select setseed(0.4242);
do $$
declare
  v_base timestamptz := '2025-01-01 00:00:00+00';
  v_clock int := 0;
  v_at timestamptz;
  v_n int;
begin
  for b in 1..120 loop
    -- mostly forward in time, sometimes a late commit from the past, sometimes the same instant
    v_clock := v_clock + (random() * 10)::int;
    v_at := case when random() < 0.15 then v_base + make_interval(secs => greatest(v_clock - (random() * 40)::int, 0))
                 else v_base + make_interval(secs => v_clock) end;
    v_n := 1 + (random() * 25)::int;
    perform set_config('app.current_user_id', 'u' || (b % 3), true);
    insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, created_at)
    select 'ai', t.table_name, t.record_id, 'u' || (b % 3), t.op, t.data, t.ft, 'rnd', v_at
      from (
        select case when r.kind < 0.8 then 'aiMissions' else 'agents' end as table_name,
               case when r.kind < 0.8 then 'm' || (r.rec % 8) else 'a' || (r.rec % 3) end as record_id,
               case when r.op < 0.18 then 'insert' when r.op < 0.92 then 'update' else 'delete' end as op,
               case
                 when r.op < 0.18 then jsonb_build_object(
                   'title', 'T' || r.rec, 'state', (array['active','paused','done','archived'])[1 + (r.v * 4)::int % 4],
                   'cadence', jsonb_build_object('kind', 'interval', 'everyMinutes', 1 + (r.v * 60)::int),
                   'nextRunAt', r.stamp, 'agentId', 'a' || (r.rec % 3), 'name', 'N' || r.rec,
                   'maxConcurrentMissions', (r.v * 3)::int, 'updatedAt', r.stamp, 'createdAt', r.stamp)
                 when r.op < 0.92 then jsonb_build_object(
                   'title', 'T' || r.v, 'state', (array['active','paused'])[1 + (r.v * 2)::int % 2],
                   'nextRunAt', case when r.v < 0.1 then null else r.stamp end, 'updatedAt', r.stamp,
                   'deletedAt', case when r.v > 0.95 then null end)
                 when r.op < 0.96 then jsonb_build_object('deletedAt', r.stamp)
                 else '{}'::jsonb
               end as data,
               case when r.op >= 0.18 and r.op < 0.92 then
                 case when r.v < 0.05 then jsonb_build_object('title', 'not a stamp', 'state', r.stamp)
                      when r.v < 0.5 then jsonb_build_object('title', r.stamp, 'state', r.stamp, 'updatedAt', r.stamp)
                      else jsonb_build_object('title', r.stamp, 'nextRunAt', r.stamp, 'updatedAt', r.stamp, 'deletedAt', r.stamp)
                 end
               else '{}'::jsonb end as ft
          from (
            select random() as kind, (random() * 100)::int as rec, random() as op, random() as v,
                   -- stamps collide often (minute resolution) and come in two textual forms
                   case when random() < 0.5
                     then to_char((v_base + make_interval(mins => (random() * 30)::int)) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS".000Z"')
                     else to_char((v_base + make_interval(mins => (random() * 30)::int)) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                   end as stamp
              from generate_series(1, v_n)
          ) r
      ) t;
    -- fold now and then, a random part of the queue (sometimes less than one statement, sometimes many)
    if random() < 0.4 then
      perform mana_ai_private.fold_captured(1 + (random() * 60)::int, now());
    end if;
  end loop;
  -- end two records with a hard delete, and fold one late row onto a tombstone
  perform set_config('app.current_user_id', 'u1', true);
  insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, client_id, created_at)
  values ('ai', 'aiMissions', 'm1', 'u1', 'delete', '{}', 'rnd', v_base + make_interval(secs => v_clock + 10)),
         ('ai', 'agents', 'a1', 'u1', 'delete', null, 'rnd', v_base + make_interval(secs => v_clock + 10));
  insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, created_at)
  values ('ai', 'aiMissions', 'm1', 'u1', 'update', '{"title":"late"}', '{"title":"2030-01-01T00:00:00.000Z"}', 'rnd',
          v_base + make_interval(secs => v_clock + 5));
  perform set_config('app.current_user_id', '', true);
  perform mana_ai_private.fold_captured(10000, now());
end
$$;

select cmp_ok((select count(*) from public.sync_changes where client_id = 'rnd'), '>', 1000::bigint, 'the random history has more than 1000 rows');
select is((select count(*)::int from mana_ai_private.captured), 0, 'the capture queue is empty after the last fold');
select cmp_ok((select count(*) from mana_ai_private.projections where not present), '>', 0::bigint, 'the history produced tombstones');

select is_empty($$
  select p.user_id, p.table_name, p.record_id
    from mana_ai_private.projections p
   cross join lateral mana_ai_private.replay_state(p.user_id, 'ai', p.table_name, p.record_id) s
   where (p.present, p.fields, p.vals, p.updated_at_us, p.deleted_at_us)
         is distinct from (s.present, s.fields, s.vals, s.updated_at_us, s.deleted_at_us)
$$, 'every incrementally maintained projection equals a fresh replay of its record');

select is((mana_ai_private.rebuild_projections() ->> 'changed')::int, 0, 'rebuild from the log changes nothing');
select is((mana_ai_private.rebuild_projections() ->> 'records')::int, (select count(*)::int from mana_ai_private.projections),
          'rebuild sees exactly the projected records');

-- the oracle can fail: damage one row and rebuild repairs exactly it
update mana_ai_private.projections set fields = fields || '{"title":[0,"00000000-0000-4000-8000-000000000000"]}', due_at = null
 where (user_id, table_name, record_id) = (select user_id, table_name, record_id from mana_ai_private.projections where present order by 1, 2, 3 limit 1);
select is((mana_ai_private.rebuild_projections() ->> 'changed')::int, 1, 'a damaged projection is detected and repaired by rebuild');

select * from finish();
rollback;
