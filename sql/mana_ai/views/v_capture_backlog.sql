-- psql: how far the projection lags the log. One row: captured-but-unfolded rows, the oldest capture
-- instant and its age. Normally 0 rows / age 0: the listener folds within a second of a commit, pg_cron's
-- tick() every minute where no listener runs. A growing age means no folder is running, or folding
-- fails (see the listener's log, or run `select mana_ai.fold()` by hand). Alert: ManaAiCaptureBacklogOld.
-- The one query of the backlog: read_counters() (the listener's /metrics) and read_status() (`mana-ai
-- status`) read it too.
-- Why security_invoker: see v_missions.sql. Owned by mana_ai_owner; not granted to mana_ai_runner (the
-- listener reads the same numbers through mana_ai.read_counters() for /metrics).
-- Test: test/sql/mana_ai/views/v_capture_backlog.sql
create or replace view mana_ai.v_capture_backlog
  with (security_invoker = true)
as
select count(*) as rows,
       min(c.captured_at) as oldest_captured_at,
       coalesce(extract(epoch from mana_ai_private.now() - min(c.captured_at))::double precision, 0) as oldest_age_seconds
  from mana_ai_private.captured c;
comment on view mana_ai.v_capture_backlog is
  'Capture queue backlog: ai rows captured from sync_changes and not yet folded, the oldest capture instant, its age in seconds. Read as the admin (security_invoker; not granted to mana_ai_runner).';
