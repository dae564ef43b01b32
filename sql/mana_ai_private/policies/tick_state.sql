-- RLS for mana_ai_private.tick_state: the one-row record of the last tick (for /health and ops views).
-- Why these policies: tick() updates the row and the health/ops functions read it; nothing is per user.
-- There is no INSERT or DELETE policy: migration 00001 creates the single row and it stays.
-- Test: test/sql/00_schema.sql
alter table mana_ai_private.tick_state enable row level security;
alter table mana_ai_private.tick_state force row level security;
revoke all on table mana_ai_private.tick_state from public;

drop policy if exists select_system on mana_ai_private.tick_state;
create policy select_system on mana_ai_private.tick_state
  for select
  to mana_ai_owner
  using (true);

drop policy if exists update_system on mana_ai_private.tick_state;
create policy update_system on mana_ai_private.tick_state
  for update
  to mana_ai_owner
  using (true)
  with check (true);
