-- RLS for mana_ai_private.quarantine: sync_changes rows the projection could not (fully) use.
-- Why all_system: the projection trigger inserts rows of any user in one statement, the ops views read
-- them across users and run_retention() deletes old ones by age. There is no per-user reader.
-- Test: test/sql/00_schema.sql
alter table mana_ai_private.quarantine enable row level security;
alter table mana_ai_private.quarantine force row level security;
revoke all on table mana_ai_private.quarantine from public;

drop policy if exists all_system on mana_ai_private.quarantine;
create policy all_system on mana_ai_private.quarantine
  for all
  to mana_ai_owner
  using (true)
  with check (true);
