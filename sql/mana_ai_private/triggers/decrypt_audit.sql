-- Belt and braces for the append-only mana_ai.decrypt_audit (see sql/mana_ai/policies/decrypt_audit.sql):
-- UPDATE is revoked from the owner and closed by a restrictive policy, which binds every role except
-- superusers and BYPASSRLS roles. This statement trigger raises for them too, and also for an UPDATE that
-- matches no row, so an attempt never passes silently. DELETE is not refused here: retention deletes by
-- age through the policies. A superuser who really must rewrite history has to disable the trigger first,
-- which is a deliberate, visible act. Errors: MA205 (see sql/mana_ai/functions/record_decrypt_audit.sql).
-- Test: test/sql/mana_ai/policies/decrypt_audit.sql
create or replace function mana_ai_private.tg_decrypt_audit__refuse_update()
  returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception using
    errcode = 'MA205',
    message = 'mana_ai.decrypt_audit is append-only',
    hint = 'Audit rows are never updated; retention deletes rows older than settings.audit_keep.';
end
$$;
revoke all on function mana_ai_private.tg_decrypt_audit__refuse_update() from public;
comment on function mana_ai_private.tg_decrypt_audit__refuse_update() is
  E'Trigger: refuse every UPDATE of mana_ai.decrypt_audit (MA205), for every role.';

drop trigger if exists _100_refuse_update on mana_ai.decrypt_audit;
create trigger _100_refuse_update
  before update on mana_ai.decrypt_audit
  for each statement
  execute function mana_ai_private.tg_decrypt_audit__refuse_update();
