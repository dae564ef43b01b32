-- B5 (bench/b5-sync-traffic.ts): one sync write per transaction, as the sync server sends it (one
-- INSERT … VALUES, no row generator to plan), in the mix of bench.change_rows (bench/lib/data.ts):
-- 10 % ai rows — agent rename 10 %, mission update carrying the ~25 KB iterations array 5 %, new
-- mission 10 %, mission update of title/objective/nextRunAt 75 % — and 90 % notes/todo/calendar
-- changes (a quarter of them inserts). Every nextRunAt lies two days ahead, so no mission becomes due.
-- pgbench -D: missions, users (the seeded records bm<m>, ba<u> of users bu<u>); aishare: percent of ai
-- rows (10; 0 for the diagnostic run with other apps only, which then split the 100 % evenly).
\set g random(0, 99)
\set k random(0, 19)
\set m random(0, :missions - 1)
\set u random(0, :users - 1)
\set r random(0, 99999)
\set n random(1, 2000000000)
\if :g < :aishare
\if :k = 0 or :k = 10
insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
select 'ai', 'agents', 'ba' || :u, 'bu' || :u, 'update',
       jsonb_build_object('name', 'Agent ' || :u || ' ' || c.s, 'updatedAt', c.s),
       jsonb_build_object('name', c.s, 'updatedAt', c.s), 'bench-pgbench'
  from (select bench.iso(clock_timestamp()) as s) c;
\elif :k = 1
insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
select 'ai', 'aiMissions', 'bm' || :m, 'bu' || (:m::int % :users::int), 'update',
       jsonb_build_object('iterations', (select b.value from bench.blob b where b.name = 'iterations'),
                          'nextRunAt', c.later, 'updatedAt', c.s),
       jsonb_build_object('iterations', c.s, 'nextRunAt', c.s, 'updatedAt', c.s), 'bench-pgbench'
  from (select bench.iso(clock_timestamp()) as s, bench.iso(now() + interval '2 days') as later) c;
\elif :k = 5 or :k = 15
insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
select 'ai', 'aiMissions', 'bp' || :n, 'bu' || :u, 'insert',
       bench.mission_record('bp' || :n, 'bu' || :u, 'ba' || :u, 'active', c.later, c.s), '{}', 'bench-pgbench'
  from (select bench.iso(clock_timestamp()) as s, bench.iso(now() + interval '2 days') as later) c;
\else
insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
select 'ai', 'aiMissions', 'bm' || :m, 'bu' || (:m::int % :users::int), 'update',
       jsonb_build_object('title', 'Mission bm' || :m || ' ' || c.s, 'objective', 'Ziel ' || md5(:n::text),
                          'nextRunAt', c.later, 'updatedAt', c.s),
       jsonb_build_object('title', c.s, 'objective', c.s, 'nextRunAt', c.s, 'updatedAt', c.s), 'bench-pgbench'
  from (select bench.iso(clock_timestamp()) as s, bench.iso(now() + interval '2 days') as later) c;
\endif
\elif :g < :aishare + (100 - :aishare) / 3
insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
select 'notes', 'notes', 'note-' || :r, 'bu' || :u, case when :k < 5 then 'insert' else 'update' end,
       jsonb_build_object('id', 'note-' || :r, 'title', 'Notiz ' || :r, 'content', repeat(md5(:n::text), 16), 'updatedAt', c.s),
       case when :k < 5 then '{}'::jsonb else jsonb_build_object('id', c.s, 'title', c.s, 'content', c.s, 'updatedAt', c.s) end,
       'bench-pgbench'
  from (select bench.iso(clock_timestamp()) as s) c;
\elif :g < :aishare + 2 * (100 - :aishare) / 3
insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
select 'todo', 'tasks', 'task-' || :r, 'bu' || :u, case when :k < 5 then 'insert' else 'update' end,
       jsonb_build_object('id', 'task-' || :r, 'title', 'Aufgabe ' || md5(:n::text), 'completed', :k::int % 2 = 0,
                          'dueDate', c.later, 'updatedAt', c.s),
       case when :k < 5 then '{}'::jsonb
            else jsonb_build_object('id', c.s, 'title', c.s, 'completed', c.s, 'dueDate', c.s, 'updatedAt', c.s) end,
       'bench-pgbench'
  from (select bench.iso(clock_timestamp()) as s, bench.iso(now() + interval '2 days') as later) c;
\else
insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
select 'calendar', 'events', 'event-' || :r, 'bu' || :u, case when :k < 5 then 'insert' else 'update' end,
       jsonb_build_object('id', 'event-' || :r, 'title', 'Termin ' || md5(:n::text), 'startTime', c.later,
                          'endTime', c.later, 'location', 'Raum ' || :u, 'updatedAt', c.s),
       case when :k < 5 then '{}'::jsonb
            else jsonb_build_object('id', c.s, 'title', c.s, 'startTime', c.s, 'endTime', c.s, 'location', c.s, 'updatedAt', c.s) end,
       'bench-pgbench'
  from (select bench.iso(clock_timestamp()) as s, bench.iso(now() + interval '2 days') as later) c;
\endif
