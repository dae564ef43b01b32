-- RLS for mana_ai_private.counters: global totals for the metrics the listener exposes.
-- Why all_system: the rows are not per user at all (name -> value). tick() upserts the folded deltas
-- into them and the metrics function reads them.
-- Test: test/sql/00_schema.sql
alter table mana_ai_private.counters enable row level security;
alter table mana_ai_private.counters force row level security;
revoke all on table mana_ai_private.counters from public;

drop policy if exists all_system on mana_ai_private.counters;
create policy all_system on mana_ai_private.counters
  for all
  to mana_ai_owner
  using (true)
  with check (true);
