-- The SQL-side counters for the listener's scrape (docs/operations.md §3): totals folded by tick() plus the
-- deltas appended since, so a scrape never waits for a tick and never locks a counter row.
-- Names: snapshots_new, snapshots_updated, snapshot_rows_applied (projection trigger),
-- agent_decisions:skipped-paused / :skipped-archived / :skipped-concurrency (tick), and any other
-- name a writer appends with count_many (fold_rows: captured rows folded, by fold() and tick()).
-- Two gauges of the capture queue ride along (docs/architecture.md §3), read from v_capture_backlog:
-- capture_backlog_rows (captured, not yet folded) and capture_backlog_oldest_age_ms (age of the
-- oldest at mana_ai_private.now(); 0 when empty). One read per scrape for everything.
-- Test: test/sql/mana_ai/functions/read_counters.sql
create or replace function mana_ai.read_counters()
  returns table (name text, value bigint)
  language sql stable
  security definer
  set search_path = pg_catalog, pg_temp
as $$
  select x.name, sum(x.value)::bigint
    from (select c.name, c.value from mana_ai_private.counters c
          union all
          select d.name, d.delta from mana_ai_private.counter_deltas d
          union all
          select g.name, g.value
            from mana_ai.v_capture_backlog b
           cross join lateral (values
             ('capture_backlog_rows', b.rows),
             ('capture_backlog_oldest_age_ms', (b.oldest_age_seconds * 1000)::bigint)) g(name, value)) x
   group by x.name
   order by x.name
$$;
revoke all on function mana_ai.read_counters() from public;
grant execute on function mana_ai.read_counters() to mana_ai_runner;
comment on function mana_ai.read_counters() is
  E'Counter totals including pending deltas, plus the capture queue gauges capture_backlog_rows and capture_backlog_oldest_age_ms: (name, value).\n\nRead at scrape time by the listener.';
