-- The given ai mission/agent rows of one user, read under that user's RLS scope (FORCE RLS on
-- sync_changes lets no one read across users). Sets app.current_user_id and leaves it set: the caller
-- (fold_changes) restores its own scope once, after all users. A set-returning function so that
-- fold_changes reads every user of a batch in ONE statement (a LATERAL call per user), and reduces and
-- merges the rows set-based there, instead of one offer/grouping query per user.
-- Test: test/sql/mana_ai_private/functions/fold/fold.sql
create or replace function mana_ai_private.user_changes(p_user_id text, p_change_ids uuid[])
  returns setof public.sync_changes
  language plpgsql volatile
  rows 20
  set search_path = pg_catalog, pg_temp
  set plan_cache_mode = force_generic_plan
as $$
begin
  perform mana_ai_private.set_user_scope(p_user_id);
  return query
    select c.*
      from public.sync_changes c
     where c.id = any(p_change_ids)
       and c.user_id = p_user_id and c.app_id = 'ai' and c.table_name in ('aiMissions', 'agents');
end
$$;
revoke all on function mana_ai_private.user_changes(text, uuid[]) from public;
comment on function mana_ai_private.user_changes(text, uuid[]) is
  E'The given ai mission/agent sync_changes rows of one user, read under that user''s RLS scope (left set for the caller to restore).';
