-- Compat: the sync server's event log, created exactly as mana-sync creates it, and only if absent.
--
-- In production the sync server owns this table and creates it at its own boot; this file exists for
-- development and tests (docs/data-model.md §1). On an existing table nothing here changes a column, an index
-- or a policy, and row-level security is never weakened: we only read the catalog.
-- migrate runs this file first, as the migrating admin, and only when the table exists (then it just reads
-- the catalog) or when asked with --create-sync-changes (development, tests, demo stacks): a table created
-- here is owned by the admin, and a sync server running as a non-superuser could not boot on it (its
-- every-boot ALTER TABLE needs ownership). Without the flag a missing table is an error naming its owner.
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
