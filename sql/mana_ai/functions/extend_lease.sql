-- Heartbeat: extends the lease of a running run for its current holder (docs/scheduling.md §5.3 step 1).
-- Fencing: only the holder of the current lease_token may extend; a listener whose lease was taken
-- over (re-claimed with a new token), swept dead or released gets NULL and must stop working on the
-- run. A lease that expired but was not yet re-claimed is still this holder's and is extended.
-- p_lease_ms NULL or <= 0 → settings.default_lease_ms.
-- Test: test/sql/mana_ai/functions/extend_lease.sql
create or replace function mana_ai.extend_lease(p_run_id bigint, p_lease_token uuid, p_lease_ms int)
  returns timestamptz
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_until timestamptz;
begin
  update mana_ai.runs r
     set lease_until = mana_ai_private.now()
                       + case when p_lease_ms > 0 then p_lease_ms else s.default_lease_ms end * interval '1 millisecond',
         updated_at = pg_catalog.now()
    from mana_ai_private.settings s
   where r.run_id = p_run_id
     and r.status = 'running'
     and r.lease_token = p_lease_token
  returning r.lease_until into v_until;
  return v_until;
end
$$;
revoke all on function mana_ai.extend_lease(bigint, uuid, int) from public;
grant execute on function mana_ai.extend_lease(bigint, uuid, int) to mana_ai_runner;
comment on function mana_ai.extend_lease(bigint, uuid, int) is
  E'Extend the lease of a running run for the holder of its current lease token; returns the new lease end.\n\nNULL when the token is no longer current or the run is not running: stop working on it.';
