-- The way back (`mana-ai detach`): remove what the runner added to the sync server's table and stop
-- planning, leaving the log (public.sync_changes rows), the decrypt audit and the projections untouched.
-- Run by the CLI as the migrating admin inside one transaction (all or nothing), under migrate's advisory
-- lock; `mana-ai migrate` attaches again (it re-applies the object files, which re-create the triggers
-- and the grants, and re-schedules the pg_cron jobs).
--   1. every trigger on public.sync_changes whose function lives in mana_ai_private, read from the
--      catalog: whatever trigger set this build installed is what goes, under any name;
--   2. every pg_cron job named mana-ai-* (the tick, and retention, which would delete old audit rows);
--   3. EXECUTE on mana_ai.claim_runs, claim_and_load_runs, fold and tick (every overload) revoked from
--      mana_ai_runner: a listener still running can neither claim, fold nor enqueue; the runs it holds
--      can still finish;
--   4. mana_ai_private.sql_objects emptied, so the next migrate re-applies every object file instead of
--      skipping an unchanged deploy. TRUNCATE, because the table's forced RLS has no delete policy
--      (nothing else ever deletes there) and the owner may truncate its own table.
-- Dropping a trigger needs ownership of sync_changes (a superuser, or the sync server's role); anyone
-- else gets MA304 naming the owner. The result is left in the transaction-local setting
-- mana_ai.detach_result: {"triggers": [...], "cronJobs": [...], "revoked": [...]}.
-- Test: test/sql/detach.sql, test/ts/cli/detach.test.ts
do $detach$
declare
  v_owner name;
  v_name text;
  v_triggers text[] := '{}';
  v_jobs text[] := '{}';
  v_revoked text[] := '{}';
begin
  if to_regnamespace('mana_ai_private') is null then
    raise exception using
      errcode = 'MA305',
      message = 'this database has no mana_ai_private schema: mana-ai was never migrated here, there is nothing to detach';
  end if;

  select r.rolname into v_owner
    from pg_catalog.pg_class c
    join pg_catalog.pg_roles r on r.oid = c.relowner
   where c.oid = to_regclass('public.sync_changes');
  for v_name in
    select t.tgname
      from pg_catalog.pg_trigger t
      join pg_catalog.pg_proc p on p.oid = t.tgfoid
     where t.tgrelid = to_regclass('public.sync_changes')
       and not t.tgisinternal
       and p.pronamespace = 'mana_ai_private'::regnamespace
     order by t.tgname
  loop
    begin
      execute format('drop trigger %I on public.sync_changes', v_name);
    exception when insufficient_privilege then
      raise exception using
        errcode = 'MA304',
        message = format('cannot remove the runner''s triggers from public.sync_changes as role %s: %s', current_user, sqlerrm),
        detail = format('Dropping a trigger needs ownership of the table (owner: %s, the sync server''s role).', v_owner),
        hint = 'Run mana-ai detach with MANA_AI_ADMIN_DATABASE_URL set to a superuser or to the table''s owner. Nothing was changed.';
    end;
    v_triggers := v_triggers || v_name;
  end loop;

  if exists (select from pg_catalog.pg_extension where extname = 'pg_cron') then
    for v_name in execute $q$select j.jobname from cron.job j where j.jobname like 'mana-ai-%' order by j.jobname$q$ loop
      execute 'select cron.unschedule($1)' using v_name;
      v_jobs := v_jobs || v_name;
    end loop;
  end if;

  -- grants and the bookkeeping belong to mana_ai_owner (the admin is a superuser or a member of it)
  set local role mana_ai_owner;
  for v_name in
    select p.oid::regprocedure::text
      from pg_catalog.pg_proc p
     where p.pronamespace = 'mana_ai'::regnamespace
       and p.proname in ('claim_runs', 'claim_and_load_runs', 'fold', 'tick')
     order by 1
  loop
    execute format('revoke execute on function %s from mana_ai_runner', v_name);
    v_revoked := v_revoked || v_name;
  end loop;
  truncate mana_ai_private.sql_objects;
  reset role;

  perform set_config('mana_ai.detach_result',
    jsonb_build_object('triggers', to_jsonb(v_triggers), 'cronJobs', to_jsonb(v_jobs), 'revoked', to_jsonb(v_revoked))::text,
    true);
end
$detach$;
