-- Ends a run that used its last attempt (docs/scheduling.md §5.3 step 4): writes the schedule-only row
-- (data {nextRunAt, updatedAt}, system actor) so the mission moves on to its next slot instead of
-- being due forever, and marks the run `dead` with schedule_advanced. If the mission is no longer due
-- at the run's slot, nothing is written and the run is `superseded`.
-- If the write raises (RLS, a broken trigger, …) the run stays `failed` with attempts = max and the
-- reason in last_error; tick() calls this again for every such run until the advance succeeds. The
-- write runs in a sub-block, so a failure rolls back only the write, never the caller.
-- A `running` run is here because its holder's lease expired on the last attempt: that is recorded too.
-- The caller holds the run's row lock. Returns {"status":"dead"|"superseded"|"failed", …}.
-- Test: test/sql/mana_ai/functions/fail_run.sql, test/sql/mana_ai/functions/tick.sql
create or replace function mana_ai_private.finish_exhausted_run(p_run_id bigint, p_now timestamptz)
  returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_run mana_ai.runs;
  v_max int := (select s.max_attempts from mana_ai_private.settings s);
  v_res jsonb;
  v_error text;
begin
  select r.* into v_run from mana_ai.runs r where r.run_id = p_run_id;
  if not found then
    return jsonb_build_object('status', 'missing');
  end if;
  if v_run.status = 'running' then
    update mana_ai.runs r
       set error_class = 'lease-expired',
           last_error = format('lease expired on attempt %s of %s', r.attempts, v_max),
           updated_at = pg_catalog.now()
     where r.run_id = p_run_id;
  end if;

  begin
    -- pending captured rows of the mission first; without waiting: tick() calls this in a loop and
    -- holds the projection rows of the runs it finished before (fail_run folded, waiting, already)
    perform mana_ai_private.fold_mission(v_run.user_id, v_run.mission_id, p_now, false);
    v_res := mana_ai_private.write_mission_row(v_run.user_id, v_run.mission_id, v_run.slot, null, p_now);
    if v_res is null then
      update mana_ai.runs r
         set status = 'superseded', finished_at = p_now, lease_until = null, retry_at = null, updated_at = pg_catalog.now()
       where r.run_id = p_run_id;
      return jsonb_build_object('status', 'superseded');
    end if;
    update mana_ai.runs r
       set status = 'dead',
           schedule_advanced = true,
           next_run_at = (v_res ->> 'nextRunAt')::timestamptz,
           finished_at = p_now,
           lease_until = null,
           retry_at = null,
           updated_at = pg_catalog.now()
     where r.run_id = p_run_id;
    -- counted here, whoever finished it (fail_run or tick): mana_ai_runs_total{outcome="dead"}
    perform mana_ai_private.count_many('{"runs:dead": 1}');
    return jsonb_build_object('status', 'dead', 'nextRunAt', v_res -> 'nextRunAt', 'stamp', v_res -> 'stamp',
                              'changeId', v_res -> 'changeId');
  exception when others then
    v_error := sqlerrm;
  end;

  -- The write failed: keep the run retryable by tick() only (attempts = max, never claimed again).
  update mana_ai.runs r
     set status = 'failed',
         attempts = greatest(r.attempts, v_max),
         lease_until = null,
         retry_at = null,
         last_error = left(concat_ws(' | ',
                                     nullif(regexp_replace(coalesce(r.last_error, ''), '( \| )?schedule advance failed: .*$', ''), ''),
                                     'schedule advance failed: ' || v_error), 4000),
         updated_at = pg_catalog.now()
   where r.run_id = p_run_id;
  return jsonb_build_object('status', 'failed', 'error', v_error);
end
$$;
revoke all on function mana_ai_private.finish_exhausted_run(bigint, timestamptz) from public;
comment on function mana_ai_private.finish_exhausted_run(bigint, timestamptz) is
  E'Advance the schedule of a run that used its last attempt and mark it dead (or superseded).\n\nOn a failed write the run stays failed with attempts = max; tick() retries.';
