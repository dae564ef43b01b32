-- Daily retention, what the pg_cron job mana-ai-retention runs (sql/schedules.sql). Deletes, by the
-- keep periods of mana_ai_private.settings and the runner clock mana_ai_private.now():
--   runs            finished rows (done, superseded, dead) whose finished_at is older than runs_keep;
--                   queued/running/failed rows are open work and are never touched
--   quarantine      rows quarantined longer ago than quarantine_keep
--   run_tokens      token-ledger rows recorded longer ago than token_usage_keep (at least the 24-hour
--                   budget window, so the budget never loses a row it still counts)
--   decrypt_audit   rows older than audit_keep, through the table's retention policies: the DELETE has
--                   no WHERE on purpose, because delete_retention / delete_retention_only select
--                   exactly the expired rows and a WHERE would need a cross-user SELECT policy
--                   (sql/mana_ai/policies/decrypt_audit.sql). The user scope is cleared first, so the
--                   spec's per-user policy cannot add rows, and restored afterwards.
--   cron history    cron.job_run_details rows that ended before cron_history_keep, only where the
--                   pg_cron extension exists and this function's owner may delete there (dynamic SQL,
--                   so the function compiles and runs in databases without pg_cron). pg_cron's own RLS
--                   shows a role only the history of jobs that run as that role, and the jobs run as the
--                   migrating admin, so in a normal deployment this finds nothing to delete: the job
--                   mana-ai-cron-history (sql/schedules.sql) purges the admin's job history instead.
-- Returns {"runs": n, "quarantine": n, "run_tokens": n, "decrypt_audit": n, "cron_history": n | null,
--          "cron_history_skipped": null | "no-pg-cron" | "no-privilege"}.
-- Not granted to mana_ai_runner: retention is a maintenance job of the admin (pg_cron or psql).
-- Test: test/sql/mana_ai/functions/run_retention.sql
create or replace function mana_ai.run_retention()
  returns jsonb
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := mana_ai_private.now();
  v_settings mana_ai_private.settings;
  v_prev text;
  v_runs bigint;
  v_quarantine bigint;
  v_tokens bigint;
  v_audit bigint;
  v_cron bigint;
  v_cron_skipped text;
begin
  select s.* into strict v_settings from mana_ai_private.settings s;

  delete from mana_ai.runs r
   where r.status in ('done', 'superseded', 'dead')
     and r.finished_at < v_now - v_settings.runs_keep;
  get diagnostics v_runs = row_count;

  delete from mana_ai_private.quarantine q
   where q.quarantined_at < v_now - v_settings.quarantine_keep;
  get diagnostics v_quarantine = row_count;
  delete from mana_ai_private.run_tokens t
   where t.recorded_at < v_now - v_settings.token_usage_keep;
  get diagnostics v_tokens = row_count;

  -- No WHERE: the retention policies are the filter (see the header).
  v_prev := mana_ai_private.user_scope();
  perform mana_ai_private.set_user_scope('');
  delete from mana_ai.decrypt_audit;
  get diagnostics v_audit = row_count;
  perform mana_ai_private.set_user_scope(v_prev);

  if not exists (select from pg_catalog.pg_extension e where e.extname = 'pg_cron') then
    v_cron_skipped := 'no-pg-cron';
  elsif not pg_catalog.has_schema_privilege('cron', 'USAGE') then
    v_cron_skipped := 'no-privilege';
  elsif not pg_catalog.has_table_privilege('cron.job_run_details', 'DELETE') then
    v_cron_skipped := 'no-privilege';
  else
    execute 'delete from cron.job_run_details d where d.end_time < $1'
      using v_now - v_settings.cron_history_keep;
    get diagnostics v_cron = row_count;
  end if;

  return jsonb_build_object(
    'runs', v_runs,
    'quarantine', v_quarantine,
    'run_tokens', v_tokens,
    'decrypt_audit', v_audit,
    'cron_history', v_cron,
    'cron_history_skipped', v_cron_skipped);
end
$$;
revoke all on function mana_ai.run_retention() from public;
comment on function mana_ai.run_retention() is
  E'Delete expired state: finished runs, quarantine rows, token-ledger rows, decrypt-audit rows, pg_cron history.\n\n'
  'Keep periods: mana_ai_private.settings (runs_keep, quarantine_keep, token_usage_keep, audit_keep, cron_history_keep). '
  'Returns the number of rows deleted per kind. Run daily by the pg_cron job mana-ai-retention; '
  'not executable by mana_ai_runner.';
