-- mana_ai.run_retention: deletes only what is older than its keep period (settings, runner clock):
-- finished runs, quarantine rows, token-ledger rows, decrypt-audit rows (through the retention policies), pg_cron history
-- where the owner may see it. Runs in the pg_cron database, so the cron branch is exercised too.
begin;
select plan(16);

select tests.freeze_time('2025-06-01 00:00Z');
update mana_ai_private.settings
   set runs_keep = '30 days', quarantine_keep = '30 days', audit_keep = '400 days', cron_history_keep = '7 days',
       token_usage_keep = '2 days';
insert into mana_ai_private.run_tokens (user_id, agent_id, mission_id, run_id, attempt, tokens, recorded_at) values
  ('user-a', 'ag', 'm', 1, 1, 600, '2025-05-29 23:59Z'),   -- older than token_usage_keep: deleted
  ('user-a', 'ag', 'm', 2, 1, 400, '2025-05-30 00:01Z');   -- younger: kept

insert into mana_ai.runs (user_id, mission_id, slot, became_due_at, status, lease_token, lease_until, finished_at) values
  ('user-a', 'old-done',       '2025-04-01Z', '2025-04-01Z', 'done',       null, null, '2025-04-01Z'),
  ('user-b', 'old-superseded', '2025-04-01Z', '2025-04-01Z', 'superseded', null, null, '2025-04-01Z'),
  ('user-a', 'old-dead',       '2025-04-01Z', '2025-04-01Z', 'dead',       null, null, '2025-04-01Z'),
  ('user-a', 'new-done',       '2025-05-20Z', '2025-05-20Z', 'done',       null, null, '2025-05-20Z'),
  ('user-a', 'old-failed',     '2025-04-01Z', '2025-04-01Z', 'failed',     null, null, '2025-04-01Z'),
  ('user-a', 'old-queued',     '2025-04-01Z', '2025-04-01Z', 'queued',     null, null, null),
  ('user-b', 'old-running',    '2025-04-01Z', '2025-04-01Z', 'running',
   gen_random_uuid(), '2025-04-01 00:05Z', null);
insert into mana_ai_private.quarantine (change_id, user_id, app_id, table_name, record_id, reason, applied, quarantined_at) values
  (gen_random_uuid(), 'user-a', 'ai', 'aiMissions', 'q-old', 'test', false, '2025-04-01Z'),
  (gen_random_uuid(), 'user-b', 'ai', 'aiMissions', 'q-new', 'test', false, '2025-05-20Z');
insert into mana_ai.decrypt_audit (user_id, mission_id, table_name, record_id, status, ts) values
  ('user-a', 'm', 'notes', 'a-old', 'ok', '2024-04-01Z'),
  ('user-b', 'm', 'notes', 'b-old', 'ok', '2024-04-01Z'),
  ('user-a', 'm', 'notes', 'a-new', 'ok', '2025-05-20Z'),
  ('user-b', 'm', 'notes', 'b-edge', 'ok', '2024-04-27 00:01Z');  -- 399 days 23:59 old: kept
insert into cron.job_run_details (jobid, database, username, command, status, start_time, end_time) values
  (0, current_database(), 'postgres', 'retention-test old', 'succeeded', '2025-05-01Z', '2025-05-01Z'),
  (0, current_database(), 'postgres', 'retention-test new', 'succeeded', '2025-05-31Z', '2025-05-31Z'),
  (0, current_database(), 'mana_ai_owner', 'retention-test owner old', 'succeeded', '2025-05-01Z', '2025-05-01Z');

-- as listener ----------------------------------------------------------------------------
select tests.as_role('mana_ai_runner');
select throws_ok($$ select mana_ai.run_retention() $$, '42501', null, 'the listener cannot run retention');
reset role;

-- as the pg_cron job (the migrating admin), with some user's scope left set -------------------
set local app.current_user_id = 'user-a';
create temp table result as select mana_ai.run_retention() as r;
select is((select r from result),
  '{"runs": 3, "quarantine": 1, "run_tokens": 1, "decrypt_audit": 2, "cron_history": null, "cron_history_skipped": "no-privilege"}'::jsonb,
  'retention reports what it deleted per kind');
select results_eq($$ select mission_id from mana_ai.runs where mission_id like 'old-%' or mission_id like 'new-%' order by 1 $$,
                  $$ values ('new-done'), ('old-failed'), ('old-queued'), ('old-running') $$,
                  'finished runs older than runs_keep are gone; newer and open runs stay');
select results_eq($$ select run_id from mana_ai_private.run_tokens $$, $$ values (2::bigint) $$,
                  'token-ledger rows older than token_usage_keep are gone, younger ones stay');
select results_eq($$ select record_id from mana_ai_private.quarantine where reason = 'test' $$, $$ values ('q-new') $$,
                  'quarantine rows older than quarantine_keep are gone');
select results_eq($$ select record_id from mana_ai.decrypt_audit order by 1 $$, $$ values ('a-new'), ('b-edge') $$,
                  'audit rows older than audit_keep are gone, for every user; younger ones stay');
select is(current_setting('app.current_user_id', true), 'user-a', 'the caller''s user scope is restored');
select results_eq($$ select command from cron.job_run_details where command like 'retention-test%' order by 1 $$,
                  $$ values ('retention-test new'), ('retention-test old'), ('retention-test owner old') $$,
                  'without USAGE on schema cron the owner leaves pg_cron history alone');
select is(mana_ai.run_retention(),
  '{"runs": 0, "quarantine": 0, "run_tokens": 0, "decrypt_audit": 0, "cron_history": null, "cron_history_skipped": "no-privilege"}'::jsonb,
  'a second run finds nothing more to delete');

-- time moves on: the edge row expires ---------------------------------------------------------
select tests.freeze_time('2025-06-01 00:02Z');
select is((mana_ai.run_retention() ->> 'decrypt_audit')::int, 1, 'a row expires as soon as it is older than audit_keep');
select tests.freeze_time('2025-06-01 00:00Z');

-- settings decide -----------------------------------------------------------------------------
update mana_ai_private.settings set audit_keep = '1 day';
select is((mana_ai.run_retention() ->> 'decrypt_audit')::int, 1, 'audit_keep comes from settings');
select results_eq($$ select count(*)::int from mana_ai.decrypt_audit $$, $$ values (0) $$, 'no audit row is left');

-- the cron branch when the owner may use schema cron -------------------------------------------
grant usage on schema cron to mana_ai_owner;
create temp table result2 as select mana_ai.run_retention() as r;
select is((select r ->> 'cron_history' from result2), '1', 'with USAGE on cron the owner deletes old history it can see');
select is((select r -> 'cron_history_skipped' from result2), 'null'::jsonb, 'and reports no skip');
select results_eq($$ select command from cron.job_run_details where command like 'retention-test%' order by 1 $$,
                  $$ values ('retention-test new'), ('retention-test old') $$,
                  'pg_cron''s RLS still hides the admin''s jobs from it (mana-ai-cron-history purges those)');

-- no pg_cron: the function compiles and runs without it (dynamic SQL). DROP EXTENSION is
-- transactional, so the rollback below brings pg_cron back.
drop extension pg_cron;
select is(mana_ai.run_retention() -> 'cron_history_skipped', '"no-pg-cron"'::jsonb,
  'without pg_cron retention still runs and says it skipped the cron history');

select * from finish();
rollback;
