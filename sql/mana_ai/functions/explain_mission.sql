-- Why a mission is or is not due: the operator's "why did / didn't this mission run?" in one call. Reads
-- the projection, the agent, the ledger and the quarantine, and walks the same decisions, in the same
-- order, as the projection (due_at), due_missions (gate), claim_candidates (quota) and the ledger:
--   not-found    no projection row for (user, mission) — never synced as an ai mission, or wrong user;
--   ambiguous    p_user_id NULL and several users have a mission with this id (`users` lists them);
--   absent       the record folded away (tombstone);
--   deleted      deletedAt is set;
--   not-active   state is not 'active' (paused, done, archived, …);
--   no-slot      active, but no due instant: nextRunAt null/absent/unparseable, manual cadence, or a cron
--                mission without a fire time;
--   agent-archived / agent-paused   the resolved agent gates it (archived before paused);
--   not-yet-due  the slot lies ahead;
--   due          the slot has passed: `slot.run` says what the ledger does about it (none yet → the next
--                tick enqueues it; queued, possibly quota-blocked or waiting for the agent's token budget;
--                running; failed with retry time; …).
-- The answer is structured, never prose: `verdict` (above) plus `cause`, a code refining it —
--   not-active   no-state | state
--   no-slot      next-run-at-unparseable | next-run-at-not-string | cadence-invalid | manual-cadence |
--                cron-no-fire | next-run-at-unset
--   due          not-enqueued | budget-blocked | quota-blocked | queued | running | lease-lost | retry-now |
--                retry-later | finished
-- — and `notes`, codes that hold whatever the verdict: cadence-invalid (an invalid cadence does not
-- stop a slot already set, but after that run nextRunAt becomes null and the mission stops being due),
-- agent-unresolved (the agentId names no resolvable agent: legacy principal), agent-gated (the agent
-- would skip the mission once due). The facts the words need are in `mission`, `agent` and `slot`;
-- `mana-ai explain` (src/cli/explain.ts) words them.
-- p_user_id NULL looks the mission id up across users. Read-only (stable). Definer, like every function
-- in mana_ai, but not granted to mana_ai_runner: it reads across users and is for the admin (psql, or
-- `mana-ai explain`). Timestamps are toISOString() text; durations are seconds.
-- Test: test/sql/mana_ai/functions/explain_mission.sql
create or replace function mana_ai.explain_mission(p_user_id text, p_mission_id text)
  returns jsonb
  language plpgsql stable
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := mana_ai_private.now();
  v_tz text := (select s.timezone from mana_ai_private.settings s);
  v_users text[];
  v_user text := p_user_id;
  v_m mana_ai_private.projections;
  v_a mana_ai_private.projections;
  v_agent_row boolean := false;
  v_agent_resolved boolean := false;
  v_gate text;
  v_run mana_ai.runs;
  v_blocked boolean;
  v_budget_gated boolean;
  v_running_live bigint;
  v_stored jsonb;
  v_verdict text;
  v_cause text;
  v_notes text[] := '{}';
  v_agent jsonb;
  v_slot jsonb;
  v_runs jsonb;
  v_quarantine jsonb;
  v_next_if_run_now timestamptz;
begin
  if coalesce(p_mission_id, '') = '' then
    raise exception using errcode = 'MA101', message = 'explain_mission needs a mission id';
  end if;
  if v_user is null then
    select coalesce(array_agg(p.user_id order by p.user_id), '{}')
      into v_users
      from mana_ai_private.projections p
     where p.table_name = 'aiMissions'
       and p.record_id = p_mission_id;
    if cardinality(v_users) > 1 then
      return jsonb_build_object(
        'missionId', p_mission_id, 'userId', null, 'now', mana_ai_private.to_iso(v_now), 'found', true,
        'verdict', 'ambiguous', 'cause', null, 'due', false, 'users', to_jsonb(v_users));
    end if;
    v_user := v_users[1];
  end if;

  select p.* into v_m
    from mana_ai_private.projections p
   where p.user_id = v_user and p.table_name = 'aiMissions' and p.record_id = p_mission_id;
  if not found then
    return jsonb_build_object(
      'missionId', p_mission_id, 'userId', v_user, 'now', mana_ai_private.to_iso(v_now), 'found', false,
      'verdict', 'not-found', 'cause', null, 'due', false, 'users', '[]'::jsonb);
  end if;

  -- The agent exactly as due_missions resolves it (resolved_agents); the raw row says why it did not.
  if v_m.agent_id is not null then
    select p.* into v_a
      from mana_ai_private.projections p
     where p.user_id = v_user and p.table_name = 'agents' and p.record_id = v_m.agent_id;
    v_agent_row := found;
    select true, ra.gate into v_agent_resolved, v_gate
      from mana_ai_private.resolved_agents ra
     where ra.user_id = v_user and ra.agent_id = v_m.agent_id;
    v_agent_resolved := coalesce(v_agent_resolved, false);
    if v_agent_resolved then
      select count(*) into v_running_live
        from mana_ai.runs r
       where r.user_id = v_user and r.agent_id = v_a.record_id and r.status = 'running' and r.lease_until >= v_now;
    end if;
  end if;
  v_agent := case
    when v_m.agent_id is null then null
    else jsonb_build_object(
      'id', v_m.agent_id, 'resolved', v_agent_resolved, 'found', v_agent_row,
      'present', case when v_agent_row then v_a.present end, 'deleted', case when v_agent_row then v_a.deleted end,
      'state', case when v_agent_row then v_a.state end, 'name', case when v_agent_row then v_a.name end,
      'quota', case when v_agent_resolved then v_a.max_concurrent end, 'runningLive', v_running_live)
  end;

  -- The run of the current slot, and whether the quota holds it back.
  if v_m.due_at is not null then
    select r.* into v_run
      from mana_ai.runs r
     where r.user_id = v_user and r.mission_id = p_mission_id and r.slot = v_m.due_at;
    if v_run.run_id is not null then
      select c.blocked, c.gate = 'skipped-budget' into v_blocked, v_budget_gated
        from mana_ai_private.claim_candidates(v_now) c where c.run_id = v_run.run_id;
    end if;
    v_slot := jsonb_build_object(
      'at', mana_ai_private.to_iso(v_m.due_at),
      'dueNow', v_m.due_at <= v_now,
      'lateBySeconds', case when v_m.due_at <= v_now then round(extract(epoch from v_now - v_m.due_at), 3) end,
      'dueInSeconds', case when v_m.due_at > v_now then round(extract(epoch from v_m.due_at - v_now), 3) end,
      'run', case when v_run.run_id is null then null else jsonb_build_object(
        'runId', v_run.run_id, 'status', v_run.status, 'attempts', v_run.attempts, 'worker', v_run.worker,
        'retryAt', mana_ai_private.to_iso(v_run.retry_at), 'leaseUntil', mana_ai_private.to_iso(v_run.lease_until),
        'leaseLive', v_run.status = 'running' and v_run.lease_until >= v_now,
        'claimable', v_blocked is not null, 'quotaBlocked', coalesce(v_blocked, false),
        'budgetBlocked', coalesce(v_budget_gated, false),
        'budget', case when coalesce(v_budget_gated, false) then jsonb_build_object(
          'tokensUsed', mana_ai_private.tokens_used(v_user, v_run.agent_id, v_now),
          'maxTokensPerDay', mana_ai_private.token_budget(
            (select a.vals -> 'maxTokensPerDay' from mana_ai_private.projections a
              where a.user_id = v_user and a.table_name = 'agents' and a.record_id = v_run.agent_id)),
          'freesAt', mana_ai_private.to_iso(mana_ai_private.budget_frees_at(v_user, v_run.agent_id,
            mana_ai_private.token_budget(
              (select a.vals -> 'maxTokensPerDay' from mana_ai_private.projections a
                where a.user_id = v_user and a.table_name = 'agents' and a.record_id = v_run.agent_id)), v_now))) end,
        'errorClass', v_run.error_class, 'lastError', v_run.last_error) end);
  end if;

  -- Verdict: the first decision that keeps the mission from running, in the order SQL applies them.
  v_stored := v_m.vals -> 'nextRunAt';
  if not v_m.present then
    v_verdict := 'absent';
  elsif v_m.deleted then
    v_verdict := 'deleted';
  elsif v_m.state is distinct from 'active' then
    v_verdict := 'not-active';
    v_cause := case when v_m.state is null then 'no-state' else 'state' end;
  elsif v_m.due_at is null then
    v_verdict := 'no-slot';
    v_cause := case
      when jsonb_typeof(v_stored) = 'string' then 'next-run-at-unparseable'
      when v_stored is not null and jsonb_typeof(v_stored) <> 'null' then 'next-run-at-not-string'
      when v_m.cadence_error is not null then 'cadence-invalid'
      when v_m.vals -> 'cadence' ->> 'kind' = 'manual' then 'manual-cadence'
      when v_m.vals -> 'cadence' ->> 'kind' = 'cron' then 'cron-no-fire'
      else 'next-run-at-unset'
    end;
  elsif v_gate = 'skipped-archived' then
    v_verdict := 'agent-archived';
  elsif v_gate = 'skipped-paused' then
    v_verdict := 'agent-paused';
  elsif v_m.due_at > v_now then
    v_verdict := 'not-yet-due';
  else
    v_verdict := 'due';
    v_cause := case
      when v_run.run_id is null then 'not-enqueued'
      when coalesce(v_budget_gated, false) then 'budget-blocked'
      when v_run.status = 'queued' and coalesce(v_blocked, false) then 'quota-blocked'
      when v_run.status = 'queued' then 'queued'
      when v_run.status = 'running' and v_run.lease_until >= v_now then 'running'
      when v_run.status = 'running' then 'lease-lost'
      when v_run.status = 'failed' and v_blocked is not null then 'retry-now'
      when v_run.status = 'failed' then 'retry-later'
      else 'finished'
    end;
  end if;

  -- Notes that hold whatever the verdict.
  if v_m.cadence_error is not null then
    v_notes := v_notes || 'cadence-invalid'::text;
  end if;
  if v_m.agent_id is not null and not v_agent_resolved then
    v_notes := v_notes || 'agent-unresolved'::text;
  end if;
  if v_gate is not null and v_verdict not in ('agent-archived', 'agent-paused') then
    v_notes := v_notes || 'agent-gated'::text;
  end if;
  v_next_if_run_now := mana_ai_private.next_slot(v_m.vals -> 'cadence', v_now, v_tz);

  select coalesce(jsonb_agg(jsonb_build_object(
           'runId', r.run_id, 'slot', mana_ai_private.to_iso(r.slot), 'status', r.status, 'attempts', r.attempts,
           'worker', r.worker, 'errorClass', r.error_class, 'lastError', r.last_error, 'iterationId', r.iteration_id,
           'enqueuedAt', mana_ai_private.to_iso(r.enqueued_at), 'claimedAt', mana_ai_private.to_iso(r.claimed_at),
           'finishedAt', mana_ai_private.to_iso(r.finished_at), 'retryAt', mana_ai_private.to_iso(r.retry_at))
           order by r.slot desc, r.run_id desc), '[]')
    into v_runs
    from (select r.* from mana_ai.runs r
           where r.user_id = v_user and r.mission_id = p_mission_id
           order by r.slot desc, r.run_id desc limit 5) r;
  select coalesce(jsonb_agg(jsonb_build_object(
           'at', mana_ai_private.to_iso(q.quarantined_at), 'reason', q.reason, 'applied', q.applied, 'changeId', q.change_id)
           order by q.quarantined_at desc, q.quarantine_id desc), '[]')
    into v_quarantine
    from (select q.* from mana_ai_private.quarantine q
           where q.user_id = v_user and q.record_id = p_mission_id and q.table_name = 'aiMissions'
           order by q.quarantined_at desc, q.quarantine_id desc limit 5) q;

  return jsonb_build_object(
    'missionId', p_mission_id,
    'userId', v_user,
    'now', mana_ai_private.to_iso(v_now),
    'found', true,
    'verdict', v_verdict,
    'cause', v_cause,
    'due', v_verdict = 'due',
    'notes', to_jsonb(v_notes),
    'mission', jsonb_build_object(
      'present', v_m.present, 'deleted', v_m.deleted, 'state', v_m.state, 'agentId', v_m.agent_id,
      'cadence', v_m.vals -> 'cadence', 'cadenceError', v_m.cadence_error,
      'nextRunAt', mana_ai_private.to_iso(v_m.next_run_at), 'nextRunAtStored', v_stored,
      'dueAt', mana_ai_private.to_iso(v_m.due_at), 'nextSlotIfRunNow', mana_ai_private.to_iso(v_next_if_run_now),
      'rowsApplied', v_m.rows_applied, 'lastChangeAt', mana_ai_private.to_iso(v_m.last_created_at)),
    'agent', v_agent,
    'gate', v_gate,
    'slot', v_slot,
    'runs', v_runs,
    'quarantine', v_quarantine);
end
$$;
revoke all on function mana_ai.explain_mission(text, text) from public;
comment on function mana_ai.explain_mission(text, text) is
  E'Why a mission is or is not due, as codes: verdict (not-found, ambiguous, absent, deleted, not-active, no-slot, agent-archived, agent-paused, not-yet-due, due), cause, notes; and the facts: mission, agent, slot and its run, last runs, quarantine.\n\n'
  'p_user_id NULL looks the id up across users (verdict ambiguous lists them). Read-only; for the admin, not granted to mana_ai_runner.';
