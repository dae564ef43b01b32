-- The users that have ai mission/agent rows in the log: what `mana-ai rebuild` re-derives when no
-- --user is given. SECURITY INVOKER on purpose: under FORCE RLS only a caller that bypasses RLS (a
-- superuser or BYPASSRLS admin) sees every user; the owner of this function cannot, and must not.
-- Test: test/ts/cli/rebuild.test.ts
create or replace function mana_ai_private.log_user_ids()
  returns setof text
  language sql stable
  security invoker
as $$
  select distinct c.user_id
    from public.sync_changes c
   where c.app_id = 'ai' and c.table_name in ('aiMissions', 'agents')
   order by 1
$$;
revoke all on function mana_ai_private.log_user_ids() from public;
comment on function mana_ai_private.log_user_ids() is
  'Distinct users of ai mission/agent rows in sync_changes, as the caller sees them (all only when it bypasses RLS).';
