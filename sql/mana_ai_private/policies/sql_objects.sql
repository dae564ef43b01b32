-- RLS for mana_ai_private.sql_objects: hashes of the object files migrate has applied.
-- Why these policies: `mana-ai migrate` (as mana_ai_owner) looks up the hash of the manifest text and
-- appends it after applying the objects. The log is append-only: no UPDATE or DELETE policy.
-- The object files enable FORCE RLS on this table in the same transaction that then inserts the
-- hash, so the INSERT policy must exist by the time the transaction ends: it is created right here.
-- Test: test/sql/00_schema.sql
alter table mana_ai_private.sql_objects enable row level security;
alter table mana_ai_private.sql_objects force row level security;
revoke all on table mana_ai_private.sql_objects from public;

drop policy if exists select_system on mana_ai_private.sql_objects;
create policy select_system on mana_ai_private.sql_objects
  for select
  to mana_ai_owner
  using (true);

drop policy if exists insert_system on mana_ai_private.sql_objects;
create policy insert_system on mana_ai_private.sql_objects
  for insert
  to mana_ai_owner
  with check (true);
