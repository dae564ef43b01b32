-- Writes a planned iteration back and finishes the run — one transaction, only for the holder of the
-- current lease token (docs/scheduling.md §5.3 steps 3 and 5, docs/writeback.md):
--   stale token or run not running        → {"status":"stale"}, nothing changes (a second call is stale);
--   mission no longer due at the run's slot (paused, deleted, edited, the browser ran the slot)
--                                         → run superseded, nothing written, {"status":"superseded"};
--   else write_mission_row inserts the exact row of docs/writeback.md §2 (iterations = the CURRENT folded
--   array + p_iteration with finishedAt = now; nextRunAt = the next slot; S = max(now, c + 1 ms); the
--   ai/legacy actor) and folds that row itself, and the run is `done`:
--   {"status":"done","iterationId","nextRunAt","stamp","changeId","agentResolved"}.
-- p_iteration must be a JSON object with a string "id" (MA103); its other keys are written as given.
-- p_tokens: the LLM tokens of this attempt (sum of usage.total_tokens of the responses it received;
-- NULL = none received), recorded in the token ledger in this transaction for the lease holder,
-- whatever the outcome (record_run_tokens); a stale caller records nothing.
-- The run row is locked first; then the mission's and its agent's pending captured rows are folded
-- (fold_mission, before any projection row is locked); then the mission's projection row is locked
-- (same order as everywhere else).
-- Test: test/sql/mana_ai/functions/complete_run.sql
drop function if exists mana_ai.complete_run(bigint, uuid, jsonb); -- the signature before p_tokens
create or replace function mana_ai.complete_run(p_run_id bigint, p_lease_token uuid, p_iteration jsonb,
                                                p_tokens bigint default null)
  returns jsonb
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := mana_ai_private.now();
  v_run mana_ai.runs;
  v_res jsonb;
begin
  v_run := mana_ai_private.lock_leased_run(p_run_id, p_lease_token);
  if v_run.run_id is null then
    return '{"status": "stale"}';
  end if;
  perform mana_ai_private.record_run_tokens(v_run, p_tokens, v_now);
  if jsonb_typeof(p_iteration) is distinct from 'object' or jsonb_typeof(p_iteration -> 'id') is distinct from 'string' then
    raise exception using errcode = 'MA103', message = 'complete_run: the iteration must be a JSON object with a string id',
      detail = format('run %s, got %s', p_run_id, left(coalesce(p_iteration::text, 'NULL'), 200));
  end if;

  -- the mission and its agent as they are now: their pending captured rows are folded first, so an
  -- iteration a device appended a moment ago is kept and a pause a moment ago supersedes the run
  perform mana_ai_private.fold_mission(v_run.user_id, v_run.mission_id, v_now);
  v_res := mana_ai_private.write_mission_row(v_run.user_id, v_run.mission_id, v_run.slot, p_iteration, v_now);
  if v_res is null then
    update mana_ai.runs r
       set status = 'superseded', finished_at = v_now, lease_until = null, updated_at = pg_catalog.now()
     where r.run_id = p_run_id;
    return '{"status": "superseded"}';
  end if;

  update mana_ai.runs r
     set status = 'done',
         iteration_id = p_iteration ->> 'id',
         next_run_at = (v_res ->> 'nextRunAt')::timestamptz,
         finished_at = v_now,
         lease_until = null,
         updated_at = pg_catalog.now()
   where r.run_id = p_run_id;
  return jsonb_build_object('status', 'done', 'iterationId', p_iteration -> 'id', 'nextRunAt', v_res -> 'nextRunAt',
                            'stamp', v_res -> 'stamp', 'changeId', v_res -> 'changeId',
                            'agentResolved', v_res -> 'agentResolved');
end
$$;
revoke all on function mana_ai.complete_run(bigint, uuid, jsonb, bigint) from public;
grant execute on function mana_ai.complete_run(bigint, uuid, jsonb, bigint) to mana_ai_runner;
comment on function mana_ai.complete_run(bigint, uuid, jsonb, bigint) is
  E'Write a planned iteration back (one sync_changes row, nextRunAt advanced) and mark the run done.\n\nOnly for the holder of the current lease token: {"status":"done",…}, {"status":"superseded"} when the mission is no longer due at the slot, {"status":"stale"} otherwise. Raises MA103 for an iteration without a string id. p_tokens (LLM tokens of the attempt, NULL = no response) goes to the token ledger.';
