-- Folds the given sync_changes rows (by id, with their users) into the projections: the one place
-- where captured rows meet the merge (docs/architecture.md, "Capture, then fold"; docs/data-model.md §3).
-- Per user, in key order: the rows are read from the log under that user's RLS scope (FORCE RLS on
-- sync_changes lets no one read across users), reduced to offers (make_offer) and grouped per record in
-- (created_at, id) order; then one apply_changes call merges every group, in key order, exactly as the
-- in-transaction projection did (late commits re-folded from the log, quarantine, snapshot counters,
-- enqueue of what became due). Ids listed twice, or no longer in the log, fold once or not at all.
-- The caller's scope is restored. Never raises on bad data (apply_changes quarantines it).
-- Test: test/sql/mana_ai_private/functions/fold/fold.sql
create or replace function mana_ai_private.fold_changes(p_change_ids uuid[], p_user_ids text[], p_now timestamptz)
  returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
  -- its queries take the ids as parameters; custom plans would be re-planned per user
  set plan_cache_mode = force_generic_plan
as $$
declare
  v_prev text := current_setting('app.current_user_id', true);
  v_user text;
  v_ids uuid[];
  v_part mana_ai_private.record_changes[];
  v_groups mana_ai_private.record_changes[] := '{}';
begin
  for v_user, v_ids in
    select k.user_id, array_agg(k.change_id)
      from unnest(p_user_ids, p_change_ids) k(user_id, change_id)
     where k.user_id is not null and k.change_id is not null
     group by k.user_id
     order by k.user_id
  loop
    perform set_config('app.current_user_id', v_user, true);
    select array_agg(row(g.user_id, g.table_name, g.record_id, g.offers)::mana_ai_private.record_changes
                     order by g.table_name, g.record_id)
      into v_part
      from (
        select n.user_id, n.table_name, n.record_id, array_agg(o order by n.created_at, n.id) as offers
          from public.sync_changes n
         cross join lateral mana_ai_private.make_offer(n.table_name, n.op, n.data, n.field_timestamps, n.created_at,
                                                       n.id, n.schema_version, n.record_id) o
         where n.id = any(v_ids)
           and n.user_id = v_user and n.app_id = 'ai' and n.table_name in ('aiMissions', 'agents')
         group by n.user_id, n.table_name, n.record_id
      ) g;
    if v_part is not null then
      v_groups := v_groups || v_part;
    end if;
  end loop;
  perform set_config('app.current_user_id', coalesce(v_prev, ''), true);
  if cardinality(v_groups) = 0 then
    return '{}';
  end if;
  return mana_ai_private.apply_changes(v_groups, p_now);
end
$$;
revoke all on function mana_ai_private.fold_changes(uuid[], text[], timestamptz) from public;
comment on function mana_ai_private.fold_changes(uuid[], text[], timestamptz) is
  E'Fold the given sync_changes rows (ids with their users) into the projections with the one merge.\n\nReads each user''s rows under that user''s RLS scope; returns apply_changes'' stats ({} when nothing was found).';
