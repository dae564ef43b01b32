-- Takes the oldest p_limit rows of the capture queue that no other folder holds (FOR UPDATE SKIP
-- LOCKED), deletes them and folds the rows they name (fold_changes), all in the caller's transaction:
-- a rollback puts them back, a commit removes them with their effect. Several folders at once (the
-- listeners, tick(), POST /internal/tick) take disjoint batches and never wait on each other's queue
-- rows; they meet only on projection rows, which every folder locks in key order (no deadlock), and a
-- batch that reaches behind a record's last folded row re-folds that record from the log, so the
-- order in which batches commit does not matter (docs/architecture.md, "Capture, then fold").
-- Returns {"rows": <queue rows taken>} merged with fold_changes' stats.
-- Test: test/sql/mana_ai_private/functions/fold/fold.sql, test/ts/db/fold-concurrency.test.ts
create or replace function mana_ai_private.fold_captured(p_limit int, p_now timestamptz)
  returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
  set plan_cache_mode = force_generic_plan
as $$
declare
  v_ids uuid[];
  v_users text[];
  v_rows int;
begin
  -- the batch is picked once (a materialized CTE): as an IN (…) subquery it could be re-run for each
  -- row the DELETE scans, and every re-run would skip the rows deleted so far and pick the next ones
  with b as materialized (
    select q.seq
      from mana_ai_private.captured q
     order by q.seq
     limit p_limit
       for update skip locked
  ), d as (
    delete from mana_ai_private.captured c
     using b
     where c.seq = b.seq
    returning c.change_id, c.user_id
  )
  select array_agg(d.change_id), array_agg(d.user_id), count(*)::int
    into v_ids, v_users, v_rows
    from d;
  if v_rows = 0 then
    return '{"rows": 0}';
  end if;
  return jsonb_build_object('rows', v_rows) || mana_ai_private.fold_changes(v_ids, v_users, p_now);
end
$$;
revoke all on function mana_ai_private.fold_captured(int, timestamptz) from public;
comment on function mana_ai_private.fold_captured(int, timestamptz) is
  E'Fold the oldest p_limit captured rows no other folder holds, and delete them.\n\nReturns {"rows": n, …fold stats}.';
