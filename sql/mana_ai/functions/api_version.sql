-- The version of the mana_ai.* SQL API (the run ledger the listener calls). The listener compares it at
-- boot and refuses to start on any other value, so a listener and a schema that disagree on a
-- signature or a JSON shape never run together. Bump it with any incompatible change below.
--
-- Deliberate errors of the run ledger (SQLSTATE class MA1, quoted by the README, mapped in src/errors.ts):
--   MA101  invalid argument        claim_runs without a worker, with a negative limit; enqueue key
--                                  arrays of different lengths
--   MA102  lease lost              replay_input with a token that is not the run's current lease
--                                  (stale or released run); load_run answers NULL instead
--   MA103  invalid iteration       complete_run's p_iteration is not a JSON object with a string "id"
--   MA104  mission unreadable      the projection says the mission is present but its record cannot be
--                                  read through its pointers (a bug or a purged sync row)
--   MA105  empty user scope        a run without a user id would write outside any RLS scope
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
