-- sql/detach.sql (`mana-ai detach`), run as the admin in the pg_cron database, rolled back afterwards:
-- the runner's triggers are gone from sync_changes (found by their function's schema), the mana-ai
-- pg_cron jobs are unscheduled, mana_ai_runner can no longer claim or tick, the object bookkeeping is
-- empty, and the log, the audit rows and the projections are exactly as before.
begin;
select plan(14);

select tests.sync('detach-u', 'aiMissions', 'detach-m1', 'insert',
  '{"id":"detach-m1","state":"active","cadence":{"kind":"manual"}}');
insert into mana_ai.decrypt_audit (user_id, mission_id, table_name, record_id, status)
  values ('detach-u', 'detach-m1', 'notes', 'n1', 'ok');
create temp table before_counts as
  select (select count(*) from public.sync_changes) as log_rows,
         (select count(*) from mana_ai.decrypt_audit) as audit_rows,
         (select count(*) from mana_ai_private.projections) as projections;
select isnt_empty($$ select from pg_trigger t join pg_proc p on p.oid = t.tgfoid
                     where t.tgrelid = 'public.sync_changes'::regclass and p.pronamespace = 'mana_ai_private'::regnamespace $$,
  'before: the runner has triggers on sync_changes');
-- a trigger of someone else on sync_changes stays
create function public.detach_test_other() returns trigger language plpgsql as $$ begin return null; end $$;
create trigger zz_other after insert on public.sync_changes for each statement execute function public.detach_test_other();

\ir ../../sql/detach.sql

select is_empty($$ select from pg_trigger t join pg_proc p on p.oid = t.tgfoid
                   where t.tgrelid = 'public.sync_changes'::regclass and p.pronamespace = 'mana_ai_private'::regnamespace $$,
  'no trigger whose function lives in mana_ai_private is left on sync_changes');
select results_eq($$ select tgname::text collate "default" from pg_trigger where tgrelid = 'public.sync_changes'::regclass and not tgisinternal $$,
  $$ values ('zz_other') $$, 'other triggers on sync_changes stay');
select is_empty($$ select from cron.job where jobname like 'mana-ai-%' $$, 'the mana-ai pg_cron jobs are unscheduled');
select ok(not has_function_privilege('mana_ai_runner', 'mana_ai.claim_runs(text,int,int)', 'execute'), 'the runner role cannot claim');
select ok(not has_function_privilege('mana_ai_runner', 'mana_ai.tick()', 'execute'), 'the runner role cannot tick');
select ok(not has_function_privilege('mana_ai_runner', 'mana_ai.claim_and_load_runs(text,int,int)', 'execute')
          and not has_function_privilege('mana_ai_runner', 'mana_ai.fold(int)', 'execute'), 'nor claim-and-load, nor fold');
select ok(has_function_privilege('mana_ai_runner', 'mana_ai.read_decrypt_audit(text,text,int)', 'execute'),
  'the audit stays readable through its function');
select is_empty($$ select from mana_ai_private.sql_objects $$, 'the object bookkeeping is empty: the next migrate re-applies');
select is(current_setting('mana_ai.detach_result')::jsonb -> 'cronJobs',
  '["mana-ai-cron-history", "mana-ai-retention", "mana-ai-tick"]'::jsonb, 'the result names the unscheduled jobs');
select is(current_setting('mana_ai.detach_result')::jsonb -> 'revoked',
  '["mana_ai.claim_and_load_runs(text,integer,integer)", "mana_ai.claim_runs(text,integer,integer)", "mana_ai.fold(integer)", "mana_ai.tick()"]'::jsonb,
  'and the revoked functions');

select tests.sync('detach-u', 'aiMissions', 'detach-m2', 'insert',
  '{"id":"detach-m2","state":"active","cadence":{"kind":"manual"}}');
select is_empty($$ select from mana_ai_private.projections where record_id = 'detach-m2' $$,
  'a row inserted afterwards reaches nothing of the runner');
select results_eq(
  $$ select (select count(*) from public.sync_changes) - 1, (select count(*) from mana_ai.decrypt_audit),
            (select count(*) from mana_ai_private.projections) $$,
  $$ select log_rows, audit_rows, projections from before_counts $$,
  'the log (plus the new row), the audit rows and the projections are untouched');

select tests.as_role('mana_ai_runner', 'detach-u');
select throws_ok($$ select * from mana_ai.claim_runs('w', 1, null) $$, '42501', null, 'a running listener''s claim is refused');
reset role;

select * from finish();
rollback;
