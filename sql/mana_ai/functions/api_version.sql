-- The version of the mana_ai.* SQL API (the run ledger the listener calls). The listener compares it at
-- boot and refuses to start on any other value, so a listener and a schema that disagree on a
-- signature or a JSON shape never run together. Bump it with any incompatible change below.
--
-- Deliberate errors (SQLSTATE class MA) are catalogued once, in src/errors.ts (SQLSTATES), and shown
-- in the README's "Errors raised on purpose"; a test keeps both in step with the raise sites in sql/.
-- Stale or superseded outcomes are answers, not errors: complete_run / fail_run return
-- {"status":"stale"} or {"status":"superseded"}, extend_lease NULL, release_run false.
-- Test: test/sql/mana_ai/functions/api_version.sql
create or replace function mana_ai.api_version()
  returns int
  language sql immutable
  security definer
  set search_path = pg_catalog, pg_temp
as $$
  select 1
$$;
revoke all on function mana_ai.api_version() from public;
grant execute on function mana_ai.api_version() to mana_ai_runner;
comment on function mana_ai.api_version() is
  E'Version of the mana_ai SQL API (1).\n\nThe listener refuses to start when this differs from the version it was built for.';
