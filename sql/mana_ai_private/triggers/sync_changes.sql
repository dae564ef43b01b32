-- The capture trigger on the sync server's event log (docs/architecture.md §3). It only records WHICH
-- ai mission/agent rows arrived, into mana_ai_private.captured, in the sync server's own transaction (a
-- rolled-back INSERT leaves nothing); mana_ai.fold() projects them after commit.
--   _500_project  AFTER INSERT, FOR EACH ROW, WHEN the row is an ai mission/agent row: one queue row,
--                 and, at most once per transaction, a NOTIFY on mana_ai_runs when the row can make work
--                 due soon (capture_wakes).
-- A row trigger without a transition table: rows of other apps are filtered by the WHEN clause in the
-- executor and cost nothing else (a statement trigger's transition table stored every row of every
-- INSERT: −10.5 % tps for transactions without ai rows in bench B5); an ai row costs one PL/pgSQL call.
-- _500_project is the name of the former in-transaction projection: CREATE OR REPLACE TRIGGER needs only
-- the TRIGGER privilege that mana_ai_owner holds (DROP TRIGGER would need ownership of the sync server's
-- table), so an upgrade re-points it in place, in the same transaction as the function. The former mark
-- trigger _500_project_mark is retired the same way where it exists (a WHEN (false) row trigger, dropped
-- by `mana-ai detach`), and the old functions are dropped.
-- No JSON is parsed here beyond capture_wakes' key tests; nothing about the data can make the INSERT
-- fail (a key too long for any index is only hashed). A broken deployment — a missing function — does
-- fail loudly, on purpose.
-- Test: test/sql/mana_ai_private/triggers/sync_changes.sql
-- SECURITY DEFINER so the sync server's role needs no rights on our schema.
create or replace function mana_ai_private.tg_sync_changes__capture()
  returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
  -- the INSERT takes NEW's fields as parameters; custom plans would be re-planned on every row
  set plan_cache_mode = force_generic_plan
as $$
begin
  insert into mana_ai_private.captured (change_id, user_id, record_hash)
  values (new.id, new.user_id, mana_ai_private.record_hash(new.user_id, new.table_name, new.record_id));
  if current_setting('mana_ai.wake_sent', true) is distinct from 'on'
     and mana_ai_private.capture_wakes(new.table_name, new.op, new.data,
           to_char((now() + interval '2 seconds') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) then
    perform pg_notify('mana_ai_runs', '{"event":"captured"}');
    perform set_config('mana_ai.wake_sent', 'on', true);
  end if;
  return null;
end
$$;
comment on function mana_ai_private.tg_sync_changes__capture() is
  E'Row trigger (ai mission/agent rows only): queue the row for mana_ai.fold(); notify mana_ai_runs once per transaction when it can make work due soon.';

create or replace trigger _500_project
  after insert on public.sync_changes
  for each row
  when (new.app_id = 'ai' and new.table_name in ('aiMissions', 'agents'))
  execute function mana_ai_private.tg_sync_changes__capture();

-- The mark trigger of the statement-level capture, retired in place where an earlier release left it.
create or replace function mana_ai_private.tg_sync_changes__retired()
  returns trigger
  language plpgsql volatile
as $$
begin
  return new;
end
$$;
comment on function mana_ai_private.tg_sync_changes__retired() is
  E'Never called: the function of a retired trigger (WHEN (false)) that mana_ai_owner may not drop.';
do $retire$
begin
  if exists (select from pg_catalog.pg_trigger
              where tgrelid = 'public.sync_changes'::regclass and tgname = '_500_project_mark') then
    create or replace trigger _500_project_mark
      before insert on public.sync_changes
      for each row
      when (false)
      execute function mana_ai_private.tg_sync_changes__retired();
  end if;
end
$retire$;

-- functions of earlier releases that no trigger uses any more
drop function if exists mana_ai_private.tg_sync_changes__project();
drop function if exists mana_ai_private.tg_sync_changes__mark();
