-- mana_ai.claim_and_load_runs(): claim_runs plus each run's load_run payload in one call.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(7);

select is_definer('mana_ai', 'claim_and_load_runs', array['text', 'integer', 'integer'], 'claim_and_load_runs is security definer');
select function_privs_are('mana_ai', 'claim_and_load_runs', array['text', 'integer', 'integer'], 'mana_ai_runner', array['EXECUTE'],
  'the runtime role may execute it');

select tests.freeze_time('2024-01-01 00:30Z');
select pg_temp.sync_agent('u1', 'a1', '{"name": "Planner", "maxConcurrentMissions": 1}', '2024-01-01 00:00:00Z');
select pg_temp.sync_mission('u1', 'm1', '{"agentId": "a1", "nextRunAt": "2024-01-01T00:10:00.000Z", "title": "First"}', '2024-01-01 00:01:00Z');
select pg_temp.sync_mission('u1', 'm2', '{"agentId": "a1", "nextRunAt": "2024-01-01T00:11:00.000Z"}', '2024-01-01 00:01:01Z');
select pg_temp.sync_mission('u2', 'm3', '{"nextRunAt": "2024-01-01T00:12:00.000Z"}', '2024-01-01 00:01:02Z');
-- a title edit nobody folded yet
select tests.sync('u2', 'aiMissions', 'm3', 'update', '{"title": "Edited"}', '{"title": "2024-01-01T00:29:00.000Z"}',
                  'ai', '2024-01-01 00:29Z', 'd', false);

select tests.as_role('mana_ai_runner');
create temp table got as select * from mana_ai.claim_and_load_runs('w1', 10, 60000);
select throws_ok($$ select * from mana_ai.claim_and_load_runs('', 1, 1) $$, 'MA101', null, 'claim_runs'' errors');
reset role;

select results_eq($$ select mission_id, attempt from got order by slot $$, $$ values ('m1'::text, 1), ('m3', 1) $$,
  'the same runs as claim_runs: m2 waits for its agent''s quota of 1');
select ok((select bool_and(g.loaded -> 'run' ->> 'runId' = g.run_id::text and (g.loaded -> 'run' ->> 'worker') = 'w1') from got g),
  'each row carries its own run''s payload');
select results_eq($$ select loaded -> 'mission' ->> 'title', loaded -> 'agent' ->> 'name', (loaded ->> 'agentResolved')::boolean
                      from got order by slot $$,
  $$ values ('First'::text, 'Planner'::text, true), ('Edited', null, false) $$,
  'mission (pending rows folded by the claim) and agent as load_run reads them');
select is((select count(*)::int from got g where g.loaded = (select mana_ai.load_run(g.run_id, g.lease_token))), 2,
  'identical to what load_run returns for the same lease');

select * from finish();
rollback;
