-- Folds the pending captured rows of one mission and of its agent before a function reads or writes
-- the mission (load_run, complete_run, fail_run's last attempt; docs/architecture.md, "Capture, then
-- fold"). One waiting pass for the mission and the agent it has now; when that pass changed the
-- mission's agent, a second, non-waiting pass for the new one (the first pass holds projection rows).
-- p_wait = false for callers that already hold projection rows (tick()'s exhausted runs).
-- Returns the queue rows folded.
-- Test: test/sql/mana_ai_private/functions/fold/fold.sql
create or replace function mana_ai_private.fold_mission(p_user_id text, p_mission_id text, p_now timestamptz,
                                                        p_wait boolean default true)
  returns int
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_rows int;
  v_agent text;
  v_agent_now text;
begin
  if not exists (select from mana_ai_private.captured) then
    return 0;
  end if;
  v_agent := (select p.agent_id from mana_ai_private.projections p
               where p.user_id = p_user_id and p.table_name = 'aiMissions' and p.record_id = p_mission_id);
  v_rows := mana_ai_private.fold_records(array[p_user_id, p_user_id], array['aiMissions', 'agents'],
                                         array[p_mission_id, v_agent], p_now, p_wait);
  if v_rows > 0 then
    v_agent_now := (select p.agent_id from mana_ai_private.projections p
                     where p.user_id = p_user_id and p.table_name = 'aiMissions' and p.record_id = p_mission_id);
    if v_agent_now is distinct from v_agent and v_agent_now is not null then
      v_rows := v_rows + mana_ai_private.fold_records(array[p_user_id], array['agents'], array[v_agent_now], p_now, false);
    end if;
  end if;
  return v_rows;
end
$$;
revoke all on function mana_ai_private.fold_mission(text, text, timestamptz, boolean) from public;
comment on function mana_ai_private.fold_mission(text, text, timestamptz, boolean) is
  'Fold the pending captured rows of one mission and its agent (waiting for other folders unless p_wait is false). Returns the rows folded.';
