-- RLS for mana_ai.decrypt_audit (docs/data-model.md §4, docs/crypto.md §5-6, KI-16): append-only, per user.
--
-- What may happen to a row, for whom (mana_ai_owner = every SECURITY DEFINER function; the runtime role
-- mana_ai_runner has no table privilege at all and reaches the table only through those functions):
--   INSERT  only inside the row's user scope: record_decrypt_audit() sets app.current_user_id to the
--           user of the leased run, and decrypt_audit_user_scope (FOR ALL, so USING doubles as WITH
--           CHECK) rejects any other user_id.
--   SELECT  only inside the row's user scope: read_decrypt_audit() sets the scope to the requested user
--           and also filters user_id explicitly.
--   UPDATE  never. Three independent locks: UPDATE (and TRUNCATE) is revoked from the owner itself, so
--           even a definer function gets 42501; the restrictive policy update_never rejects every row
--           should the privilege ever come back (the spec policy below is FOR ALL and would otherwise
--           allow in-scope updates); and the trigger in mana_ai_private/triggers/decrypt_audit.sql
--           raises MA205 for anyone the policies do not bind (a superuser).
--   DELETE  retention only: delete_retention lets the owner delete any user's rows older than
--           settings.audit_keep, and the restrictive delete_retention_only ANDs the same age test onto
--           every DELETE, so the spec policy's FOR ALL cannot be used to delete a young in-scope row.
--           run_retention() deletes WITHOUT a WHERE clause on purpose: a WHERE (or RETURNING) that reads
--           columns would also need a SELECT policy on other users' rows, which the owner must not
--           have. The policies are the filter (and are what the retention test exercises).
--
-- decrypt_audit_user_scope is the spec's policy, created exactly as the reference creates it and only
-- when no policy of that name exists (pg_policies), so a database whose table predates this project keeps
-- its policy; the other policies are ours (drop if exists + create). FORCE is what makes the policies
-- bind the owner (KI-16: the reference enables RLS without FORCE, so the owning runner bypasses it).
-- Test: test/sql/mana_ai/policies/decrypt_audit.sql, test/sql/00_schema.sql
alter table mana_ai.decrypt_audit enable row level security;
alter table mana_ai.decrypt_audit force row level security;
revoke all on table mana_ai.decrypt_audit from public;
revoke all on sequence mana_ai.decrypt_audit_id_seq from public;
revoke update, truncate on table mana_ai.decrypt_audit from mana_ai_owner;

do $policy$
begin
  if not exists (
    select from pg_catalog.pg_policies p
     where p.schemaname = 'mana_ai' and p.tablename = 'decrypt_audit' and p.policyname = 'decrypt_audit_user_scope'
  ) then
    create policy decrypt_audit_user_scope on mana_ai.decrypt_audit
      using (user_id = current_setting('app.current_user_id', true));
  end if;
end
$policy$;

drop policy if exists delete_retention on mana_ai.decrypt_audit;
create policy delete_retention on mana_ai.decrypt_audit
  for delete
  to mana_ai_owner
  using (ts < mana_ai_private.now() - (select s.audit_keep from mana_ai_private.settings s));

drop policy if exists delete_retention_only on mana_ai.decrypt_audit;
create policy delete_retention_only on mana_ai.decrypt_audit
  as restrictive
  for delete
  to public
  using (ts < mana_ai_private.now() - (select s.audit_keep from mana_ai_private.settings s));

drop policy if exists update_never on mana_ai.decrypt_audit;
create policy update_never on mana_ai.decrypt_audit
  as restrictive
  for update
  to public
  using (false)
  with check (false);
