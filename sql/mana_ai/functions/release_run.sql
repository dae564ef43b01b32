-- Gives a claimed run back without using up an attempt: status queued, attempts − 1, lease cleared.
-- For shutdown (in-flight runs that cannot finish within the grace period) and for an open LLM circuit
-- breaker, so an outage of the gateway does not burn the runs' attempts and kill them. Only the holder
-- of the current lease token may release; the reason is kept in last_error for operators.
-- Test: test/sql/mana_ai/functions/release_run.sql
create or replace function mana_ai.release_run(p_run_id bigint, p_lease_token uuid, p_reason text)
  returns boolean
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
begin
  update mana_ai.runs r
     set status = 'queued',
         attempts = greatest(r.attempts - 1, 0),
         lease_token = null,
         lease_until = null,
         worker = null,
         retry_at = null,
         last_error = left('released: ' || coalesce(p_reason, ''), 4000),
         updated_at = pg_catalog.now()
   where r.run_id = p_run_id
     and r.status = 'running'
     and r.lease_token = p_lease_token;
  return found;
end
$$;
revoke all on function mana_ai.release_run(bigint, uuid, text) from public;
grant execute on function mana_ai.release_run(bigint, uuid, text) to mana_ai_runner;
comment on function mana_ai.release_run(bigint, uuid, text) is
  E'Give a claimed run back (queued, attempt not counted) for the holder of its current lease token.\n\nFor shutdown and an open LLM circuit breaker. False when the token is no longer current.';
