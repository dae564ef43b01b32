-- Operator view: every projected ai mission of every user, with what decides whether it runs: present,
-- deleted, state, cadence and its error, nextRunAt (parsed and as stored), due_at, the resolved agent
-- and its gate, and the newest run of the ledger. The answer to "what does SQL believe about mission X?".
-- Why security_invoker: the view reads with the rights of whoever queries it, so it opens nothing that
-- the reader could not read directly. The admin (superuser, or a member of mana_ai_owner under the
-- all_system policies) sees every user; mana_ai_runner is granted nothing here and has no rights on the
-- tables or on mana_ai_private, so even a stray GRANT on the view could not make it a cross-user read.
-- Owned by mana_ai_owner; not granted to anyone (operators query it as the admin, e.g. in psql).
-- Cost: one pass over the mission projections, agents and last runs by key; meant for people, not loops.
-- Test: test/sql/mana_ai/views/v_missions.sql
create or replace view mana_ai.v_missions
  with (security_invoker = true)
as
select m.user_id,
       m.record_id as mission_id,
       m.present,
       m.deleted,
       m.state,
       m.vals -> 'cadence' ->> 'kind' as cadence_kind,
       m.vals -> 'cadence' as cadence,
       m.cadence_error,
       m.next_run_at,
       m.vals -> 'nextRunAt' as next_run_at_stored,
       m.due_at,
       m.due_at <= mana_ai_private.now() as due_now,
       m.agent_id,
       a.agent_id is not null as agent_resolved,
       a.state as agent_state,
       a.gate,
       lr.run_id as last_run_id,
       lr.slot as last_run_slot,
       lr.status as last_run_status,
       lr.attempts as last_run_attempts,
       lr.error_class as last_run_error_class,
       lr.last_error as last_run_error,
       lr.finished_at as last_run_finished_at,
       m.rows_applied,
       m.last_created_at,
       m.projected_at
  from mana_ai_private.projections m
  left join mana_ai_private.resolved_agents a
    on a.user_id = m.user_id
   and a.agent_id = m.agent_id
  left join lateral (
    select r.run_id, r.slot, r.status, r.attempts, r.error_class, r.last_error, r.finished_at
      from mana_ai.runs r
     where r.user_id = m.user_id
       and r.mission_id = m.record_id
     order by r.slot desc, r.run_id desc
     limit 1
  ) lr on true
 where m.table_name = 'aiMissions'
 order by m.user_id, m.record_id;

comment on view mana_ai.v_missions is
  E'Every projected ai mission: present/deleted/state, cadence and cadence_error, next_run_at, due_at, agent gate, last run.\n\n'
  'Read as the admin (security_invoker; not granted to mana_ai_runner). For one mission''s full story: select mana_ai.explain_mission(user_id, mission_id).';
comment on column mana_ai.v_missions.user_id is 'Owner of the mission (sync_changes.user_id).';
comment on column mana_ai.v_missions.mission_id is 'The mission''s record id.';
comment on column mana_ai.v_missions.present is 'false: the record folded away (tombstone: hard delete or no rows left); it is never due.';
comment on column mana_ai.v_missions.deleted is 'deletedAt is set (soft delete); never due.';
comment on column mana_ai.v_missions.state is 'The mission''s state field; only ''active'' missions are due.';
comment on column mana_ai.v_missions.cadence_kind is 'cadence.kind: manual, interval, daily, weekly, cron (or anything a device wrote).';
comment on column mana_ai.v_missions.cadence is 'The cadence object as folded.';
comment on column mana_ai.v_missions.cadence_error is 'Why the cadence is invalid (NULL = valid). An invalid cadence yields no next slot after a run.';
comment on column mana_ai.v_missions.next_run_at is 'nextRunAt parsed as an instant (NULL when absent, null or unparseable).';
comment on column mana_ai.v_missions.next_run_at_stored is 'nextRunAt exactly as stored (JSON), to spot unparseable values.';
comment on column mana_ai.v_missions.due_at is 'The slot at which the mission is due (NULL = not due at all: absent, deleted, not active, or no slot).';
comment on column mana_ai.v_missions.due_now is 'due_at has passed (runner clock). Gated missions are due but not run.';
comment on column mana_ai.v_missions.agent_id is 'The mission''s agentId as written (may name a missing or deleted agent).';
comment on column mana_ai.v_missions.agent_resolved is 'agentId names a present, non-deleted agent of the same user; false = legacy principal, ungated.';
comment on column mana_ai.v_missions.agent_state is 'State of the resolved agent (NULL when unresolved).';
comment on column mana_ai.v_missions.gate is 'skipped-archived or skipped-paused when the resolved agent blocks the mission, else NULL.';
comment on column mana_ai.v_missions.last_run_id is 'The newest run of the mission in the ledger (by slot).';
comment on column mana_ai.v_missions.last_run_slot is 'Slot of that run.';
comment on column mana_ai.v_missions.last_run_status is 'queued, running, done, failed (retry pending), superseded or dead.';
comment on column mana_ai.v_missions.last_run_attempts is 'Attempts of that run so far.';
comment on column mana_ai.v_missions.last_run_error_class is 'Error class of the last failed attempt (e.g. llm:timeout), NULL if none.';
comment on column mana_ai.v_missions.last_run_error is 'Message of the last failed attempt, NULL if none.';
comment on column mana_ai.v_missions.last_run_finished_at is 'When that run reached done, superseded or dead.';
comment on column mana_ai.v_missions.rows_applied is 'sync_changes rows folded into the projection.';
comment on column mana_ai.v_missions.last_created_at is 'created_at of the newest folded row.';
comment on column mana_ai.v_missions.projected_at is 'When the projection row was last written.';
