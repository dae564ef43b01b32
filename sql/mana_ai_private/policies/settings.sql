-- RLS for mana_ai_private.settings: the one-row configuration (timezone, retry limits, keep periods).
-- Why these policies: the row is not anyone's data, but FORCE RLS means even the owner's definer
-- functions only do what a policy names. They read it (mana_ai_private.now(), tick, claims, retention)
-- and set_timezone() updates it. There is no INSERT or DELETE policy: the row is created by migration
-- 00001, and with the singleton check plus these policies it can neither disappear nor be doubled by
-- our own code. Nobody else has any table privilege (the runtime role only executes mana_ai.*).
-- Test: test/sql/00_schema.sql
alter table mana_ai_private.settings enable row level security;
alter table mana_ai_private.settings force row level security;
revoke all on table mana_ai_private.settings from public;

drop policy if exists select_system on mana_ai_private.settings;
create policy select_system on mana_ai_private.settings
  for select
  to mana_ai_owner
  using (true);

drop policy if exists update_system on mana_ai_private.settings;
create policy update_system on mana_ai_private.settings
  for update
  to mana_ai_owner
  using (true)
  with check (true);
