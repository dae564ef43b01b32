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
-- p_tokens: the LLM tokens of this attempt (NULL = no response received), recorded in the token ledger
-- in this transaction for the lease holder — a plan that did not parse still cost its tokens.
-- Test: test/sql/mana_ai/functions/fail_run.sql
drop function if exists mana_ai.fail_run(bigint, uuid, text, text); -- the signature before p_tokens
create or replace function mana_ai.fail_run(p_run_id bigint, p_lease_token uuid, p_error_class text, p_message text,
                                            p_tokens bigint default null)
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
  perform mana_ai_private.record_run_tokens(v_run, p_tokens, v_now);
  select s.* into v_settings from mana_ai_private.settings s;

  -- Before the last attempt: retry after now + min(retry_max_ms, retry_base_ms × 2^(attempts − 1)).
  -- The last attempt gets no retry time (only tick() or the advance below may touch it now).
  if v_run.attempts < v_settings.max_attempts then
    v_retry_at := v_now + least(v_settings.retry_max_ms::double precision,
                                v_settings.retry_base_ms * power(2::double precision, greatest(v_run.attempts - 1, 0)))
                          * interval '1 millisecond';
  end if;
  update mana_ai.runs r
     set status = 'failed',
         retry_at = v_retry_at,
         error_class = p_error_class,
         last_error = left(p_message, 4000),
         lease_until = null,
         updated_at = pg_catalog.now()
   where r.run_id = p_run_id;
  if v_retry_at is not null then
    return jsonb_build_object('status', 'failed', 'attempts', v_run.attempts, 'retryAt', mana_ai_private.to_iso(v_retry_at));
  end if;
  -- The last attempt: recorded as failed above, now advance the schedule of the mission as it is now
  -- (its pending captured rows folded first, while this transaction holds no projection row).
  perform mana_ai_private.fold_mission(v_run.user_id, v_run.mission_id, v_now);
  return mana_ai_private.finish_exhausted_run(p_run_id, v_now);
end
$$;
revoke all on function mana_ai.fail_run(bigint, uuid, text, text, bigint) from public;
grant execute on function mana_ai.fail_run(bigint, uuid, text, text, bigint) to mana_ai_runner;
comment on function mana_ai.fail_run(bigint, uuid, text, text, bigint) is
  E'Record a failed attempt: retry later with exponential backoff, or after the last attempt advance the schedule and mark the run dead.\n\nOnly for the holder of the current lease token; {"status":"stale"} otherwise. p_tokens (LLM tokens of the attempt, NULL = no response) goes to the token ledger.';
