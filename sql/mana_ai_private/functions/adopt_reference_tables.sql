-- Takeover, second half: adopt the reference runner's rows that bootstrap (sql/takeover.sql) moved into
-- the staging schema mana_ai_takeover, then drop the staging tables and the schema. Called by
-- `mana-ai migrate` after the object files on every run, as mana_ai_owner; returns at once when there is
-- no staging schema (every database but the first migrate over the reference runner, or the first
-- after a way back to it).
--   decrypt_audit          -> mana_ai.decrypt_audit, every row with its id, ts and content unchanged, so
--                             GET /api/v1/me/ai-audit serves the history as before. Written per user,
--                             inside that user's scope (decrypt_audit_user_scope, FORCE RLS), like
--                             record_decrypt_audit; the id sequence ends up past the highest adopted id.
--   token_usage            -> mana_ai_private.reference_token_usage (reference_id = its id)
--   mission_research_jobs  -> mana_ai_private.reference_mission_research_jobs
-- Why a function in an object file and not a migration, although it moves data: the reference runner's
-- tables can appear again after the way back to it (README, "Going back"), so the adoption must be able
-- to run on any migrate, not once. Why not in bootstrap: the target tables exist only after the
-- migrations. All in the caller's transaction: a failure adopts nothing and leaves the staging schema for
-- the next migrate.
-- Returns {"decryptAudit": n, "tokenUsage": n, "researchJobs": n} (rows adopted; all 0 when nothing
-- was staged). Errors: MA303 for a staged table of an unexpected name (left in place, nothing adopted).
-- Test: test/sql/mana_ai_private/functions/adopt_reference_tables.sql, test/ts/db/takeover.test.ts
create or replace function mana_ai_private.adopt_reference_tables()
  returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_prev text := mana_ai_private.user_scope();
  v_user text;
  v_audit bigint := 0;
  v_usage bigint := 0;
  v_jobs bigint := 0;
  v_n bigint;
  v_max bigint;
  v_other text;
begin
  if to_regnamespace('mana_ai_takeover') is null then
    return jsonb_build_object('decryptAudit', 0, 'tokenUsage', 0, 'researchJobs', 0);
  end if;
  select string_agg(c.relname, ', ') into v_other
    from pg_catalog.pg_class c
   where c.relnamespace = 'mana_ai_takeover'::regnamespace
     and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and c.relname not in ('decrypt_audit', 'token_usage', 'mission_research_jobs');
  if v_other is not null then
    raise exception using
      errcode = 'MA303',
      message = format('mana_ai_takeover holds tables migrate does not know: %s', v_other),
      hint = 'The schema is migrate''s staging area for the reference runner''s tables; move those tables elsewhere and run mana-ai migrate again.';
  end if;

  if to_regclass('mana_ai_takeover.decrypt_audit') is not null then
    for v_user in select distinct a.user_id from mana_ai_takeover.decrypt_audit a loop
      perform mana_ai_private.set_user_scope(v_user);
      insert into mana_ai.decrypt_audit (id, user_id, mission_id, iteration_id, table_name, record_id, status, reason, ts)
      select a.id, a.user_id, a.mission_id, a.iteration_id, a.table_name, a.record_id, a.status, a.reason, a.ts
        from mana_ai_takeover.decrypt_audit a
       where a.user_id = v_user
       order by a.id;
      get diagnostics v_n = row_count;
      v_audit := v_audit + v_n;
    end loop;
    perform mana_ai_private.set_user_scope(v_prev);
    select max(a.id) into v_max from mana_ai_takeover.decrypt_audit a;
    if v_max is not null then
      perform setval('mana_ai.decrypt_audit_id_seq', greatest(v_max, (select s.last_value from mana_ai.decrypt_audit_id_seq s)));
    end if;
    drop table mana_ai_takeover.decrypt_audit;
  end if;

  if to_regclass('mana_ai_takeover.token_usage') is not null then
    insert into mana_ai_private.reference_token_usage (reference_id, user_id, agent_id, mission_id, tokens_used, ts)
    select u.id, u.user_id, u.agent_id, u.mission_id, u.tokens_used, u.ts
      from mana_ai_takeover.token_usage u;
    get diagnostics v_usage = row_count;
    drop table mana_ai_takeover.token_usage;
  end if;

  if to_regclass('mana_ai_takeover.mission_research_jobs') is not null then
    insert into mana_ai_private.reference_mission_research_jobs (user_id, mission_id, task_id, provider_id, submitted_at, last_polled_at)
    select j.user_id, j.mission_id, j.task_id, j.provider_id, j.submitted_at, j.last_polled_at
      from mana_ai_takeover.mission_research_jobs j;
    get diagnostics v_jobs = row_count;
    drop table mana_ai_takeover.mission_research_jobs;
  end if;

  -- Empty now (checked above): only the tables adopted here could be in it.
  drop schema mana_ai_takeover;
  return jsonb_build_object('decryptAudit', v_audit, 'tokenUsage', v_usage, 'researchJobs', v_jobs);
end
$$;
revoke all on function mana_ai_private.adopt_reference_tables() from public;
comment on function mana_ai_private.adopt_reference_tables() is
  E'Adopt the reference runner''s rows that migrate''s bootstrap moved into mana_ai_takeover, then drop that schema.\n\n'
  'decrypt_audit rows keep id, ts and content (into mana_ai.decrypt_audit, per user scope); token_usage goes to '
  'mana_ai_private.reference_token_usage, mission_research_jobs to mana_ai_private.reference_mission_research_jobs. '
  'Returns {decryptAudit, tokenUsage, researchJobs} row counts; a no-op without the staging schema.';
