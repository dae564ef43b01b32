-- Folds a batch of sync_changes rows (grouped per record, groups in key order, each group in
-- (created_at, id) order) into mana_ai_private.projections. Called by the statement trigger on
-- sync_changes with that statement's ai rows; everything here runs inside the sync server's INSERT, so
-- it must never raise on bad data.
--
-- Per record, in key order (so concurrent statements lock projection rows in the same order and cannot
-- deadlock on them; writers of different records never wait on each other): lock the row (create it
-- when new) and fold; all records are written by one UPDATE after the loop. A group whose first row
-- comes after the last row already applied is folded onto the stored state (the common case: one merge
-- step per row). A group that reaches back before it — a row of an older transaction committing late
-- (KI-7), or a lower id inside the same transaction — is re-folded from the whole log instead, so the
-- result is always exactly the (created_at, id) fold.
-- The decision columns are derived again only when the fold changed the record.
-- Afterwards, once per batch: quarantine rows for problems, counter deltas (mission snapshots), and the
-- missions that became due now — directly or through their agent — are enqueued (one NOTIFY per
-- transaction).
-- One indexed lock statement per record rather than one set-based statement for all: one-row sync
-- transactions are the common case, and there the set-based form cost more (320 vs 262 us per call);
-- merging inside the lock statement (an inlined SQL form of the rule) measured slower still (README).
-- Test: test/sql/mana_ai_private/triggers/sync_changes.sql, test/sql/mana_ai_private/functions/merge/rebuild.sql
create or replace function mana_ai_private.apply_changes(p_groups mana_ai_private.record_changes[], p_now timestamptz)
  returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
  -- its statements take the record's keys as parameters; custom plans would be re-planned on every call,
  -- and one-row sync transactions call this once per row
  set plan_cache_mode = force_generic_plan
as $$
declare
  v_tz text;
  g mana_ai_private.record_changes;
  p mana_ai_private.projections;
  v_old mana_ai_private.fold_state;
  v_st mana_ai_private.fold_state;
  d mana_ai_private.derived;
  v_first mana_ai_private.change_offer;
  v_last mana_ai_private.change_offer;
  v_changed boolean;
  v_mission boolean;
  v_records int := 0;
  v_mission_rows bigint := 0;
  v_missions_changed int := 0;
  v_missions_new int := 0;
  v_due_users text[] := '{}';
  v_due_missions text[] := '{}';
  v_agent_users text[] := '{}';
  v_agent_ids text[] := '{}';
  v_out mana_ai_private.projections[] := '{}';
  v_enqueued int := 0;
begin
  foreach g in array coalesce(p_groups, '{}') loop
    -- Keys too long for our indexes are never projected (quarantined below), instead of failing the
    -- sync server's INSERT on an index entry size error.
    continue when not mana_ai_private.key_fits(g.user_id, g.record_id);
    v_records := v_records + 1;
    v_mission := g.table_name = 'aiMissions';
    v_first := g.offers[1];
    v_last := g.offers[cardinality(g.offers)];

    select * into p from mana_ai_private.projections x
     where x.user_id = g.user_id and x.table_name = g.table_name and x.record_id = g.record_id
       for update;
    if not found then
      insert into mana_ai_private.projections (user_id, table_name, record_id)
      values (g.user_id, g.table_name, g.record_id)
          on conflict do nothing;
      select * into p from mana_ai_private.projections x
       where x.user_id = g.user_id and x.table_name = g.table_name and x.record_id = g.record_id
         for update;
    end if;

    v_old := row(p.present, p.fields, p.vals, p.updated_at_us, p.deleted_at_us)::mana_ai_private.fold_state;
    if p.last_created_at is null or (v_first.created_at, v_first.change_id) > (p.last_created_at, p.last_change_id) then
      -- (one offer, the common case: merge_step directly, without fold()'s call and loop)
      v_st := case when cardinality(g.offers) = 1 then mana_ai_private.merge_step(v_old, v_first)
                   else mana_ai_private.fold(v_old, g.offers) end;
      p.last_created_at := v_last.created_at;
      p.last_change_id := v_last.change_id;
    else
      v_st := mana_ai_private.replay_state(g.user_id, 'ai', g.table_name, g.record_id);
      if (v_last.created_at, v_last.change_id) > (p.last_created_at, p.last_change_id) then
        p.last_created_at := v_last.created_at;
        p.last_change_id := v_last.change_id;
      end if;
    end if;
    v_changed := (v_st.present, v_st.fields, v_st.vals) is distinct from (v_old.present, v_old.fields, v_old.vals);

    if v_changed or p.rows_applied = 0 then
      if v_tz is null then
        v_tz := (select s.timezone from mana_ai_private.settings s);
      end if;
      d := mana_ai_private.derive_projection(g.table_name, v_st, v_tz);
    else
      d := row(p.deleted, p.state, p.agent_id, p.next_run_at, p.cadence_error, p.due_at, p.name, p.max_concurrent)::mana_ai_private.derived;
    end if;
    -- written once for the whole batch, after the loop
    v_out := v_out || row(g.user_id, g.table_name, g.record_id, v_st.present, v_st.fields, v_st.vals, v_st.updated_at_us,
                          v_st.deleted_at_us, p.last_created_at, p.last_change_id, p.rows_applied + cardinality(g.offers),
                          d.deleted, d.state, d.agent_id, d.next_run_at, d.cadence_error, d.due_at, d.name, d.max_concurrent,
                          clock_timestamp())::mana_ai_private.projections;

    if v_mission then
      v_mission_rows := v_mission_rows + cardinality(g.offers);
      if v_changed and v_old.present then
        v_missions_changed := v_missions_changed + 1;
      end if;
      if v_st.present and not v_old.present then
        v_missions_new := v_missions_new + 1;
      end if;
      if d.due_at <= p_now then
        v_due_users := v_due_users || g.user_id;
        v_due_missions := v_due_missions || g.record_id;
      end if;
    elsif v_changed then
      v_agent_users := v_agent_users || g.user_id;
      v_agent_ids := v_agent_ids || g.record_id;
    end if;
  end loop;

  update mana_ai_private.projections x
     set present = u.present, fields = u.fields, vals = u.vals, updated_at_us = u.updated_at_us,
         deleted_at_us = u.deleted_at_us, last_created_at = u.last_created_at, last_change_id = u.last_change_id,
         rows_applied = u.rows_applied, deleted = u.deleted, state = u.state, agent_id = u.agent_id,
         next_run_at = u.next_run_at, cadence_error = u.cadence_error, due_at = u.due_at, name = u.name,
         max_concurrent = u.max_concurrent, projected_at = u.projected_at
    from unnest(v_out) u
   where (x.user_id, x.table_name, x.record_id) = (u.user_id, u.table_name, u.record_id);

  -- Quarantine, one statement: every offer with a problem, and every row of a record whose key is too
  -- long (its ids shortened; change_id points at the full row).
  insert into mana_ai_private.quarantine (change_id, user_id, app_id, table_name, record_id, reason, applied)
  select o.change_id,
         case when k.fits then rc.user_id else left(rc.user_id, 200) end, 'ai', rc.table_name,
         case when k.fits then rc.record_id else left(rc.record_id, 200) end,
         case when k.fits then o.problem
              else format('record key too long to project: user_id + record_id are %s bytes, at most 2000',
                          octet_length(rc.user_id) + octet_length(rc.record_id)) end,
         k.fits and o.action <> 'skip'
    from unnest(p_groups) rc
   cross join lateral (select mana_ai_private.key_fits(rc.user_id, rc.record_id) as fits) k
   cross join lateral unnest(rc.offers) o
   where o.problem is not null or not k.fits;

  if v_records = 0 then
    return '{}';
  end if;

  if v_mission_rows > 0 then
    perform mana_ai_private.count_many(jsonb_build_object(
      'snapshots_new', v_missions_new,
      'snapshots_updated', v_missions_changed,
      'snapshot_rows_applied', v_mission_rows));
  end if;

  if cardinality(v_due_missions) > 0 then
    v_enqueued := v_enqueued + mana_ai_private.enqueue_due(p_now, v_due_users, v_due_missions);
  end if;
  if cardinality(v_agent_ids) > 0 then
    v_enqueued := v_enqueued + mana_ai_private.enqueue_due_for_agents(p_now, v_agent_users, v_agent_ids);
  end if;

  return jsonb_build_object('records', v_records, 'missionRows', v_mission_rows,
                            'missionsChanged', v_missions_changed, 'newMissions', v_missions_new, 'enqueued', v_enqueued);
end
$$;
comment on function mana_ai_private.apply_changes(mana_ai_private.record_changes[], timestamptz) is
  E'Fold a batch of ai sync_changes rows (grouped per record, ordered) into the projections.\n\nQuarantines problems, counts snapshot metrics, enqueues missions that became due. Never raises on bad data.';
