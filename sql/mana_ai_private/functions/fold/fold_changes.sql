-- Folds the given sync_changes rows (by id, with their users) into the projections: the one place
-- where captured rows meet the merge (docs/architecture.md §3; docs/data-model.md §3).
-- One statement for the whole batch: each user's rows are read under that user's RLS scope by
-- user_changes (a LATERAL call per user, users in key order), reduced to offers (make_offer) and
-- grouped per record in (created_at, id) order; then one apply_changes call merges every group, in key
-- order, exactly as the in-transaction projection did (late commits re-folded from the log, quarantine,
-- snapshot counters, enqueue of what became due). Ids listed twice, or no longer in the log, fold once
-- or not at all. The caller's scope is restored. Never raises on bad data (apply_changes quarantines).
-- Test: test/sql/mana_ai_private/functions/fold/fold.sql
create or replace function mana_ai_private.fold_changes(p_change_ids uuid[], p_user_ids text[], p_now timestamptz)
  returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
  -- its query takes the ids as parameters; a custom plan would be planned on every call
  set plan_cache_mode = force_generic_plan
  -- the inlined offer and merge expressions make the estimated cost large enough for JIT, whose
  -- compilation took seconds per batch (1,000 rows: 3.5 s of LLVM against milliseconds of work)
  set jit = off
as $$
declare
  v_prev text := mana_ai_private.user_scope();
  v_groups mana_ai_private.record_changes[];
begin
  select array_agg(row(g.user_id, g.table_name, g.record_id, g.offers)::mana_ai_private.record_changes
                   order by g.user_id, g.table_name, g.record_id)
    into v_groups
    from (
      select n.user_id, n.table_name, n.record_id, array_agg(o order by n.created_at, n.id) as offers
        from (select k.user_id, array_agg(distinct k.change_id) as ids
                from unnest(p_user_ids, p_change_ids) k(user_id, change_id)
               where k.user_id is not null and k.change_id is not null
               group by k.user_id
               order by k.user_id) u
       cross join lateral mana_ai_private.user_changes(u.user_id, u.ids) n
       cross join lateral mana_ai_private.make_offer(n.table_name, n.op, n.data, n.field_timestamps, n.created_at,
                                                     n.id, n.schema_version, n.record_id) o
       group by n.user_id, n.table_name, n.record_id
    ) g;
  perform mana_ai_private.set_user_scope(v_prev);
  if v_groups is null then
    return '{}';
  end if;
  return mana_ai_private.apply_changes(v_groups, p_now);
end
$$;
revoke all on function mana_ai_private.fold_changes(uuid[], text[], timestamptz) from public;
comment on function mana_ai_private.fold_changes(uuid[], text[], timestamptz) is
  E'Fold the given sync_changes rows (ids with their users) into the projections with the one merge, in one statement.\n\nReads each user''s rows under that user''s RLS scope (user_changes); returns apply_changes'' stats ({} when nothing was found).';
