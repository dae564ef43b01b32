-- The capture triggers on the sync server's event log (docs/architecture.md, "Capture, then fold").
-- They only record WHICH ai mission/agent rows arrived, into mana_ai_private.captured, in the sync
-- server's own transaction (a rolled-back INSERT leaves nothing); mana_ai.fold() projects them after
-- commit. Two triggers, so that rows of other apps never enter PL/pgSQL:
--   _500_project_mark  BEFORE INSERT, FOR EACH ROW, WHEN the row is an ai mission/agent row and the
--                      statement is not marked yet: sets the transaction-local flag
--                      mana_ai.capture_pending. Runs once per statement at most (its WHEN reads the
--                      flag); every other row is filtered by the WHEN clause in the executor.
--   _500_project       AFTER INSERT, FOR EACH STATEMENT, with the transition table, WHEN the flag is
--                      set: clears it, appends the statement's ai rows to the queue (one INSERT …
--                      SELECT) and, at most once per transaction, notifies mana_ai_runs when one of
--                      them can make work due soon (capture_wakes).
-- The names are those of the former in-transaction projection: CREATE OR REPLACE TRIGGER needs only the
-- TRIGGER privilege that mana_ai_owner holds (DROP TRIGGER would need ownership of the sync server's
-- table), so an upgrade re-points the same two triggers in place, in the same transaction as the
-- functions, and then drops the old projection function.
-- No JSON is parsed here beyond capture_wakes' key tests; nothing about the data can make the INSERT
-- fail (a key too long for any index is only hashed). A broken deployment — a missing function — does
-- fail loudly, on purpose.
-- Test: test/sql/mana_ai_private/triggers/sync_changes.sql
create or replace function mana_ai_private.tg_sync_changes__mark()
  returns trigger
  language plpgsql volatile
as $$
begin
  perform pg_catalog.set_config('mana_ai.capture_pending', 'on', true);
  return new;
end
$$;
comment on function mana_ai_private.tg_sync_changes__mark() is
  E'Row trigger (BEFORE, first ai row of a statement only): mark the statement for the capture trigger.';

-- SECURITY DEFINER so the sync server's role needs no rights on our schema.
create or replace function mana_ai_private.tg_sync_changes__capture()
  returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_wake boolean;
begin
  -- one statement: clear the mark, queue the rows, decide the wake-up
  with src as (
    select n.id, n.user_id, n.table_name, n.record_id, n.op, n.data
      from new_rows n
     where n.app_id = 'ai' and n.table_name in ('aiMissions', 'agents')
  ), ins as (
    insert into mana_ai_private.captured (change_id, user_id, record_hash)
    select s.id, s.user_id, mana_ai_private.record_hash(s.user_id, s.table_name, s.record_id)
      from src s
  )
  select bool_or(h.may_wake and mana_ai_private.capture_wakes(s.table_name, s.op, s.data, h.horizon))
    into v_wake
    from src s
   cross join (select to_char((now() + interval '2 seconds') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as horizon,
                      current_setting('mana_ai.wake_sent', true) is distinct from 'on' as may_wake,
                      set_config('mana_ai.capture_pending', '', true) as cleared) h;
  if v_wake then
    perform pg_notify('mana_ai_runs', '{"event":"captured"}');
    perform set_config('mana_ai.wake_sent', 'on', true);
  end if;
  return null;
end
$$;
comment on function mana_ai_private.tg_sync_changes__capture() is
  E'Statement trigger (only for statements marked by _500_project_mark): queue the statement''s ai mission/agent rows for mana_ai.fold(); notify mana_ai_runs once per transaction when one can make work due soon.';

create or replace trigger _500_project_mark
  before insert on public.sync_changes
  for each row
  when (new.app_id = 'ai' and new.table_name in ('aiMissions', 'agents')
        and pg_catalog.current_setting('mana_ai.capture_pending', true) is distinct from 'on')
  execute function mana_ai_private.tg_sync_changes__mark();

create or replace trigger _500_project
  after insert on public.sync_changes
  referencing new table as new_rows
  for each statement
  when (pg_catalog.current_setting('mana_ai.capture_pending', true) = 'on')
  execute function mana_ai_private.tg_sync_changes__capture();

-- the in-transaction projection of releases before the capture queue (no trigger uses it any more)
drop function if exists mana_ai_private.tg_sync_changes__project();
