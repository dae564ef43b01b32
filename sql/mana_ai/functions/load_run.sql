-- What the listener needs to plan a claimed run, for the holder of its current lease token only: the
-- mission's and its agent's pending captured rows are folded first (fold_mission), then the payload of
-- mana_ai_private.run_payload ({"run", "mission", "agent", "agentResolved"}).
-- A stale token (lease taken over, run finished or released) → NULL: the listener stops. With this
-- and replay_input the listener can read a user's data only while it holds one of that user's runs.
-- claim_and_load_runs hands the same payload out with the claim, in one call.
-- Test: test/sql/mana_ai/functions/load_run.sql
create or replace function mana_ai.load_run(p_run_id bigint, p_lease_token uuid)
  returns jsonb
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_run mana_ai.runs;
begin
  select r.* into v_run
    from mana_ai.runs r
   where r.run_id = p_run_id and r.status = 'running' and r.lease_token = p_lease_token;
  if not found then
    return null;
  end if;
  perform mana_ai_private.fold_mission(v_run.user_id, v_run.mission_id, mana_ai_private.now());
  return mana_ai_private.run_payload(v_run);
end
$$;
revoke all on function mana_ai.load_run(bigint, uuid) from public;
grant execute on function mana_ai.load_run(bigint, uuid) to mana_ai_runner;
comment on function mana_ai.load_run(bigint, uuid) is
  E'The claimed run, its current mission and agent records, for the holder of its current lease token.\n\n{"run": {…}, "mission": {…}, "agent": {…}|null, "agentResolved": bool}; NULL for a stale token.';
