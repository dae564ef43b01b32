-- RLS for mana_ai_private.captured: the capture queue (docs/architecture.md, "Capture, then fold").
-- Why all_system: the capture trigger appends rows of whatever users one sync INSERT carries, and the
-- fold takes the oldest rows of any users at once; no function touching it runs in one user's scope.
-- The rows hold ids only; the log rows they point at stay behind the sync_changes policy.
-- Test: test/sql/00_schema.sql
alter table mana_ai_private.captured enable row level security;
alter table mana_ai_private.captured force row level security;
revoke all on table mana_ai_private.captured from public;

drop policy if exists all_system on mana_ai_private.captured;
create policy all_system on mana_ai_private.captured
  for all
  to mana_ai_owner
  using (true)
  with check (true);
