-- Compat: the sync server's event log, created exactly as mana-sync creates it, and only if absent.
--
-- In production the sync server owns this table and creates it at its own boot; this file exists for
-- development and tests (docs/data-model.md §1). On an existing table nothing here changes a column, an index
-- or a policy, and row-level security is never weakened: we only read the catalog.
-- Runs as the migrating admin (the table's owner is whoever creates it, like the sync server's role).
-- Test: test/sql/00_schema.sql, test/ts/cli/migrate.test.ts
do $compat$
begin
  if to_regclass('public.sync_changes') is not null then
    if not exists (
      select from pg_catalog.pg_class c
       where c.oid = 'public.sync_changes'::regclass and c.relrowsecurity and c.relforcerowsecurity
    ) then
      raise warning 'public.sync_changes exists without ENABLE + FORCE ROW LEVEL SECURITY; mana-ai leaves it as it is'
        using hint = 'The sync server should enable and force RLS with policy sync_changes_user_isolation.';
    end if;
    return;
  end if;

  create table public.sync_changes (
    id uuid primary key default gen_random_uuid(),
    app_id text not null,
    table_name text not null,
    record_id text not null,
    user_id text not null,
    op text not null check (op in ('insert', 'update', 'delete')),
    data jsonb,
    field_timestamps jsonb default '{}',
    client_id text not null,
    created_at timestamptz not null default now(),
    schema_version int not null default 1,
    actor jsonb
  );
  create index idx_sync_changes_user_app on public.sync_changes (user_id, app_id, created_at);
  create index idx_sync_changes_table_record on public.sync_changes (table_name, record_id, created_at);
  create index idx_sync_changes_since on public.sync_changes (user_id, app_id, table_name, created_at);
  alter table public.sync_changes enable row level security;
  alter table public.sync_changes force row level security;
  create policy sync_changes_user_isolation on public.sync_changes
    using (user_id = current_setting('app.current_user_id', true))
    with check (user_id = current_setting('app.current_user_id', true));
end
$compat$;
