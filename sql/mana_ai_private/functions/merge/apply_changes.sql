-- Folds a batch of sync_changes rows (grouped per record, each group in (created_at, id) order) into
-- mana_ai_private.projections. Called by the statement trigger on sync_changes with that statement's
-- ai rows; everything here runs inside the sync server's INSERT, so it must never raise on bad data.
--
-- Per record: a group whose first row comes after the last row already applied is folded onto the
-- stored state (the common case: one merge step per row). A group that reaches back before it — a row
-- of an older transaction committing late (KI-7), or a lower id inside the same transaction — is
-- re-folded from the whole log instead, so the result is always exactly the (created_at, id) fold.
-- Projection rows are locked in key order, so concurrent statements cannot deadlock on them; writers
-- of different records never wait on each other.
-- Afterwards: quarantine rows for problems, counter deltas (mission snapshots), and the missions that
-- became due now — directly or through their agent — are enqueued (one NOTIFY per transaction).
-- Test: test/sql/mana_ai_private/triggers/sync_changes.sql, test/sql/mana_ai_private/functions/merge/rebuild.sql
create or replace function mana_ai_private.apply_changes(p_groups mana_ai_private.record_changes[], p_now timestamptz)
  returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
  -- its queries take the batch as a parameter; custom plans would be re-planned on every call, and
  -- one-row sync transactions call this once per row (measured ~2x the cost per statement)
  set plan_cache_mode = force_generic_plan
as $$
declare
  v_tz text := (select s.timezone from mana_ai_private.settings s);
  v_stats record;
  v_enqueued int := 0;
begin
  if coalesce(cardinality(p_groups), 0) = 0 then
    return '{}';
  end if;

  -- Keys too long for our indexes: quarantined (ids shortened; change_id points at the full row) and
  -- never projected, instead of failing the sync server's INSERT on an index entry size error.
  if exists (select from unnest(p_groups) g where not mana_ai_private.key_fits(g.user_id, g.record_id)) then
    insert into mana_ai_private.quarantine (change_id, user_id, app_id, table_name, record_id, reason, applied)
    select o.change_id, left(g.user_id, 200), 'ai', g.table_name, left(g.record_id, 200),
           format('record key too long to project: user_id + record_id are %s bytes, at most 2000',
                  octet_length(g.user_id) + octet_length(g.record_id)),
           false
      from unnest(p_groups) g
     cross join lateral unnest(g.offers) o
     where not mana_ai_private.key_fits(g.user_id, g.record_id);
    p_groups := array(select g from unnest(p_groups) g where mana_ai_private.key_fits(g.user_id, g.record_id));
    if cardinality(p_groups) = 0 then
      return '{}';
    end if;
  end if;

  insert into mana_ai_private.projections as p (user_id, table_name, record_id)
  select g.user_id, g.table_name, g.record_id
    from unnest(p_groups) g
   order by g.user_id, g.table_name, g.record_id
      on conflict do nothing;

  perform 1
     from mana_ai_private.projections p
     join unnest(p_groups) g on (g.user_id, g.table_name, g.record_id) = (p.user_id, p.table_name, p.record_id)
    order by p.user_id, p.table_name, p.record_id
      for update of p;

  with cur as materialized (
    select p.user_id, p.table_name, p.record_id,
           p.present as old_present, p.fields as old_fields, p.vals as old_vals, p.due_at as old_due_at,
           p.state as old_state, p.deleted as old_deleted,
           g.offers,
           case
             when p.last_created_at is null
               or ((g.offers[1]).created_at, (g.offers[1]).change_id) > (p.last_created_at, p.last_change_id)
             then mana_ai_private.fold(row(p.present, p.fields, p.vals, p.updated_at_us, p.deleted_at_us)::mana_ai_private.fold_state, g.offers)
             else mana_ai_private.replay_state(p.user_id, 'ai', p.table_name, p.record_id)
           end as st,
           (g.offers[cardinality(g.offers)]).created_at as g_last_at,
           (g.offers[cardinality(g.offers)]).change_id as g_last_id,
           p.last_created_at, p.last_change_id,
           p.rows_applied + cardinality(g.offers) as rows_applied
      from mana_ai_private.projections p
      join unnest(p_groups) g on (g.user_id, g.table_name, g.record_id) = (p.user_id, p.table_name, p.record_id)
  ), nxt as materialized (
    select c.*, mana_ai_private.derive_projection(c.table_name, c.st, v_tz) as d from cur c
  ), upd as (
    update mana_ai_private.projections p
       set present = (n.st).present,
           fields = (n.st).fields,
           vals = (n.st).vals,
           updated_at_us = (n.st).updated_at_us,
           deleted_at_us = (n.st).deleted_at_us,
           last_created_at = case when n.last_created_at is null or (n.g_last_at, n.g_last_id) > (n.last_created_at, n.last_change_id)
                                  then n.g_last_at else n.last_created_at end,
           last_change_id = case when n.last_created_at is null or (n.g_last_at, n.g_last_id) > (n.last_created_at, n.last_change_id)
                                 then n.g_last_id else n.last_change_id end,
           rows_applied = n.rows_applied,
           deleted = (n.d).deleted,
           state = (n.d).state,
           agent_id = (n.d).agent_id,
           next_run_at = (n.d).next_run_at,
           cadence_error = (n.d).cadence_error,
           due_at = (n.d).due_at,
           name = (n.d).name,
           max_concurrent = (n.d).max_concurrent,
           projected_at = clock_timestamp()
      from nxt n
     where (p.user_id, p.table_name, p.record_id) = (n.user_id, n.table_name, n.record_id)
    returning p.user_id, p.table_name, p.record_id, p.due_at, p.present, p.deleted, p.state,
              n.old_present, n.old_fields, n.old_vals, n.old_state, n.old_deleted,
              cardinality(n.offers) as n_rows,
              (p.present is distinct from n.old_present or p.fields is distinct from n.old_fields
               or p.vals is distinct from n.old_vals) as changed
  )
  select
    coalesce(sum(u.n_rows) filter (where u.table_name = 'aiMissions'), 0) as mission_rows,
    count(*) filter (where u.table_name = 'aiMissions' and u.changed and u.old_present) as missions_changed,
    count(*) filter (where u.table_name = 'aiMissions' and u.present and not u.old_present) as missions_new,
    array_agg(u.user_id) filter (where u.table_name = 'aiMissions' and u.due_at <= p_now) as due_users,
    array_agg(u.record_id) filter (where u.table_name = 'aiMissions' and u.due_at <= p_now) as due_missions,
    array_agg(u.user_id) filter (where u.table_name = 'agents' and u.changed) as agent_users,
    array_agg(u.record_id) filter (where u.table_name = 'agents' and u.changed) as agent_ids
    into v_stats
    from upd u;

  insert into mana_ai_private.quarantine (change_id, user_id, app_id, table_name, record_id, reason, applied)
  select o.change_id, g.user_id, 'ai', g.table_name, g.record_id, o.problem, o.action <> 'skip'
    from unnest(p_groups) g
   cross join lateral unnest(g.offers) o
   where o.problem is not null;

  perform mana_ai_private.count_many(jsonb_build_object(
    'snapshots_new', v_stats.missions_new,
    'snapshots_updated', v_stats.missions_changed,
    'snapshot_rows_applied', v_stats.mission_rows));

  if v_stats.due_missions is not null then
    v_enqueued := v_enqueued + mana_ai_private.enqueue_due(p_now, v_stats.due_users, v_stats.due_missions);
  end if;
  if v_stats.agent_ids is not null then
    v_enqueued := v_enqueued + mana_ai_private.enqueue_due_for_agents(p_now, v_stats.agent_users, v_stats.agent_ids);
  end if;

  return jsonb_build_object('records', cardinality(p_groups), 'missionRows', v_stats.mission_rows,
                            'missionsChanged', v_stats.missions_changed, 'newMissions', v_stats.missions_new, 'enqueued', v_enqueued);
end
$$;
comment on function mana_ai_private.apply_changes(mana_ai_private.record_changes[], timestamptz) is
  E'Fold a batch of ai sync_changes rows (grouped per record, ordered) into the projections.\n\nQuarantines problems, counts snapshot metrics, enqueues missions that became due. Never raises on bad data.';
