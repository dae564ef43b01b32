-- Bootstrap: roles, schemas, the takeover of the reference runner's schema, grants on the sync server's
-- table. Re-runnable; runs first, as the migrating admin (MANA_AI_ADMIN_DATABASE_URL), before the
-- numbered migrations.
--
-- Roles (docs/operations.md §2, docs/architecture.md §4):
--   mana_ai_owner   NOLOGIN. Owns both schemas and every object in them; the SECURITY DEFINER API runs
--                   with its rights. Not a superuser and without BYPASSRLS, so FORCE ROW LEVEL SECURITY
--                   binds our own functions too (KI-4, KI-16).
--   mana_ai_runner  NOLOGIN. What the listener runs as (through a LOGIN role that is a member of it).
--                   Owns nothing; may only EXECUTE the mana_ai.* functions granted in the object files.
-- Test: test/sql/00_schema.sql
do $roles$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'mana_ai_owner') then
    create role mana_ai_owner nologin nosuperuser nocreatedb nocreaterole noinherit nobypassrls;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'mana_ai_runner') then
    create role mana_ai_runner nologin nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
  -- The migrator switches to mana_ai_owner with SET ROLE, so it must be a member.
  if not exists (
    select from pg_catalog.pg_auth_members m
     where m.roleid = 'mana_ai_owner'::regrole and m.member = (select oid from pg_catalog.pg_roles where rolname = current_user)
  ) and not (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then
    execute format('grant mana_ai_owner to %I', current_user);
  end if;
end
$roles$;

create schema if not exists mana_ai authorization mana_ai_owner;
create schema if not exists mana_ai_private authorization mana_ai_owner;
-- The reference runner's schema mana_ai, when it was there before us: take it over (see the file).
\ir takeover.sql
revoke all on schema mana_ai_private from public;
revoke create on schema mana_ai from public;
grant usage on schema mana_ai to mana_ai_runner;

-- Functions are executable by PUBLIC by default; ours are granted one by one instead.
alter default privileges for role mana_ai_owner revoke execute on functions from public;
alter default privileges for role mana_ai_owner in schema mana_ai revoke execute on functions from public;

-- public.sync_changes belongs to the sync server. migrate has checked that it exists, or created the
-- compat table only when asked (--create-sync-changes: development, tests, the demo stack).
-- The owner reads the log (under RLS, per user), appends write-back rows (under RLS, per user) and
-- hangs the projection trigger on it. Nothing else: no UPDATE, no DELETE, no BYPASSRLS.
grant select, insert, trigger on public.sync_changes to mana_ai_owner;
grant usage on schema public to mana_ai_owner;
