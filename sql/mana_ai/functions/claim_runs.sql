-- Leases up to p_limit runs to listener p_worker (docs/scheduling.md §5.3 step 1, §5.4, §5.5).
--   - the pending captured rows of the judged runs' missions and agents are folded first
--     (fold_open_runs): a mission paused a moment ago is not claimed;
--   - a run whose mission is no longer due at its slot is never handed out (claim_candidates joins the
--     due slot); marking such runs superseded is tick()'s job, not every claim's (it scanned every open
--     run: 3.2 ms per claim at ~1,000 open runs, bench B3);
--   - candidates are judged over a prefix of the open runs in claim order, widened (x4) until it holds
--     p_limit claimable runs or covers every open run (claim_candidates explains why that is exact);
--   - candidates, gates and quota from claim_candidates: archived/paused agents are not claimed (their
--     runs stay queued), an agent's quota (running runs with a live lease, all listeners) is applied
--     before the limit, in the order (slot, user_id, mission_id);
--   - concurrent claimers are serialised by a transaction-level advisory lock, so the quota counted by
--     one claimer includes the claims another just committed (READ COMMITTED: each statement after the
--     lock sees them); FOR UPDATE SKIP LOCKED still skips runs that complete/fail/extend hold right now;
--   - each claim: status running, a NEW random lease_token (the fencing token every later call must
--     present), lease_until = now + p_lease_ms (NULL or <= 0 → settings.default_lease_ms), worker,
--     claimed_at, attempts + 1, agent_id = the resolved agent (NULL = legacy principal).
-- Errors: MA101 without a worker or with a negative limit.
-- Test: test/sql/mana_ai/functions/claim_runs.sql
create or replace function mana_ai.claim_runs(p_worker text, p_limit int, p_lease_ms int)
  returns table (run_id bigint, user_id text, mission_id text, slot timestamptz, attempt int,
                 lease_token uuid, lease_until timestamptz, agent_id text, became_due_at timestamptz)
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_now timestamptz := mana_ai_private.now();
  v_lease interval;
  v_look bigint;
  v_claimed int := 0;
  v_n int;
begin
  if coalesce(p_worker, '') = '' then
    raise exception using errcode = 'MA101', message = 'claim_runs needs a worker name';
  end if;
  if p_limit is null or p_limit < 0 then
    raise exception using errcode = 'MA101', message = format('claim_runs: invalid limit %s', coalesce(p_limit::text, 'NULL'));
  end if;
  if p_limit = 0 then
    return;
  end if;
  select case when p_lease_ms > 0 then p_lease_ms else s.default_lease_ms end * interval '1 millisecond'
    into v_lease
    from mana_ai_private.settings s;

  perform pg_advisory_xact_lock(hashtext('mana_ai.claim_runs'));

  v_look := greatest(p_limit::bigint * 4, 64);
  loop
    -- the missions and agents of the runs about to be judged, as they are now: their pending captured
    -- rows first; waiting for other folders only in the first round, before this transaction holds
    -- projection rows (fold_records)
    perform mana_ai_private.fold_open_runs(v_look, v_now, v_look = greatest(p_limit::bigint * 4, 64));
    return query
    with pick as (
      select c.run_id, c.agent_id
        from mana_ai_private.claim_candidates(v_now, v_look) c
       where c.gate is null
         and not c.blocked
       order by c.slot, c.user_id, c.mission_id
       limit p_limit - v_claimed
    ), locked as (
      select r.run_id, p.agent_id
        from mana_ai.runs r
        join pick p on p.run_id = r.run_id
       where r.status in ('queued', 'running', 'failed')
         and (r.status <> 'running' or r.lease_until < v_now)
         for update of r skip locked
    ), claimed as (
      update mana_ai.runs r
         set status = 'running',
             lease_token = gen_random_uuid(),
             lease_until = v_now + v_lease,
             worker = p_worker,
             claimed_at = v_now,
             attempts = r.attempts + 1,
             agent_id = l.agent_id,
             retry_at = null,
             updated_at = pg_catalog.now()
        from locked l
       where r.run_id = l.run_id
      returning r.run_id, r.user_id, r.mission_id, r.slot, r.attempts, r.lease_token, r.lease_until, r.agent_id, r.became_due_at
    )
    select c.run_id, c.user_id, c.mission_id, c.slot, c.attempts, c.lease_token, c.lease_until, c.agent_id, c.became_due_at
      from claimed c
     order by c.slot, c.user_id, c.mission_id;
    get diagnostics v_n = row_count;
    v_claimed := v_claimed + v_n;
    -- a wider prefix only when this one held too few claimable runs and does not cover the backlog yet;
    -- runs claimed above are running now, so the next round counts them against their agent's quota
    exit when v_claimed >= p_limit
           or v_look >= (select count(*) from mana_ai.runs o where o.status in ('queued', 'running', 'failed'));
    v_look := v_look * 4;
  end loop;
end
$$;
revoke all on function mana_ai.claim_runs(text, int, int) from public;
grant execute on function mana_ai.claim_runs(text, int, int) to mana_ai_runner;
comment on function mana_ai.claim_runs(text, int, int) is
  E'Lease up to p_limit claimable runs to p_worker, oldest slot first, respecting agent gates and quotas.\n\nEach row carries a new lease_token (fencing token) required by every later call for that run; lease length p_lease_ms (NULL/<=0: settings.default_lease_ms). Runs whose mission is no longer due are not claimed (tick() marks them superseded).';
