-- Queues the ai mission/agent rows of the log that the projection has not seen, so that the fold
-- projects them (the backfill of `mana-ai migrate`; docs/architecture.md, "Capture, then fold"): every
-- row of a record without a projection row (a live Mana database before its first install, or rows
-- written while the runner was removed), and every row newer, in (created_at, id), than the last row
-- its record's projection folded. Rows already queued are not queued twice; a second call right after
-- a completed fold queues nothing. Returns the number of rows queued now.
-- Queued record by record (a record's rows are contiguous in the queue, so a fold batch rarely splits
-- a record and a mission paused later in the log is seldom enqueued on the way; when it is, its run is
-- never claimed — the claim sees the paused mission — and tick() supersedes it).
-- SECURITY INVOKER on purpose (like log_user_ids): under FORCE RLS only a caller that bypasses RLS (a
-- superuser or BYPASSRLS admin) reads every user's rows; the owner of this function cannot, and must
-- not: for any other caller it queues nothing and returns NULL (migrate then says why).
-- Not covered: a row older than its record's last folded row that was never folded (a transaction that
-- started before the runner was removed and committed after): `mana-ai rebuild` re-derives exactly.
-- Test: test/ts/db/backfill.test.ts
create or replace function mana_ai_private.backfill_capture()
  returns bigint
  language plpgsql volatile
  security invoker
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_rows bigint;
begin
  if not (select r.rolsuper or r.rolbypassrls from pg_catalog.pg_roles r where r.rolname = current_user) then
    return null;
  end if;
  insert into mana_ai_private.captured (change_id, user_id, record_hash)
  select c.id, c.user_id, mana_ai_private.record_hash(c.user_id, c.table_name, c.record_id)
    from public.sync_changes c
    left join mana_ai_private.projections p
      on p.user_id = c.user_id and p.table_name = c.table_name and p.record_id = c.record_id
   where c.app_id = 'ai' and c.table_name in ('aiMissions', 'agents')
     and (p.user_id is null or p.last_created_at is null
          or (c.created_at, c.id) > (p.last_created_at, p.last_change_id))
     and not exists (select from mana_ai_private.captured q where q.change_id = c.id)
   order by c.user_id, c.table_name, c.record_id, c.created_at, c.id;
  get diagnostics v_rows = row_count;
  return v_rows;
end
$$;
revoke all on function mana_ai_private.backfill_capture() from public;
comment on function mana_ai_private.backfill_capture() is
  'Queue the ai mission/agent rows of the log the projection has not folded (records without a projection, rows newer than the last folded). Invoker rights: call as an admin that bypasses RLS (any other caller: nothing queued, NULL). Returns the rows queued.';
