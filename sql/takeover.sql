-- Takeover, first half: move the reference runner's leftovers in schema mana_ai out of the way, as the
-- migrating admin, before the numbered migrations run. Included by bootstrap.sql; re-runnable; does
-- nothing on a database without the reference runner's objects.
--
-- What the reference runner (the Mana runner this project replaces) leaves in a live database, created
-- as whichever role it connected as (usually the superuser postgres), all CREATE … IF NOT EXISTS:
--   schema mana_ai                  owned by that role
--   mana_ai.mission_snapshots       cache of the log (merged record + a created_at cursor)
--   mana_ai.agent_snapshots         same, for agents
--   mana_ai.decrypt_audit           rows users see through GET /api/v1/me/ai-audit; same DDL as ours
--   mana_ai.token_usage             later upstream versions: LLM tokens per user/agent/mission
--   mana_ai.mission_research_jobs   later upstream versions: pending deep-research provider jobs
--
-- What happens here (the second half is mana_ai_private.adopt_reference_tables, run by migrate after the
-- object files, as mana_ai_owner):
--   1. schema mana_ai is handed to mana_ai_owner (our migrations create tables in it as that role);
--   2. the two snapshot tables are DROPPED. They are a cache the reference rebuilds on its own: its tick
--      finds every (user, record) whose newest log row is past its snapshot cursor, and a missing
--      snapshot row means "from the beginning". This runner never reads them (its projection is
--      mana_ai_private.projections, maintained by the trigger on sync_changes), so keeping them would
--      only leave a stale copy with a cursor that no longer means anything;
--   3. the reference's decrypt_audit (only while our 00001 migration has not run: afterwards
--      mana_ai.decrypt_audit is ours), token_usage and mission_research_jobs (only when not owned by
--      mana_ai_owner, i.e. created by the reference runner) are moved, unchanged, into the staging schema
--      mana_ai_takeover, owned by mana_ai_owner, with row-level security off (staging only: the schema
--      grants USAGE to nobody else). Our 00001 can then create mana_ai.decrypt_audit, and the adopt
--      function copies the rows into their final tables and drops the staging schema.
-- Everything runs in the one implicit transaction of the bootstrap text: a failure changes nothing.
-- Taking over objects of another role needs that role's rights: a superuser, or a member of the role
-- that owns them. Anyone else gets MA301 naming the owner (and nothing is changed).
-- Test: test/ts/db/takeover.test.ts, test/ts/e2e/takeover.test.ts
do $takeover$
declare
  v_schema_owner name;
  v_ours_created boolean := false;
  v_name text;
  v_owner name;
  v_moved text[] := '{}';
  v_object text := 'schema mana_ai';
  v_object_owner name;
begin
  select r.rolname into v_schema_owner
    from pg_catalog.pg_namespace n
    join pg_catalog.pg_roles r on r.oid = n.nspowner
   where n.nspname = 'mana_ai';
  if v_schema_owner is null then
    return;
  end if;

  -- Our own decrypt_audit exists once migration 00001 has run (postgres-migrations' table, id 1).
  if to_regclass('mana_ai_private.migrations') is not null then
    execute 'select exists (select from mana_ai_private.migrations where id = 1)' into v_ours_created;
  end if;

  v_object_owner := v_schema_owner;
  begin
    if v_schema_owner <> 'mana_ai_owner' then
      execute 'alter schema mana_ai owner to mana_ai_owner';
      raise notice 'takeover: schema mana_ai was owned by %, now by mana_ai_owner', v_schema_owner;
    end if;

    foreach v_name in array array['mission_snapshots', 'agent_snapshots'] loop
      if to_regclass(format('mana_ai.%I', v_name)) is not null then
        v_object := format('table mana_ai.%I', v_name);
        select r.rolname into v_object_owner
          from pg_catalog.pg_class c join pg_catalog.pg_roles r on r.oid = c.relowner
         where c.oid = to_regclass(format('mana_ai.%I', v_name));
        execute format('drop table mana_ai.%I', v_name);
        raise notice 'takeover: dropped the reference runner''s cache mana_ai.%', v_name;
      end if;
    end loop;

    foreach v_name in array array['decrypt_audit', 'token_usage', 'mission_research_jobs'] loop
      select r.rolname into v_owner
        from pg_catalog.pg_class c
        join pg_catalog.pg_roles r on r.oid = c.relowner
       where c.oid = to_regclass(format('mana_ai.%I', v_name));
      continue when v_owner is null;
      continue when v_name = 'decrypt_audit' and v_ours_created;
      continue when v_name <> 'decrypt_audit' and v_owner = 'mana_ai_owner';
      if to_regclass(format('mana_ai_takeover.%I', v_name)) is not null then
        raise exception using
          errcode = 'MA302',
          message = format('takeover: both mana_ai.%1$s and mana_ai_takeover.%1$s exist', v_name),
          detail = 'mana_ai_takeover holds what an earlier migrate moved aside and did not adopt yet.',
          hint = format('Compare the two tables; once mana_ai_takeover.%s is empty or dropped, run mana-ai migrate again.', v_name);
      end if;
      v_object := format('table mana_ai.%I', v_name);
      v_object_owner := v_owner;
      execute 'create schema if not exists mana_ai_takeover authorization mana_ai_owner';
      execute 'revoke all on schema mana_ai_takeover from public';
      execute format('alter table mana_ai.%I owner to mana_ai_owner', v_name);
      execute format('alter table mana_ai.%I set schema mana_ai_takeover', v_name);
      execute format('alter table mana_ai_takeover.%I disable row level security', v_name);
      execute format('alter table mana_ai_takeover.%I no force row level security', v_name);
      v_moved := v_moved || v_name;
    end loop;
  exception when insufficient_privilege then
    raise exception using
      errcode = 'MA301',
      message = format('cannot take over %s (owner %s) as role %s: %s', v_object, v_object_owner, current_user, sqlerrm),
      detail = 'The reference runner created schema mana_ai and its tables as its own role; taking them over changes their owner to mana_ai_owner.',
      hint = format('Run mana-ai migrate as a superuser or as a member of role %s (MANA_AI_ADMIN_DATABASE_URL) for the takeover; later runs need no such rights.', v_object_owner);
  end;
  if cardinality(v_moved) > 0 then
    raise notice 'takeover: moved the reference runner''s % into mana_ai_takeover for adoption', v_moved;
  end if;
end
$takeover$;
