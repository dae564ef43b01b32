-- Writes the runner's one sync_changes row for a mission slot (docs/writeback.md §2–5), or nothing when the
-- mission is no longer due at that slot. Shared by complete_run (with an iteration) and the last-attempt
-- path of fail_run / tick (p_iteration NULL: the schedule-only row).
--   1. lock the mission's projection row and re-check: present, not deleted, active, due_at = p_slot
--      (else return NULL: the caller marks the run superseded; docs/scheduling.md §5.3 step 3);
--   2. read the fresh record through its pointers (current: the caller folded the mission's pending
--      captured rows first, fold_mission);
--   3. S = max(now, c + 1 ms), c = the latest current stamp among the fields written (iterations,
--      nextRunAt, updatedAt — schedule-only: nextRunAt, updatedAt), truncated to the millisecond like
--      toISOString (docs/writeback.md §3, KI-9): S > c always, so a device clock ahead of ours cannot hide the
--      write;
--   4. nextRunAt = next_slot(cadence of the fresh record, now, settings.timezone), ISO text or null;
--   5. iterations = the fresh `iterations` (non-array → []) + p_iteration with finishedAt = now
--      (KI-8: never an older copy); actor per docs/writeback.md §4 from the agent resolved now;
--   6. INSERT under the user's RLS scope (FORCE RLS on sync_changes), restoring the caller's scope;
--      the capture trigger queues the row and this function folds it at once from the values in hand
--      (its queue entry deleted, apply_changes with its offer), in the same transaction, so the mission
--      is no longer due.
-- The caller holds the run's row lock and decides the run's status. Raises on database errors (the
-- caller's transaction, or its sub-block, rolls back everything including the scope change).
-- Returns {"changeId","stamp","nextRunAt","agentResolved"}.
-- Test: test/sql/mana_ai/functions/complete_run.sql, test/sql/mana_ai/functions/fail_run.sql
create or replace function mana_ai_private.write_mission_row(
  p_user_id text, p_mission_id text, p_slot timestamptz, p_iteration jsonb, p_now timestamptz)
  returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_m mana_ai_private.projections;
  v_record jsonb;
  v_agent jsonb;
  v_keys text[];
  v_c bigint;
  v_stamp text;
  v_next timestamptz;
  v_next_json jsonb;
  v_data jsonb;
  v_ft jsonb;
  v_actor jsonb;
  v_prev text;
  v_change_id uuid;
  v_created_at timestamptz;
begin
  if coalesce(p_user_id, '') = '' then
    raise exception using errcode = 'MA105', message = 'refusing to write a mission row without a user id',
      detail = format('mission %s', p_mission_id);
  end if;

  select p.* into v_m
    from mana_ai_private.projections p
   where p.user_id = p_user_id and p.table_name = 'aiMissions' and p.record_id = p_mission_id
     for update;
  if not found or not v_m.present or v_m.deleted or v_m.state is distinct from 'active'
     or v_m.due_at is distinct from p_slot then
    return null;
  end if;

  v_record := mana_ai_private.record_json(p_user_id, 'aiMissions', p_mission_id);
  if v_record is null then
    raise exception using errcode = 'MA104', message = 'mission record cannot be read through its projection',
      detail = format('user %s, mission %s', p_user_id, p_mission_id);
  end if;

  v_keys := case when p_iteration is null then array['nextRunAt', 'updatedAt']
                 else array['iterations', 'nextRunAt', 'updatedAt'] end;
  select max(mana_ai_private.current_stamp_us(v_m.fields, v_m.updated_at_us, k.key))
    into v_c
    from unnest(v_keys) k(key);
  v_stamp := mana_ai_private.to_iso(greatest(p_now, mana_ai_private.us_to_ts(v_c) + interval '1 millisecond'));
  v_ft := (select jsonb_object_agg(k.key, v_stamp) from unnest(v_keys) k(key));

  v_next := mana_ai_private.next_slot(v_record -> 'cadence', p_now, (select s.timezone from mana_ai_private.settings s));
  v_next_json := case when v_next is null then 'null'::jsonb else to_jsonb(mana_ai_private.to_iso(v_next)) end;

  if p_iteration is null then
    v_data := jsonb_build_object('nextRunAt', v_next_json, 'updatedAt', v_stamp);
    v_actor := jsonb_build_object('kind', 'system', 'principalId', 'system:mission-runner', 'displayName', 'Mission-Runner');
  else
    if v_m.agent_id is not null and exists (
      select from mana_ai_private.projections a
       where a.user_id = p_user_id and a.table_name = 'agents' and a.record_id = v_m.agent_id
         and a.present and not a.deleted
    ) then
      v_agent := mana_ai_private.record_json(p_user_id, 'agents', v_m.agent_id);
    end if;
    v_data := jsonb_build_object(
      'iterations', case when jsonb_typeof(v_record -> 'iterations') = 'array' then v_record -> 'iterations' else '[]'::jsonb end
                    || jsonb_build_array(p_iteration || jsonb_build_object('finishedAt', mana_ai_private.to_iso(p_now))),
      'nextRunAt', v_next_json,
      'updatedAt', v_stamp);
    v_actor := jsonb_build_object(
      'kind', 'ai',
      'principalId', case when v_agent is not null then to_jsonb(v_m.agent_id) else '"legacy:ai-default"'::jsonb end,
      'displayName', case when v_agent is null then '"Mana"'::jsonb
                          when jsonb_typeof(v_agent -> 'name') = 'string' then v_agent -> 'name'
                          else '"Unnamed"'::jsonb end,
      'missionId', p_mission_id,
      'iterationId', p_iteration -> 'id',
      'rationale', mana_ai_private.js_string(v_record -> 'objective'));
  end if;

  v_prev := mana_ai_private.user_scope();
  perform mana_ai_private.set_user_scope(p_user_id);
  insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps,
                                   client_id, schema_version, actor)
  values ('ai', 'aiMissions', p_mission_id, p_user_id, 'update', v_data, v_ft,
          'mana-ai-runner', 1, v_actor)
  returning id, created_at into v_change_id, v_created_at;
  perform mana_ai_private.set_user_scope(v_prev);
  -- the capture trigger queued the row; fold it now, so the mission is current (and no longer due)
  -- when this transaction commits
  -- straight from the values in hand: no read-back from the log (only this transaction can see the
  -- row or hold its queue entry), one group for apply_changes, the projection row already locked above
  delete from mana_ai_private.captured c
   where c.record_hash = mana_ai_private.record_hash(p_user_id, 'aiMissions', p_mission_id)
     and c.change_id = v_change_id;
  perform mana_ai_private.apply_changes(
    array[row(p_user_id, 'aiMissions', p_mission_id,
              array(select o from mana_ai_private.make_offer('aiMissions', 'update', v_data, v_ft, v_created_at, v_change_id,
                                                             1, p_mission_id) o))::mana_ai_private.record_changes],
    p_now);

  return jsonb_build_object('changeId', v_change_id, 'stamp', v_stamp, 'nextRunAt', v_next_json,
                            'agentResolved', v_agent is not null);
end
$$;
revoke all on function mana_ai_private.write_mission_row(text, text, timestamptz, jsonb, timestamptz) from public;
comment on function mana_ai_private.write_mission_row(text, text, timestamptz, jsonb, timestamptz) is
  E'Insert the runner''s write-back row for a mission slot (iteration, or schedule-only when p_iteration is NULL).\n\nNULL when the mission is no longer due at that slot; the caller holds the run lock and sets its status.';
