-- The projection triggers on the sync server's event log (docs/architecture.md). Two triggers, so that rows
-- of other apps never enter PL/pgSQL:
--   _500_project_mark  BEFORE INSERT, FOR EACH ROW, WHEN the row is an ai mission/agent row and the
--                      statement is not marked yet: sets the transaction-local flag
--                      mana_ai.project_pending. Runs once per statement at most (its WHEN reads the
--                      flag); every other row is filtered by the WHEN clause in the executor.
--   _500_project       AFTER INSERT, FOR EACH STATEMENT, with the transition table, WHEN the flag is
--                      set: clears it and folds the statement's ai rows set-based (apply_changes).
-- A statement without ai rows costs one WHEN per row and one per statement, and the transition table
-- capture (measured in bench B5: ai-free one-row transactions lost 14–40 % tps to the former
-- unconditional statement trigger). The flag is a GUC set with is_local: a failed statement or a rolled
-- back savepoint takes it back with everything else. Setting it by hand only costs an empty fold.
-- It must never make the sync server's INSERT fail because of the data: bad rows are quarantined by
-- make_offer/apply_changes. (A broken deployment — a missing function — does fail loudly, on purpose.)
-- Test: test/sql/mana_ai_private/triggers/sync_changes.sql
create or replace function mana_ai_private.tg_sync_changes__mark()
  returns trigger
  language plpgsql volatile
as $$
begin
  perform pg_catalog.set_config('mana_ai.project_pending', 'on', true);
  return new;
end
$$;
comment on function mana_ai_private.tg_sync_changes__mark() is
  E'Row trigger (BEFORE, first ai row of a statement only): mark the statement for the projection trigger.';

-- SECURITY DEFINER so the sync server's role needs no rights on our schema; the function restores any
-- RLS scope it changes.
create or replace function mana_ai_private.tg_sync_changes__project()
  returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
  -- its queries take the batch as a parameter; custom plans would be re-planned on every call, and
  -- one-row sync transactions call this once per row (measured ~2x the cost per statement)
  set plan_cache_mode = force_generic_plan
as $$
declare
  v_groups mana_ai_private.record_changes[];
begin
  perform set_config('mana_ai.project_pending', '', true);
  select array_agg(row(g.user_id, g.table_name, g.record_id, g.offers)::mana_ai_private.record_changes
                   order by g.user_id, g.table_name, g.record_id)
    into v_groups
    from (
      select n.user_id, n.table_name, n.record_id, array_agg(o order by n.created_at, n.id) as offers
        from new_rows n
       cross join lateral mana_ai_private.make_offer(n.table_name, n.op, n.data, n.field_timestamps, n.created_at,
                                                     n.id, n.schema_version, n.record_id) o
       where n.app_id = 'ai' and n.table_name in ('aiMissions', 'agents')
       group by n.user_id, n.table_name, n.record_id
    ) g;
  if v_groups is not null then
    perform mana_ai_private.apply_changes(v_groups, mana_ai_private.now());
  end if;
  return null;
end
$$;
comment on function mana_ai_private.tg_sync_changes__project() is
  E'Statement trigger (only for statements marked by _500_project_mark): fold the statement''s ai mission/agent rows into mana_ai_private.projections.';

-- CREATE OR REPLACE TRIGGER needs only the TRIGGER privilege that mana_ai_owner holds (DROP TRIGGER
-- would need ownership of the sync server's table), so every deploy re-states both definitions and an
-- older unconditional _500_project is replaced in place, in the same transaction as the functions.
create or replace trigger _500_project_mark
  before insert on public.sync_changes
  for each row
  when (new.app_id = 'ai' and new.table_name in ('aiMissions', 'agents')
        and pg_catalog.current_setting('mana_ai.project_pending', true) is distinct from 'on')
  execute function mana_ai_private.tg_sync_changes__mark();

create or replace trigger _500_project
  after insert on public.sync_changes
  referencing new table as new_rows
  for each statement
  when (pg_catalog.current_setting('mana_ai.project_pending', true) = 'on')
  execute function mana_ai_private.tg_sync_changes__project();
