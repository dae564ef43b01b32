-- Re-derives projections from the log: for each user, every ai mission/agent record is folded from
-- all of its rows with fold_agg (the same merge_step the trigger uses) and written back. A correct
-- incremental path leaves nothing to change, so `changed` = 0 is the oracle the tests check.
-- Users: p_user_ids, or (NULL) every user that has a projection row. Under FORCE RLS the owner cannot
-- list the users of sync_changes by itself; `mana-ai rebuild` passes the list when it runs as an admin
-- that can (see README). Records with no rows left in the log are reported as orphans, not touched.
-- Test: test/sql/mana_ai_private/functions/merge/rebuild.sql
create or replace function mana_ai_private.rebuild_projections(p_user_ids text[] default null)
  returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_prev text := mana_ai_private.user_scope();
  v_tz text := (select s.timezone from mana_ai_private.settings s);
  v_user text;
  v_users int := 0;
  v_records bigint := 0;
  v_changed bigint := 0;
  v_orphans bigint := 0;
  v_n bigint;
  v_c bigint;
begin
  for v_user in
    select distinct u from unnest(coalesce(p_user_ids, array(select distinct p.user_id from mana_ai_private.projections p))) u
     where u is not null and u <> ''
     order by 1
  loop
    v_users := v_users + 1;
    perform mana_ai_private.set_user_scope(v_user);
    with src as (
      select c.table_name, c.record_id,
             mana_ai_private.fold_agg(o order by c.created_at, c.id) as st,
             (array_agg(c.created_at order by c.created_at desc, c.id desc))[1] as last_at,
             (array_agg(c.id order by c.created_at desc, c.id desc))[1] as last_id,
             count(*) as n
        from public.sync_changes c
       cross join lateral mana_ai_private.make_offer(c.table_name, c.op, c.data, c.field_timestamps, c.created_at, c.id,
                                                     c.schema_version, c.record_id) o
       where c.user_id = v_user and c.app_id = 'ai' and c.table_name in ('aiMissions', 'agents')
         and mana_ai_private.key_fits(c.user_id, c.record_id)
       group by c.table_name, c.record_id
    ), d as materialized (
      select s.*, mana_ai_private.derive_projection(s.table_name, s.st, v_tz) as d from src s
    ), up as (
      insert into mana_ai_private.projections as p
        (user_id, table_name, record_id, present, fields, vals, updated_at_us, deleted_at_us, last_created_at,
         last_change_id, rows_applied, deleted, state, agent_id, next_run_at, cadence_error, due_at, name, max_concurrent)
      select v_user, d.table_name, d.record_id, (d.st).present, (d.st).fields, (d.st).vals, (d.st).updated_at_us,
             (d.st).deleted_at_us, d.last_at, d.last_id, d.n, (d.d).deleted, (d.d).state, (d.d).agent_id,
             (d.d).next_run_at, (d.d).cadence_error, (d.d).due_at, (d.d).name, (d.d).max_concurrent
        from d
       order by d.table_name, d.record_id
      on conflict (user_id, table_name, record_id) do update
         set present = excluded.present, fields = excluded.fields, vals = excluded.vals,
             updated_at_us = excluded.updated_at_us, deleted_at_us = excluded.deleted_at_us,
             last_created_at = excluded.last_created_at, last_change_id = excluded.last_change_id,
             rows_applied = excluded.rows_applied, deleted = excluded.deleted, state = excluded.state,
             agent_id = excluded.agent_id, next_run_at = excluded.next_run_at, cadence_error = excluded.cadence_error,
             due_at = excluded.due_at, name = excluded.name, max_concurrent = excluded.max_concurrent,
             projected_at = clock_timestamp()
       where (p.present, p.fields, p.vals, p.updated_at_us, p.deleted_at_us, p.last_created_at, p.last_change_id,
              p.deleted, p.state, p.agent_id, p.next_run_at, p.cadence_error, p.due_at, p.name, p.max_concurrent)
             is distinct from
             (excluded.present, excluded.fields, excluded.vals, excluded.updated_at_us, excluded.deleted_at_us,
              excluded.last_created_at, excluded.last_change_id, excluded.deleted, excluded.state, excluded.agent_id,
              excluded.next_run_at, excluded.cadence_error, excluded.due_at, excluded.name, excluded.max_concurrent)
      returning 1
    )
    select (select count(*) from src), (select count(*) from up) into v_n, v_c;
    v_records := v_records + v_n;
    v_changed := v_changed + v_c;
    select count(*) into v_c
      from mana_ai_private.projections p
     where p.user_id = v_user
       and not exists (select from public.sync_changes c
                        where c.user_id = v_user and c.app_id = 'ai' and c.table_name = p.table_name and c.record_id = p.record_id);
    v_orphans := v_orphans + v_c;
  end loop;
  perform mana_ai_private.set_user_scope(v_prev);
  return jsonb_build_object('users', v_users, 'records', v_records, 'changed', v_changed, 'orphans', v_orphans);
end
$$;
comment on function mana_ai_private.rebuild_projections(text[]) is
  E'Re-derive mission/agent projections from the log for the given users (NULL = users already projected).\n\nReturns {users, records, changed, orphans}; changed = 0 means the incremental projection was exact.';
