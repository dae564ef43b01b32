-- Folds the pending captured rows of the given records (parallel arrays of keys) now, in the caller's
-- transaction: what a function that must not act on stale state calls first (a claim, load_run,
-- complete_run; docs/architecture.md, "Capture, then fold").
--   p_wait = true:  WAITS for queue rows another folder holds (that folder's commit is what makes the
--                   record current). Only allowed while the transaction holds no projection row lock:
--                   folders lock queue rows first and projection rows second, so waiting for queue rows
--                   while holding a projection row could close a cycle (a deadlock).
--   p_wait = false: skips rows another folder holds (that folder is folding them right now). For calls
--                   made after the transaction locked projection rows.
-- An empty queue costs one probe. Returns the number of queue rows folded.
-- Test: test/sql/mana_ai_private/functions/fold/fold.sql
-- (a former signature with a p_change_id filter: write_mission_row folds its own row itself now)
drop function if exists mana_ai_private.fold_records(text[], text[], text[], timestamptz, boolean, uuid);
create or replace function mana_ai_private.fold_records(
  p_user_ids text[], p_table_names text[], p_record_ids text[], p_now timestamptz,
  p_wait boolean default true)
  returns int
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
  set plan_cache_mode = force_generic_plan
as $$
declare
  v_hashes bigint[];
  v_ids uuid[];
  v_users text[];
  v_rows int;
begin
  if not exists (select from mana_ai_private.captured) then
    return 0;
  end if;
  v_hashes := array(select distinct mana_ai_private.record_hash(k.user_id, k.table_name, k.record_id)
                      from unnest(p_user_ids, p_table_names, p_record_ids) k(user_id, table_name, record_id)
                     where k.user_id is not null and k.table_name is not null and k.record_id is not null
                     order by 1);
  if p_wait then
    with d as (
      delete from mana_ai_private.captured c
       where c.record_hash = any (v_hashes)
      returning c.change_id, c.user_id
    )
    select array_agg(d.change_id), array_agg(d.user_id), count(*)::int into v_ids, v_users, v_rows from d;
  else
    with b as materialized (
      select q.seq
        from mana_ai_private.captured q
       where q.record_hash = any (v_hashes)
         for update skip locked
    ), d as (
      delete from mana_ai_private.captured c
       using b
       where c.seq = b.seq
      returning c.change_id, c.user_id
    )
    select array_agg(d.change_id), array_agg(d.user_id), count(*)::int into v_ids, v_users, v_rows from d;
  end if;
  if v_rows > 0 then
    perform mana_ai_private.fold_changes(v_ids, v_users, p_now);
  end if;
  return v_rows;
end
$$;
revoke all on function mana_ai_private.fold_records(text[], text[], text[], timestamptz, boolean) from public;
comment on function mana_ai_private.fold_records(text[], text[], text[], timestamptz, boolean) is
  E'Fold the pending captured rows of the given records now; p_wait: wait for rows another folder holds (only before any projection row is locked), else skip them.\n\nReturns the number of queue rows folded.';
