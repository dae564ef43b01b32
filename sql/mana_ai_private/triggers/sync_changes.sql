-- The projection trigger on the sync server's event log (architecture.md). Statement-level with a
-- transition table: one call per INSERT statement, set-based over its rows. Rows of other apps cost a
-- single scan of the transition table and nothing else. SECURITY DEFINER so the sync server's role
-- needs no rights on our schema; the function restores any RLS scope it changes.
-- It must never make the sync server's INSERT fail because of the data: bad rows are quarantined by
-- make_offer/apply_changes. (A broken deployment — a missing function — does fail loudly, on purpose.)
-- Test: test/sql/mana_ai_private/triggers/sync_changes.sql
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
  select array_agg(row(g.user_id, g.table_name, g.record_id, g.offers)::mana_ai_private.record_changes
                   order by g.user_id, g.table_name, g.record_id)
    into v_groups
    from (
      select n.user_id, n.table_name, n.record_id,
             array_agg(mana_ai_private.make_offer(n.table_name, n.op, n.data, n.field_timestamps, n.created_at,
                                                  n.id, n.schema_version, n.record_id)
                       order by n.created_at, n.id) as offers
        from new_rows n
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
  E'Statement trigger: fold the statement''s ai mission/agent rows into mana_ai_private.projections.';

-- Created once and never dropped here: DROP TRIGGER needs ownership of the sync server's table, which
-- mana_ai_owner does not have (it holds only the TRIGGER privilege). The function above is replaced in
-- place on every deploy, so the trigger never needs re-creating.
do $create$
begin
  if not exists (
    select from pg_catalog.pg_trigger
     where tgrelid = 'public.sync_changes'::regclass and tgname = '_500_project' and not tgisinternal
  ) then
    create trigger _500_project
      after insert on public.sync_changes
      referencing new table as new_rows
      for each statement
      execute function mana_ai_private.tg_sync_changes__project();
  end if;
end
$create$;
