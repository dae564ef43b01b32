-- pg_cron jobs, applied by migrate as the migrating admin, only where the pg_cron extension exists in
-- this database. cron.schedule(name, …) updates a job of the same name in place, so re-running is a
-- no-op. pg_cron 1.4 runs in GMT with one-minute resolution (TOOLCHAIN.md §5).
-- Jobs run as the admin that scheduled them: pg_cron cannot run jobs as a NOLOGIN role such as
-- mana_ai_owner, and both functions are SECURITY DEFINER, so the job's own rights do not matter.
-- Test: test/sql/schedules.sql
select cron.schedule('mana-ai-tick', '* * * * *', 'select mana_ai.tick()');
select cron.schedule('mana-ai-retention', '17 3 * * *', 'select mana_ai.run_retention()');
