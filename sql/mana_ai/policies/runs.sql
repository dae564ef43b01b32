-- RLS for mana_ai.runs, the run ledger (docs/scheduling.md §5.3).
-- Why all_system: the ledger is worked across users by design: tick() and the projection trigger
-- enqueue slots of many users in one statement, claim_runs() leases the oldest due slots of any user
-- (FOR UPDATE SKIP LOCKED), heartbeats/complete/fail fence on run_id + lease token, the decrypt audit
-- reads the run that a lease token names, and run_retention() deletes finished rows by age. None of
-- these runs inside one user's scope, so a per-user policy would hide the rows they exist to see.
-- The per-user guarantee lives elsewhere: the user a run belongs to is taken from this row, never
-- from the caller, and that user's scope is set before sync_changes or decrypt_audit are touched.
-- mana_ai_runner has no table privilege here (it only executes mana_ai.* functions).
-- Test: test/sql/00_schema.sql
alter table mana_ai.runs enable row level security;
alter table mana_ai.runs force row level security;
revoke all on table mana_ai.runs from public;

drop policy if exists all_system on mana_ai.runs;
create policy all_system on mana_ai.runs
  for all
  to mana_ai_owner
  using (true)
  with check (true);
