-- claim_runs and load_run in one call (one round trip per batch instead of one per run): leases up to
-- p_limit runs exactly as claim_runs does (its pending-row fold, gates, quotas, fencing) and returns,
-- with each, what load_run would return for it right after the claim (run_payload). No second fold:
-- the claim folded the missions and agents it judged, and this transaction holds projection rows now
-- (docs/architecture.md, "Capture, then fold").
-- Errors: those of claim_runs (MA101).
-- Test: test/sql/mana_ai/functions/claim_and_load_runs.sql
create or replace function mana_ai.claim_and_load_runs(p_worker text, p_limit int, p_lease_ms int)
  returns table (run_id bigint, user_id text, mission_id text, slot timestamptz, attempt int,
                 lease_token uuid, lease_until timestamptz, agent_id text, became_due_at timestamptz, loaded jsonb)
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  c record;
  v_run mana_ai.runs;
begin
  for c in select * from mana_ai.claim_runs(p_worker, p_limit, p_lease_ms) loop
    select r.* into v_run from mana_ai.runs r where r.run_id = c.run_id;
    run_id := c.run_id;
    user_id := c.user_id;
    mission_id := c.mission_id;
    slot := c.slot;
    attempt := c.attempt;
    lease_token := c.lease_token;
    lease_until := c.lease_until;
    agent_id := c.agent_id;
    became_due_at := c.became_due_at;
    loaded := mana_ai_private.run_payload(v_run);
    return next;
  end loop;
end
$$;
revoke all on function mana_ai.claim_and_load_runs(text, int, int) from public;
grant execute on function mana_ai.claim_and_load_runs(text, int, int) to mana_ai_runner;
comment on function mana_ai.claim_and_load_runs(text, int, int) is
  E'claim_runs plus, per claimed run, the payload load_run would return ({"run", "mission", "agent", "agentResolved"}) as column loaded.\n\nOne call per batch; same ordering, gates, quotas and fencing as claim_runs.';
