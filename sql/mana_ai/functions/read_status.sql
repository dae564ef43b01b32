-- The operator's overview in one call (what `mana-ai status` prints): due missions, the ledger by
-- status, the next due instant, per-agent load (mana_ai.v_agent_load rows with any load), quarantine,
-- the capture queue (mana_ai.v_capture_backlog), the last tick and whether pg_cron exists here.
--   missions.dueNow: due, ungated slots that have passed (what tick() enqueues); gatedNow: due but gated
--     by an archived/paused agent; nextDueAt: the earliest future slot of an ungated mission;
--     oldestDueAt: the earliest passed one (how far behind the runner is);
--   runs: open runs by status (running split by live/expired lease, failed by retry pending), dead runs
--     in the ledger (kept for settings.runs_keep) and finished ones of the last 24 hours;
--   tick.ageSeconds: runner clock minus the last tick (pg_cron ticks every minute where it exists; the
--     listener's timer ticks too);
--   pgCron: the extension exists in this database (its jobs run as the admin; `cron.job` shows them).
-- Read-only (stable). Definer, like every function in mana_ai, but not granted to mana_ai_runner: it
-- reads across users and is for the admin. Timestamps are toISOString() text; durations are seconds.
-- Test: test/sql/mana_ai/functions/read_status.sql
create or replace function mana_ai.read_status()
  returns jsonb
  language plpgsql stable
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := mana_ai_private.now();
  v_max int := (select s.max_attempts from mana_ai_private.settings s);
  v_missions jsonb;
  v_runs jsonb;
  v_agents jsonb;
  v_quarantine jsonb;
  v_tick jsonb;
  v_capture jsonb;
begin
  select jsonb_build_object(
           'projected', (select count(*) from mana_ai_private.projections p
                          where p.table_name = 'aiMissions' and p.present and not p.deleted),
           'dueNow', count(*) filter (where d.slot <= v_now and d.gate is null),
           'gatedNow', count(*) filter (where d.slot <= v_now and d.gate is not null),
           'nextDueAt', mana_ai_private.to_iso(min(d.slot) filter (where d.slot > v_now and d.gate is null)),
           'oldestDueAt', mana_ai_private.to_iso(min(d.slot) filter (where d.slot <= v_now and d.gate is null)))
    into v_missions
    from mana_ai_private.due_missions d;

  select jsonb_build_object(
           'queued', count(*) filter (where r.status = 'queued'),
           'running', count(*) filter (where r.status = 'running'),
           'runningLive', count(*) filter (where r.status = 'running' and r.lease_until >= v_now),
           'runningExpired', count(*) filter (where r.status = 'running' and r.lease_until < v_now),
           'failed', count(*) filter (where r.status = 'failed'),
           'failedRetryPending', count(*) filter (where r.status = 'failed' and r.attempts < v_max),
           'dead', count(*) filter (where r.status = 'dead'),
           'dead24h', count(*) filter (where r.status = 'dead' and r.finished_at >= v_now - interval '24 hours'),
           'done24h', count(*) filter (where r.status = 'done' and r.finished_at >= v_now - interval '24 hours'),
           'superseded24h', count(*) filter (where r.status = 'superseded' and r.finished_at >= v_now - interval '24 hours'))
    into v_runs
    from mana_ai.runs r;

  select coalesce(jsonb_agg(jsonb_build_object(
           'userId', l.user_id, 'agentId', l.agent_id, 'name', l.name, 'state', l.state, 'quota', l.quota,
           'running', l.running, 'runningExpired', l.running_expired, 'queued', l.queued, 'failed', l.failed,
           'blocked', l.blocked, 'gated', l.gated, 'atQuota', l.at_quota)
           order by l.user_id, l.agent_id nulls first), '[]')
    into v_agents
    from mana_ai.v_agent_load l
   where l.running + l.running_expired + l.queued + l.failed + l.blocked + l.gated > 0;

  select jsonb_build_object(
           'total', count(*),
           'last24h', count(*) filter (where q.quarantined_at >= v_now - interval '24 hours'),
           'skipped', count(*) filter (where not q.applied))
    into v_quarantine
    from mana_ai_private.quarantine q;

  select jsonb_build_object(
           'ticks', t.ticks,
           'lastTickAt', mana_ai_private.to_iso(t.last_tick_at),
           'ageSeconds', round(extract(epoch from v_now - t.last_tick_at), 3),
           'lastStats', t.last_stats)
    into v_tick
    from mana_ai_private.tick_state t;

  select jsonb_build_object(
           'rows', b.rows,
           'oldestCapturedAt', mana_ai_private.to_iso(b.oldest_captured_at),
           'oldestAgeSeconds', round(b.oldest_age_seconds::numeric, 3))
    into v_capture
    from mana_ai.v_capture_backlog b;

  return jsonb_build_object(
    'now', mana_ai_private.to_iso(v_now),
    'capture', v_capture,
    'missions', v_missions,
    'runs', v_runs,
    'agents', v_agents,
    'quarantine', v_quarantine,
    'tick', v_tick,
    'pgCron', exists (select from pg_catalog.pg_extension e where e.extname = 'pg_cron'));
end
$$;
revoke all on function mana_ai.read_status() from public;
comment on function mana_ai.read_status() is
  E'Operator overview: missions due now/gated/next, runs by status, per-agent load, quarantine, capture backlog, last tick, pg_cron.\n\n'
  'Read-only; for the admin (mana-ai status), not granted to mana_ai_runner.';
