-- RLS for mana_ai_private.projections: the folded state of every ai mission and agent of every user.
-- Why all_system: the projection trigger on sync_changes folds one INSERT statement's rows of any number
-- of users at once (upsert), rebuild() replaces a record's row, tick() and the claim functions select due
-- missions across users. The rows are per user, but no function touching them runs in one user's scope,
-- so a per-user policy would only hide rows from the functions that must see them all (KI-4). Per-user
-- reads of sync_changes itself still happen under that user's scope (the sync_changes policy).
-- Test: test/sql/00_schema.sql
alter table mana_ai_private.projections enable row level security;
alter table mana_ai_private.projections force row level security;
revoke all on table mana_ai_private.projections from public;

drop policy if exists all_system on mana_ai_private.projections;
create policy all_system on mana_ai_private.projections
  for all
  to mana_ai_owner
  using (true)
  with check (true);
