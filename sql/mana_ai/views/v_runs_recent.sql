-- Operator view: the ledger's recent history, newest first: every run touched (enqueued, claimed,
-- updated or finished) in the last 24 hours of the runner clock, plus every open run (queued, running,
-- failed) however old, so a stuck run never drops out of sight.
--   wait:     became_due_at → claimed_at (the latest claim), how long the slot waited for a listener;
--   duration: claimed_at → finished_at, or → now while running (the latest attempt only);
--   lease_live: a running run whose lease has not expired (an expired one is re-claimed or swept).
-- Why security_invoker: see v_missions.sql. Owned by mana_ai_owner; not granted to mana_ai_runner.
-- Test: test/sql/mana_ai/views/v_runs_recent.sql
create or replace view mana_ai.v_runs_recent
  with (security_invoker = true)
as
with clock as materialized (
  select mana_ai_private.now() as now
)
select r.run_id,
       r.user_id,
       r.mission_id,
       r.agent_id,
       r.slot,
       r.status,
       r.attempts,
       r.worker,
       r.error_class,
       r.last_error,
       r.iteration_id,
       r.retry_at,
       r.lease_until,
       r.status = 'running' and r.lease_until >= clock.now as lease_live,
       r.became_due_at,
       r.enqueued_at,
       r.claimed_at,
       r.finished_at,
       r.claimed_at - r.became_due_at as wait,
       coalesce(r.finished_at, case when r.status = 'running' then clock.now end) - r.claimed_at as duration,
       r.next_run_at,
       r.schedule_advanced,
       r.updated_at
  from mana_ai.runs r
 cross join clock
 where r.status in ('queued', 'running', 'failed')
    or greatest(r.enqueued_at, r.claimed_at, r.finished_at, r.updated_at) >= clock.now - interval '24 hours'
 order by r.enqueued_at desc, r.run_id desc;

comment on view mana_ai.v_runs_recent is
  E'Runs touched in the last 24 hours plus every open run, newest first: status, attempts, errors, wait, duration, worker.\n\n'
  'Read as the admin (security_invoker; not granted to mana_ai_runner).';
comment on column mana_ai.v_runs_recent.run_id is 'Ledger id.';
comment on column mana_ai.v_runs_recent.user_id is 'Owner of the mission.';
comment on column mana_ai.v_runs_recent.mission_id is 'The mission''s record id.';
comment on column mana_ai.v_runs_recent.agent_id is 'Resolved agent at enqueue/claim (NULL = legacy principal).';
comment on column mana_ai.v_runs_recent.slot is 'The due instant this run plans for (one run per user, mission and slot).';
comment on column mana_ai.v_runs_recent.status is 'queued, running, done, failed (retry pending), superseded or dead.';
comment on column mana_ai.v_runs_recent.attempts is 'Claims so far (each claim is one attempt).';
comment on column mana_ai.v_runs_recent.worker is 'Listener that claimed the run last.';
comment on column mana_ai.v_runs_recent.error_class is 'Class of the last failure (e.g. llm:timeout, parse).';
comment on column mana_ai.v_runs_recent.last_error is 'Message of the last failure.';
comment on column mana_ai.v_runs_recent.iteration_id is 'The iteration written back (done runs).';
comment on column mana_ai.v_runs_recent.retry_at is 'When a failed run may be claimed again.';
comment on column mana_ai.v_runs_recent.lease_until is 'End of the current lease (running runs).';
comment on column mana_ai.v_runs_recent.lease_live is 'Running with a lease that has not expired.';
comment on column mana_ai.v_runs_recent.became_due_at is 'When the slot became due in the database.';
comment on column mana_ai.v_runs_recent.enqueued_at is 'When the run was inserted.';
comment on column mana_ai.v_runs_recent.claimed_at is 'Latest claim.';
comment on column mana_ai.v_runs_recent.finished_at is 'When it reached done, superseded or dead.';
comment on column mana_ai.v_runs_recent.wait is 'became_due_at to the latest claim.';
comment on column mana_ai.v_runs_recent.duration is 'Latest claim to finish (to now while running).';
comment on column mana_ai.v_runs_recent.next_run_at is 'nextRunAt written with the iteration or the schedule-only row.';
comment on column mana_ai.v_runs_recent.schedule_advanced is 'A dead run''s schedule-only row was written.';
comment on column mana_ai.v_runs_recent.updated_at is 'Last change of the row (database clock).';
