-- mana_ai_private.adopt_reference_tables: a no-op without the staging schema; otherwise every staged
-- row lands in its home (audit rows with id, ts and content, written in each user's scope under FORCE
-- RLS), the id sequence moves past the adopted ids, the staging schema is gone, the caller's scope is
-- restored; an unknown staged table stops everything with MA303. Runs as mana_ai_owner, as migrate does.
begin;
select plan(12);

select tests.as_role('mana_ai_owner', 'scope-before');
select is(mana_ai_private.adopt_reference_tables(), '{"decryptAudit": 0, "tokenUsage": 0, "researchJobs": 0}'::jsonb,
  'without mana_ai_takeover: nothing to adopt');
reset role;

-- what sql/takeover.sql leaves behind: the reference tables, owned by mana_ai_owner, RLS off
create schema mana_ai_takeover authorization mana_ai_owner;
create table mana_ai_takeover.decrypt_audit (
  id bigserial primary key, user_id text not null, mission_id text not null, iteration_id text,
  table_name text not null, record_id text not null,
  status text not null check (status in ('ok', 'failed', 'scope-violation')), reason text,
  ts timestamptz not null default now());
insert into mana_ai_takeover.decrypt_audit (id, user_id, mission_id, iteration_id, table_name, record_id, status, reason, ts) values
  (90000000001, 'user-a', 'm-1', 'it-1', 'notes', 'n-1', 'ok', null, '2025-05-01 10:00:00.123456Z'),
  (90000000002, 'user-b', 'm-2', null, 'tasks', 't-1', 'failed', 'decrypt-failed', '2025-05-02 10:00Z'),
  (90000000003, 'user-a', 'm-1', 'it-2', 'notes', 'n-2', 'scope-violation', 'record-not-in-grant-allowlist', '2025-05-03 10:00Z');
create table mana_ai_takeover.token_usage (
  id bigserial primary key, user_id text not null, agent_id text not null, mission_id text not null,
  tokens_used int not null, ts timestamptz not null default now());
insert into mana_ai_takeover.token_usage (id, user_id, agent_id, mission_id, tokens_used, ts) values
  (7, 'user-a', 'ag-1', 'm-1', 1500, '2025-05-01 10:00Z');
create table mana_ai_takeover.mission_research_jobs (
  user_id text not null, mission_id text not null, task_id text not null, provider_id text not null,
  submitted_at timestamptz not null default now(), last_polled_at timestamptz, primary key (user_id, mission_id));
insert into mana_ai_takeover.mission_research_jobs values ('user-b', 'm-2', 'task-9', 'prov', '2025-05-02 09:00Z', '2025-05-02 09:05Z');
alter table mana_ai_takeover.decrypt_audit owner to mana_ai_owner;
alter table mana_ai_takeover.token_usage owner to mana_ai_owner;
alter table mana_ai_takeover.mission_research_jobs owner to mana_ai_owner;

-- an unknown table in the staging schema: MA303, nothing adopted
create table mana_ai_takeover.stray (x int);
alter table mana_ai_takeover.stray owner to mana_ai_owner;
select tests.as_role('mana_ai_owner', 'scope-before');
select throws_ok($$ select mana_ai_private.adopt_reference_tables() $$, 'MA303',
  'mana_ai_takeover holds tables migrate does not know: stray', 'a table it does not know stops the adoption');
reset role;
drop table mana_ai_takeover.stray;

select tests.as_role('mana_ai_owner', 'scope-before');
select is(mana_ai_private.adopt_reference_tables(), '{"decryptAudit": 3, "tokenUsage": 1, "researchJobs": 1}'::jsonb,
  'every staged row is counted');
select is(current_setting('app.current_user_id', true), 'scope-before', 'the caller''s user scope is restored');
select ok(to_regnamespace('mana_ai_takeover') is null, 'the staging schema is dropped');
select is(nextval('mana_ai.decrypt_audit_id_seq'), 90000000004::bigint, 'new audit ids continue after the adopted ones');
reset role;

select results_eq(
  $$ select id, user_id, mission_id, iteration_id, table_name, record_id, status, reason, ts
       from mana_ai.decrypt_audit where id between 90000000001 and 90000000003 order by id $$,
  $$ values (90000000001::bigint, 'user-a', 'm-1', 'it-1', 'notes', 'n-1', 'ok', null::text, '2025-05-01 10:00:00.123456Z'::timestamptz),
            (90000000002, 'user-b', 'm-2', null, 'tasks', 't-1', 'failed', 'decrypt-failed', '2025-05-02 10:00Z'),
            (90000000003, 'user-a', 'm-1', 'it-2', 'notes', 'n-2', 'scope-violation', 'record-not-in-grant-allowlist', '2025-05-03 10:00Z') $$,
  'audit rows keep id, ts (to the microsecond) and content');
select tests.as_role('mana_ai_runner', 'nobody');
select results_eq($$ select id from mana_ai.read_decrypt_audit('user-a', null, null) $$,
  $$ values (90000000003::bigint), (90000000001) $$, 'and the audit endpoint''s function serves them per user');
reset role;
select results_eq(
  $$ select reference_id, user_id, agent_id, mission_id, tokens_used, ts from mana_ai_private.reference_token_usage $$,
  $$ values (7::bigint, 'user-a', 'ag-1', 'm-1', 1500, '2025-05-01 10:00Z'::timestamptz) $$,
  'token usage lands in reference_token_usage with its reference id');
select results_eq(
  $$ select user_id, mission_id, task_id, provider_id, submitted_at, last_polled_at from mana_ai_private.reference_mission_research_jobs $$,
  $$ values ('user-b', 'm-2', 'task-9', 'prov', '2025-05-02 09:00Z'::timestamptz, '2025-05-02 09:05Z'::timestamptz) $$,
  'research jobs land in reference_mission_research_jobs unchanged');
select is((select count(distinct adopted_at)::int from mana_ai_private.reference_token_usage), 1, 'adopted_at is one value per adoption');

select tests.as_role('mana_ai_runner', 'user-a');
select throws_ok($$ select count(*) from mana_ai_private.reference_token_usage $$, '42501', null,
  'the runtime role cannot read the adopted rows');
reset role;

select * from finish();
rollback;
