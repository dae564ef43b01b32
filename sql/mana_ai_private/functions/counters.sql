-- Counters that SQL counts (snapshot metrics, gate decisions, dead runs) and the listener exposes at
-- scrape time (docs/operations.md §3). Writers only append deltas: the projection trigger runs inside the
-- sync server's transactions, and a shared counter row would serialise every writer on its lock until
-- commit. tick() folds the deltas into mana_ai_private.counters.
-- PL/pgSQL, not SQL: a non-inlinable SQL function is re-planned on every call from PL/pgSQL, and this
-- one runs once per sync statement that carries ai rows.
-- Test: test/sql/mana_ai_private/functions/counters.sql
create or replace function mana_ai_private.count_many(p_counts jsonb)
  returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  insert into mana_ai_private.counter_deltas (name, delta)
  select c.key, c.value::bigint
    from jsonb_each_text(p_counts) c
   where c.value::bigint <> 0;
end
$$;
comment on function mana_ai_private.count_many(jsonb) is
  E'Add deltas to named counters: {"<name>": <delta>, …}; zero deltas are dropped.';
