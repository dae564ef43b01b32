-- What the listener needs to plan a claimed run, for the holder of its current lease token only:
--   {"run": {runId, userId, missionId, slot, attempt, agentId, worker, leaseUntil, claimedAt, becameDueAt},
--    "mission": <the current mission record>, "agent": <the current agent record or null>,
--    "agentResolved": <bool>}
-- Records are read through the projection's pointers under the run's user scope (record_json). The
-- agent is resolved now (present, not deleted, same user); missing or deleted → null and
-- agentResolved false: plan as the legacy principal (KI-11, the listener logs a warning).
-- A stale token (lease taken over, run finished or released) → NULL: the listener stops. With this
-- and replay_input the listener can read a user's data only while it holds one of that user's runs.
-- Test: test/sql/mana_ai/functions/load_run.sql
create or replace function mana_ai.load_run(p_run_id bigint, p_lease_token uuid)
  returns jsonb
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_run mana_ai.runs;
  v_agent_id text;
  v_agent jsonb;
begin
  select r.* into v_run
    from mana_ai.runs r
   where r.run_id = p_run_id and r.status = 'running' and r.lease_token = p_lease_token;
  if not found then
    return null;
  end if;
  select a.record_id into v_agent_id
    from mana_ai_private.projections m
    join mana_ai_private.projections a
      on a.user_id = m.user_id and a.table_name = 'agents' and a.record_id = m.agent_id
     and a.present and not a.deleted
   where m.user_id = v_run.user_id and m.table_name = 'aiMissions' and m.record_id = v_run.mission_id;
  if v_agent_id is not null then
    v_agent := mana_ai_private.record_json(v_run.user_id, 'agents', v_agent_id);
  end if;
  return jsonb_build_object(
    'run', jsonb_build_object(
      'runId', v_run.run_id,
      'userId', v_run.user_id,
      'missionId', v_run.mission_id,
      'slot', mana_ai_private.to_iso(v_run.slot),
      'attempt', v_run.attempts,
      'agentId', v_run.agent_id,
      'worker', v_run.worker,
      'leaseUntil', mana_ai_private.to_iso(v_run.lease_until),
      'claimedAt', mana_ai_private.to_iso(v_run.claimed_at),
      'becameDueAt', mana_ai_private.to_iso(v_run.became_due_at)),
    'mission', mana_ai_private.record_json(v_run.user_id, 'aiMissions', v_run.mission_id),
    'agent', v_agent,
    'agentResolved', v_agent is not null);
end
$$;
revoke all on function mana_ai.load_run(bigint, uuid) from public;
grant execute on function mana_ai.load_run(bigint, uuid) to mana_ai_runner;
comment on function mana_ai.load_run(bigint, uuid) is
  E'The claimed run, its current mission and agent records, for the holder of its current lease token.\n\n{"run": {…}, "mission": {…}, "agent": {…}|null, "agentResolved": bool}; NULL for a stale token.';
