-- Marks `superseded` every open run whose mission is no longer due at the run's slot: deleted or folded
-- away, no longer active, or its slot moved (a device changed nextRunAt, or the browser ran the slot).
-- Open = queued, failed (retry pending or schedule advance pending), or running with an expired lease
-- (nobody holds it any more). A run with a live lease is left to its holder: complete_run re-checks
-- under the mission's row lock and supersedes it there (docs/scheduling.md §5.3 steps 2–3).
-- Gates do not supersede: a paused agent's run stays queued until it is resumed.
-- SKIP LOCKED: a run being completed or failed right now is not waited for; its holder decides.
-- Called by tick() and by claim_runs() before choosing. Cost: the open runs (runs_open_idx) and one
-- projection primary-key probe each.
-- Test: test/sql/mana_ai_private/functions/supersede_runs.sql
create or replace function mana_ai_private.supersede_runs(p_now timestamptz)
  returns int
  language sql volatile
  set search_path = pg_catalog, pg_temp
as $$
  with stale as (
    select r.run_id
      from mana_ai.runs r
     where r.status in ('queued', 'running', 'failed')
       and (r.status <> 'running' or r.lease_until < p_now)
       and not exists (
         select
           from mana_ai_private.projections p
          where p.user_id = r.user_id
            and p.table_name = 'aiMissions'
            and p.record_id = r.mission_id
            and p.present
            and not p.deleted
            and p.due_at = r.slot)
       for update of r skip locked
  ), upd as (
    update mana_ai.runs r
       set status = 'superseded',
           finished_at = p_now,
           lease_until = null,
           retry_at = null,
           updated_at = pg_catalog.now()
      from stale s
     where r.run_id = s.run_id
    returning 1
  )
  select count(*)::int from upd
$$;
revoke all on function mana_ai_private.supersede_runs(timestamptz) from public;
comment on function mana_ai_private.supersede_runs(timestamptz) is
  E'Mark superseded the open runs (queued, failed, expired running) whose mission is no longer due at their slot.\n\nReturns how many.';
