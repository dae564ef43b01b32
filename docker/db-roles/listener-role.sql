-- The listener's LOGIN role, created by the one-shot `db-roles` service of docker/compose.yaml.
--
-- Order: this runs AFTER `migrate` completed, never as a docker-entrypoint-initdb.d script. The
-- initdb scripts run on the first start of an empty volume, before migrate, when the NOLOGIN role
-- mana_ai_runner does not exist yet, so `IN ROLE mana_ai_runner` would fail; and they never run again
-- on an existing volume, so a changed password would not be applied. Creating mana_ai_runner here
-- ourselves is not an option either: sql/bootstrap.sql owns its definition.
--
-- Re-runnable: creates the role once, then on every run re-asserts its attributes, its password
-- (from MANA_AI_DB_PASSWORD, so rotating it in docker/.env and re-running `up` applies it) and its
-- membership. The listener refuses a superuser or BYPASSRLS role and a role outside mana_ai_runner.
-- The password travels in an ALTER ROLE statement: keep log_statement below 'ddl' on this server.
--
-- Run as a superuser: MANA_AI_DB_PASSWORD=… psql -X -f docker/db-roles/listener-role.sql
-- Test: test/ts/docker/configs.test.ts (against the test cluster when one is running).
\set ON_ERROR_STOP on
\getenv listener_password MANA_AI_DB_PASSWORD
\if :{?listener_password}
\else
  \set listener_password ''
\endif
select :'listener_password' = '' as password_missing \gset
\if :password_missing
  do $$ begin raise exception 'MANA_AI_DB_PASSWORD is not set'; end $$;
\endif

do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'mana_ai_runner') then
    raise exception 'role mana_ai_runner does not exist: run `mana-ai migrate` first';
  end if;
end
$$;

select 'create role mana_ai login in role mana_ai_runner'
 where not exists (select from pg_catalog.pg_roles where rolname = 'mana_ai') \gexec
select format('alter role mana_ai login nosuperuser nocreatedb nocreaterole nobypassrls noreplication password %L',
              :'listener_password') \gexec
select 'grant mana_ai_runner to mana_ai'
 where not exists (select from pg_catalog.pg_auth_members
                    where roleid = 'mana_ai_runner'::regrole and member = 'mana_ai'::regrole) \gexec
