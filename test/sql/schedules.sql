-- sql/schedules.sql: the pg_cron jobs migrate puts in place (pgTAP runs in the pg_cron database).
-- The jobs' functions are tested on their own; here: names, schedules, commands, who runs them, and
-- that the cron-history purge (a plain statement, run as the admin) deletes only old history.
begin;
select plan(6);

select results_eq(
  $$ select jobname::text collate "default", schedule collate "default", command collate "default"
       from cron.job where jobname like 'mana-ai-%' order by jobname $$,
  $$ values ('mana-ai-cron-history', '27 3 * * *',
             'delete from cron.job_run_details where end_time < now() - (select s.cron_history_keep from mana_ai_private.settings s)'),
            ('mana-ai-retention', '17 3 * * *', 'select mana_ai.run_retention()'),
            ('mana-ai-tick', '* * * * *', 'select mana_ai.tick()') $$,
  'the three mana-ai jobs exist with their schedules and commands');
select is_empty($$ select jobname from cron.job where jobname like 'mana-ai-%' and not active $$,
                'every mana-ai job is active');
select is_empty($$ select jobname from cron.job where jobname like 'mana-ai-%' and database <> current_database() $$,
                'every mana-ai job runs in this database');
select is_empty($$ select jobname from cron.job
                    where jobname like 'mana-ai-%'
                      and not exists (select from pg_catalog.pg_roles r where r.rolname = username and r.rolcanlogin) $$,
                'every mana-ai job runs as a role that can log in (pg_cron cannot run NOLOGIN roles)');

-- the cron-history command, run as the job would (the migrating admin) -------------------------
insert into cron.job_run_details (jobid, database, username, command, status, start_time, end_time) values
  (0, current_database(), current_user, 'schedules-test old', 'succeeded', now() - interval '8 days', now() - interval '8 days'),
  (0, current_database(), current_user, 'schedules-test new', 'succeeded', now() - interval '6 days', now() - interval '6 days'),
  (0, current_database(), current_user, 'schedules-test running', 'running', now() - interval '9 days', null);
select lives_ok((select command from cron.job where jobname = 'mana-ai-cron-history'),
                'the cron-history command runs');
select results_eq($$ select command from cron.job_run_details where command like 'schedules-test%' order by 1 $$,
                  $$ values ('schedules-test new'), ('schedules-test running') $$,
                  'it deletes history older than settings.cron_history_keep (7 days) and keeps running jobs');

select * from finish();
rollback;
