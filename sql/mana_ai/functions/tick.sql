-- One scheduler pass (docs/scheduling.md §5, docs/operations.md §4). What pg_cron runs every minute, what the
-- listener's timer and POST /internal/tick call. Idempotent and safe to overlap: every step is a
-- set-based statement guarded by the ledger's unique key or by SKIP LOCKED row locks.
--   0. fold the capture queue (fold_captured, batches of 1,000, at most 10,000 rows per pass: where no
--      listener folds, this is what keeps the projection current; docs/architecture.md);
--   1. supersede open runs whose mission is no longer due at their slot (supersede_runs);
--   2. enqueue every due, ungated mission without a run for its slot (enqueue_due; one NOTIFY when
--      it inserted anything);
--   3. finish runs that can never be claimed again — running with an expired lease and attempts >=
--      max, failed with attempts >= max — with the schedule-only row and status dead
--      (finish_exhausted_run; a write that fails leaves the run failed for the next tick and adds
--      "mission=<id>: …" to errors);
--   4. count this pass's agent decisions (only for missions with a resolved agent, like the reference):
--      skipped-archived and skipped-paused per due mission, skipped-concurrency per claimable run its
--      agent's quota blocks now ("missions per tick"), skipped-budget per claimable run its agent's
--      token budget holds back now;
--   5. fold counter_deltas into counters (deltas are deleted row by row, so overlapping ticks never
--      count one twice), record tick_state.
-- Returns the reference's stats (plan counters are the listener's and stay 0 here) plus enqueued,
-- superseded, dead, folded and gated. Cost: index scans proportional to due missions and open runs only.
-- Test: test/sql/mana_ai/functions/tick.sql
create or replace function mana_ai.tick()
  returns jsonb
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := mana_ai_private.now();
  v_max int := (select s.max_attempts from mana_ai_private.settings s);
  v_superseded int;
  v_enqueued int;
  v_dead int := 0;
  v_due int;
  v_paused int;
  v_archived int;
  v_concurrency int;
  v_budget int;
  v_errors jsonb := '[]';
  v_run record;
  v_res jsonb;
  v_stats jsonb;
  v_folded int := 0;
  v_batch int;
begin
  loop
    v_batch := (mana_ai_private.fold_captured(1000, v_now) ->> 'rows')::int;
    v_folded := v_folded + v_batch;
    exit when v_batch < 1000 or v_folded >= 10000;
  end loop;
  v_superseded := mana_ai_private.supersede_runs(v_now);
  v_enqueued := mana_ai_private.enqueue_due(v_now);

  for v_run in
    select r.run_id, r.mission_id
      from mana_ai.runs r
     where r.status in ('running', 'failed')
       and r.attempts >= v_max
       and (r.status = 'failed' or r.lease_until < v_now)
     order by r.slot, r.user_id, r.mission_id
       for update skip locked
  loop
    v_res := mana_ai_private.finish_exhausted_run(v_run.run_id, v_now);
    case v_res ->> 'status'
      when 'dead' then v_dead := v_dead + 1;
      when 'superseded' then v_superseded := v_superseded + 1;
      when 'failed' then
        v_errors := v_errors || to_jsonb(format('mission=%s: schedule advance failed: %s', v_run.mission_id, v_res ->> 'error'));
      else null;
    end case;
  end loop;

  select count(*)::int,
         (count(*) filter (where d.gate = 'skipped-paused'))::int,
         (count(*) filter (where d.gate = 'skipped-archived'))::int
    into v_due, v_paused, v_archived
    from mana_ai_private.due_missions d
   where d.slot <= v_now;
  select (count(*) filter (where c.blocked))::int,
         (count(*) filter (where c.gate = 'skipped-budget'))::int
    into v_concurrency, v_budget
    from mana_ai_private.claim_candidates(v_now) c;

  perform mana_ai_private.count_many(jsonb_build_object(
    'fold_rows', v_folded,
    'agent_decisions:skipped-paused', v_paused,
    'agent_decisions:skipped-archived', v_archived,
    'agent_decisions:skipped-concurrency', v_concurrency,
    'agent_decisions:skipped-budget', v_budget));
  with d as (
    delete from mana_ai_private.counter_deltas returning name, delta
  )
  insert into mana_ai_private.counters as c (name, value)
  select d.name, sum(d.delta)
    from d
   group by d.name
   order by d.name
      on conflict (name) do update set value = c.value + excluded.value;

  v_stats := jsonb_build_object(
    'scannedAt', mana_ai_private.to_iso(v_now),
    'dueMissionCount', v_due,
    'plansProduced', 0,
    'plansWrittenBack', 0,
    'parseFailures', 0,
    'errors', v_errors,
    'enqueued', v_enqueued,
    'superseded', v_superseded,
    'dead', v_dead,
    'folded', v_folded,
    'gated', jsonb_build_object('skipped-archived', v_archived, 'skipped-paused', v_paused,
                                'skipped-concurrency', v_concurrency, 'skipped-budget', v_budget));
  update mana_ai_private.tick_state t
     set ticks = t.ticks + 1, last_tick_at = v_now, last_stats = v_stats;
  return v_stats;
end
$$;
revoke all on function mana_ai.tick() from public;
grant execute on function mana_ai.tick() to mana_ai_runner;
comment on function mana_ai.tick() is
  E'One idempotent scheduler pass: fold the capture queue, supersede, enqueue due missions, finish exhausted runs, count gates and fold counters.\n\nReturns {scannedAt, dueMissionCount, plansProduced: 0, plansWrittenBack: 0, parseFailures: 0, errors, enqueued, superseded, dead, folded, gated: {skipped-archived, skipped-paused, skipped-concurrency, skipped-budget}}. Notifies mana_ai_runs once when it enqueued something.';
