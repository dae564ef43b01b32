-- mana_ai.v_agent_load: per agent, running (live lease) against the quota, queued, failed, blocked, gated.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(9);

select tests.freeze_time('2024-01-01 01:00Z');
select pg_temp.agent('u1', 'a-busy', 'active', 1);
select pg_temp.agent('u1', 'a-idle', 'active', 3);
select pg_temp.agent('u1', 'a-paused', 'paused', 2);
select pg_temp.mission('u1', 'b-1', '2024-01-01 00:01Z', 'a-busy');
select pg_temp.mission('u1', 'b-2', '2024-01-01 00:02Z', 'a-busy');
select pg_temp.mission('u1', 'b-3', '2024-01-01 00:03Z', 'a-busy');
select pg_temp.mission('u1', 'b-4', '2024-01-01 00:04Z', 'a-busy');
select pg_temp.mission('u1', 'p-1', '2024-01-01 00:05Z', 'a-paused');
select pg_temp.mission('u1', 'p-2', '2024-01-01 03:00Z', 'a-paused');
select pg_temp.mission('u2', 'l-1', '2024-01-01 00:06Z');
select mana_ai_private.enqueue_due('2024-01-01 01:00Z');
update mana_ai.runs set status = 'running', attempts = 1, lease_token = gen_random_uuid(), lease_until = '2024-01-01 01:05Z'
 where mission_id = 'b-1';
update mana_ai.runs set status = 'running', attempts = 1, lease_token = gen_random_uuid(), lease_until = '2024-01-01 00:59Z'
 where mission_id = 'b-2';
update mana_ai.runs set status = 'failed', attempts = 1, retry_at = '2024-01-01 02:00Z' where mission_id = 'b-3';

select results_eq(
  $$ select user_id, agent_id from mana_ai.v_agent_load $$,
  $$ values ('u1', 'a-busy'), ('u1', 'a-idle'), ('u1', 'a-paused'), ('u2', null) $$,
  'one row per agent, plus the legacy principal of a user with open runs');
select results_eq(
  $$ select quota, running, running_expired, queued, failed, blocked, gated, at_quota from mana_ai.v_agent_load where agent_id = 'a-busy' $$,
  $$ values (1::numeric, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 2::bigint, 0::bigint, true) $$,
  'a-busy: one live run fills its quota of 1; the expired and the queued run are claimable but blocked');
select results_eq(
  $$ select state, quota, running, queued, gated, at_quota from mana_ai.v_agent_load where agent_id = 'a-paused' $$,
  $$ values ('paused'::text, 2::numeric, 0::bigint, 0::bigint, 1::bigint, false) $$,
  'a paused agent: its due mission is gated (never queued), the future one not yet counted');
select results_eq(
  $$ select name, quota, queued, at_quota from mana_ai.v_agent_load where user_id = 'u2' $$,
  $$ values (null::text, null::numeric, 1::bigint, null::boolean) $$,
  'the legacy principal has no name and no quota');

select tests.as_role('mana_ai_runner');
select throws_ok($$ select * from mana_ai.v_agent_load $$, '42501', null, 'the listener cannot read v_agent_load');
reset role;
select tests.as_role('mana_ai_owner');
select is((select sum(queued)::int from mana_ai.v_agent_load), 2, 'the owner reads the view under FORCE RLS, across users');
reset role;

select ok((select 'security_invoker=true' = any (c.reloptions) and c.relowner = 'mana_ai_owner'::regrole
             and not pg_catalog.has_table_privilege('mana_ai_runner', c.oid, 'SELECT')
             from pg_catalog.pg_class c where c.oid = 'mana_ai.v_agent_load'::regclass),
  'v_agent_load: owned by mana_ai_owner, security_invoker, not granted to mana_ai_runner');
select isnt(pg_catalog.obj_description('mana_ai.v_agent_load'::regclass, 'pg_class'), null, 'v_agent_load has a comment');
select is_empty(
  $$ select a.attname from pg_catalog.pg_attribute a
      where a.attrelid = 'mana_ai.v_agent_load'::regclass and a.attnum > 0 and pg_catalog.col_description(a.attrelid, a.attnum) is null $$,
  'every column of v_agent_load has a comment');

select * from finish();
rollback;
