-- pg_cron jobs. Applied by migrate as the migrating admin, after the object files, only where the pg_cron
-- extension exists in this database; the DO block checks again, so running this file by hand anywhere
-- is harmless. cron.schedule(name, …) updates the job of that name in place (same jobid), so re-running
-- changes nothing. pg_cron 1.4 runs in GMT with one-minute resolution (docs/platform.md §1).
-- Jobs run as the admin that scheduled them: pg_cron cannot run a job as a NOLOGIN role such as
-- mana_ai_owner ("role … is not permitted to log in"). tick() and run_retention() are SECURITY DEFINER,
-- so the job's own rights do not matter for them.
--   mana-ai-tick          every minute: enqueue due runs (the listener's timer does this without pg_cron)
--   mana-ai-retention     daily 03:17 GMT: mana_ai.run_retention()
--   mana-ai-cron-history  daily 03:27 GMT: pg_cron never purges cron.job_run_details itself, and its RLS
--                         shows each role only the history of its own jobs, i.e. the admin's. The owner
--                         behind run_retention() cannot see those rows, so this one statement runs as
--                         the admin, with the keep period from settings.cron_history_keep.
-- Test: test/sql/schedules.sql
do $schedules$
begin
  if not exists (select from pg_catalog.pg_extension where extname = 'pg_cron') then
    raise notice 'pg_cron is not installed in this database: no jobs scheduled';
    return;
  end if;
  perform cron.schedule('mana-ai-tick', '* * * * *', 'select mana_ai.tick()');
  perform cron.schedule('mana-ai-retention', '17 3 * * *', 'select mana_ai.run_retention()');
  perform cron.schedule('mana-ai-cron-history', '27 3 * * *',
    'delete from cron.job_run_details where end_time < now() - (select s.cron_history_keep from mana_ai_private.settings s)');
end
$schedules$;
