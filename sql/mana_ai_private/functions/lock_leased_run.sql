-- The fencing rule of the write path in one place (docs/scheduling.md §5.3 step 5): a run may be completed
-- or failed only by the holder of its current lease token while it is `running`. Locks the run row
-- (FOR UPDATE) and returns it; returns NULL for anyone else (unknown run, other status, stale token),
-- so a stale holder changes nothing.
-- Test: test/sql/mana_ai/functions/complete_run.sql, fail_run.sql (stale-token cases)
create or replace function mana_ai_private.lock_leased_run(p_run_id bigint, p_lease_token uuid)
  returns mana_ai.runs
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_run mana_ai.runs;
begin
  select r.* into v_run from mana_ai.runs r where r.run_id = p_run_id for update;
  if not found or v_run.status <> 'running' or v_run.lease_token is distinct from p_lease_token then
    return null;
  end if;
  return v_run;
end
$$;
revoke all on function mana_ai_private.lock_leased_run(bigint, uuid) from public;
comment on function mana_ai_private.lock_leased_run(bigint, uuid) is
  'Lock and return a running run for the holder of its current lease token; NULL for anyone else.';
