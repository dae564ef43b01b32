-- What the listener needs to plan one claimed run (load_run and claim_and_load_runs):
--   {"run": {runId, userId, missionId, slot, attempt, agentId, worker, leaseUntil, claimedAt, becameDueAt},
--    "mission": <the current mission record>, "agent": <the current agent record or null>,
--    "agentResolved": <bool>}
-- Records are read through the projection's pointers under the run's user scope (record_json); the
-- caller has folded the mission's and agent's pending captured rows. The agent is resolved now
-- (present, not deleted, same user); missing or deleted → null and agentResolved false: plan as the
-- legacy principal (KI-11, the listener logs a warning). Checks nothing about the lease: callers do.
-- Test: test/sql/mana_ai/functions/load_run.sql, test/sql/mana_ai/functions/claim_and_load_runs.sql
create or replace function mana_ai_private.run_payload(p_run mana_ai.runs)
  returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_agent_id text;
  v_agent jsonb;
begin
  select a.record_id into v_agent_id
    from mana_ai_private.projections m
    join mana_ai_private.projections a
      on a.user_id = m.user_id and a.table_name = 'agents' and a.record_id = m.agent_id
     and a.present and not a.deleted
   where m.user_id = p_run.user_id and m.table_name = 'aiMissions' and m.record_id = p_run.mission_id;
  if v_agent_id is not null then
    v_agent := mana_ai_private.record_json(p_run.user_id, 'agents', v_agent_id);
  end if;
  return jsonb_build_object(
    'run', jsonb_build_object(
      'runId', p_run.run_id,
      'userId', p_run.user_id,
      'missionId', p_run.mission_id,
      'slot', mana_ai_private.to_iso(p_run.slot),
      'attempt', p_run.attempts,
      'agentId', p_run.agent_id,
      'worker', p_run.worker,
      'leaseUntil', mana_ai_private.to_iso(p_run.lease_until),
      'claimedAt', mana_ai_private.to_iso(p_run.claimed_at),
      'becameDueAt', mana_ai_private.to_iso(p_run.became_due_at)),
    'mission', mana_ai_private.record_json(p_run.user_id, 'aiMissions', p_run.mission_id),
    'agent', v_agent,
    'agentResolved', v_agent is not null);
end
$$;
revoke all on function mana_ai_private.run_payload(mana_ai.runs) from public;
comment on function mana_ai_private.run_payload(mana_ai.runs) is
  E'The run, its current mission and agent records as the listener plans them: {"run", "mission", "agent", "agentResolved"}.';
