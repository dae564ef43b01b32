-- The RLS scope of the current transaction: the user whose sync_changes and audit rows the policies let
-- it see (app.current_user_id, the setting the sync server's own policy reads). The one place that names
-- the setting for our functions: every function that reads or writes one user's rows saves the scope
-- with user_scope(), switches with set_user_scope(user) and restores with set_user_scope(saved);
-- transaction-local (is_local), so a rolled-back statement or savepoint takes a switch back too.
-- Both are one SQL expression without SET clause, so PL/pgSQL inlines them.
-- Test: test/sql/mana_ai_private/functions/user_scope.sql
create or replace function mana_ai_private.user_scope()
  returns text
  language sql stable parallel safe
as $$
  select pg_catalog.current_setting('app.current_user_id', true)
$$;
comment on function mana_ai_private.user_scope() is
  'The user the current transaction''s RLS scope names (app.current_user_id), or NULL/empty when none.';

create or replace function mana_ai_private.set_user_scope(p_user_id text)
  returns text
  language sql volatile
as $$
  select pg_catalog.set_config('app.current_user_id', coalesce(p_user_id, ''), true)
$$;
comment on function mana_ai_private.set_user_scope(text) is
  'Switch the transaction''s RLS scope to p_user_id (NULL = none); returns the new scope.';
