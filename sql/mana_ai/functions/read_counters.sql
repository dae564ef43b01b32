-- The SQL-side counters for the listener's scrape (docs/operations.md §3): totals folded by tick() plus the
-- deltas appended since, so a scrape never waits for a tick and never locks a counter row.
-- Names: snapshots_new, snapshots_updated, snapshot_rows_applied (projection trigger),
-- agent_decisions:skipped-paused / :skipped-archived / :skipped-concurrency (tick), and any other
-- name a writer appends with count_many.
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
          select d.name, d.delta from mana_ai_private.counter_deltas d) x
   group by x.name
   order by x.name
$$;
revoke all on function mana_ai.read_counters() from public;
grant execute on function mana_ai.read_counters() to mana_ai_runner;
comment on function mana_ai.read_counters() is
  E'Counter totals including pending deltas: (name, value).\n\nRead at scrape time by the listener.';
