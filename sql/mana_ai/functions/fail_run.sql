-- Records a failed attempt of a claimed run, only for the holder of its current lease token
-- (docs/scheduling.md §5.3 step 4; attempts were counted at claim):
--   stale token or not running → {"status":"stale"}, nothing changes;
--   attempts < settings.max_attempts → `failed`, retry_at = now + min(retry_max_ms,
--     retry_base_ms × 2^(attempts − 1)), the error class and message kept:
--     {"status":"failed","attempts","retryAt"};
--   the last attempt → finish_exhausted_run: the schedule-only row (system actor) and `dead`
--     ({"status":"dead","nextRunAt","stamp","changeId"}), `superseded` when the mission is no longer due
--     at the slot, or — when that write raises — `failed` with attempts = max and the reason recorded,
--     retried by tick() ({"status":"failed","error"}).
-- Test: test/sql/mana_ai/functions/fail_run.sql
create or replace function mana_ai.fail_run(p_run_id bigint, p_lease_token uuid, p_error_class text, p_message text)
  returns jsonb
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := mana_ai_private.now();
  v_run mana_ai.runs;
  v_settings mana_ai_private.settings;
  v_retry_at timestamptz;
begin
  v_run := mana_ai_private.lock_leased_run(p_run_id, p_lease_token);
  if v_run.run_id is null then
    return '{"status": "stale"}';
  end if;
  select s.* into v_settings from mana_ai_private.settings s;

  if v_run.attempts < v_settings.max_attempts then
    v_retry_at := v_now + least(v_settings.retry_max_ms::double precision,
                                v_settings.retry_base_ms * power(2::double precision, greatest(v_run.attempts - 1, 0)))
                          * interval '1 millisecond';
    update mana_ai.runs r
       set status = 'failed',
           retry_at = v_retry_at,
           error_class = p_error_class,
           last_error = left(p_message, 4000),
           lease_until = null,
           updated_at = pg_catalog.now()
     where r.run_id = p_run_id;
    return jsonb_build_object('status', 'failed', 'attempts', v_run.attempts, 'retryAt', mana_ai_private.to_iso(v_retry_at));
  end if;

  -- The last attempt: record it as failed (no retry time: only tick() or the advance below may touch
  -- it now), then advance the schedule of the mission as it is now (its pending captured rows folded
  -- first, while this transaction holds no projection row).
  perform mana_ai_private.fold_mission(v_run.user_id, v_run.mission_id, v_now);
  update mana_ai.runs r
     set status = 'failed',
         retry_at = null,
         error_class = p_error_class,
         last_error = left(p_message, 4000),
         lease_until = null,
         updated_at = pg_catalog.now()
   where r.run_id = p_run_id;
  return mana_ai_private.finish_exhausted_run(p_run_id, v_now);
end
$$;
revoke all on function mana_ai.fail_run(bigint, uuid, text, text) from public;
grant execute on function mana_ai.fail_run(bigint, uuid, text, text) to mana_ai_runner;
comment on function mana_ai.fail_run(bigint, uuid, text, text) is
  E'Record a failed attempt: retry later with exponential backoff, or after the last attempt advance the schedule and mark the run dead.\n\nOnly for the holder of the current lease token; {"status":"stale"} otherwise.';
