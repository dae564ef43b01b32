-- RLS for mana_ai_private.counter_deltas: appended counter increments, folded by tick().
-- Why all_system: not per user. count_many() appends from the projection trigger and the ledger
-- functions; tick() reads and deletes what it folds into mana_ai_private.counters.
-- Test: test/sql/00_schema.sql
alter table mana_ai_private.counter_deltas enable row level security;
alter table mana_ai_private.counter_deltas force row level security;
revoke all on table mana_ai_private.counter_deltas from public;

drop policy if exists all_system on mana_ai_private.counter_deltas;
create policy all_system on mana_ai_private.counter_deltas
  for all
  to mana_ai_owner
  using (true)
  with check (true);
