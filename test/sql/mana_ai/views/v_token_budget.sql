-- mana_ai.v_token_budget: per agent, LLM tokens of the last 24 h beside maxTokensPerDay.
begin;
\ir ../../../support/ledger-fixtures.sql
delete from mana_ai_private.run_tokens;
select plan(5);

select tests.freeze_time('2024-01-02 00:00Z');
select pg_temp.agent('u1', 'a-over', 'active', 1);
select pg_temp.agent('u1', 'a-under', 'active', 1);
select pg_temp.agent('u1', 'a-free', 'active', 1);
update mana_ai_private.projections set vals = '{"maxTokensPerDay": 1000}' where record_id in ('a-over', 'a-under');
update mana_ai_private.projections set vals = '{"maxTokensPerDay": "1000"}' where record_id = 'a-free';
select pg_temp.mission('u1', 'o-1', '2024-01-01 23:00Z', 'a-over');
select mana_ai_private.enqueue_due('2024-01-02 00:00Z');
insert into mana_ai_private.run_tokens (user_id, agent_id, mission_id, run_id, attempt, tokens, recorded_at) values
  ('u1', 'a-over', 'o-0', -1, 1, 600, '2024-01-01 10:00Z'),
  ('u1', 'a-over', 'o-0', -2, 1, 600, '2024-01-01 12:00Z'),
  ('u1', 'a-over', 'o-0', -3, 1, 5000, '2023-12-31 12:00Z'),  -- outside the window
  ('u1', 'a-under', 'u-0', -4, 1, 300, '2024-01-01 12:00Z'),
  ('u1', 'a-free', 'f-0', -5, 1, 9000, '2024-01-01 12:00Z'),
  ('u1', 'a-gone', 'g-0', -6, 1, 50, '2024-01-01 12:00Z'),
  ('u1', null, 'l-0', -7, 1, 70, '2024-01-01 12:00Z');

select results_eq(
  $$ select agent_id, budget, used_24h, remaining, over_budget, frees_at, waiting from mana_ai.v_token_budget where user_id = 'u1' $$,
  $$ values ('a-free'::text, null::numeric, 9000::bigint, null::numeric, null::boolean, null::timestamptz, 0::bigint),
            ('a-gone', null, 50, null, null, null, 0),
            ('a-over', 1000, 1200, 0, true, '2024-01-02 10:00Z', 1),
            ('a-under', 1000, 300, 700, false, null, 0) $$,
  'usage of the last 24 h beside the budget: over, under, no limit (a string), a deleted agent; the legacy principal has no row');
select is((select name from mana_ai.v_token_budget where agent_id = 'a-over'), 'Agent a-over', 'the agent''s name is shown');
select is((select gate from mana_ai_private.claim_candidates('2024-01-02 00:00Z') where mission_id = 'o-1'), 'skipped-budget',
  'the waiting run is the one the claim holds back');
select tests.freeze_time('2024-01-02 10:00Z');
select results_eq($$ select used_24h, over_budget, frees_at, waiting from mana_ai.v_token_budget where agent_id = 'a-over' $$,
  $$ values (600::bigint, false, null::timestamptz, 0::bigint) $$, 'at frees_at the first 600 left the window');
select tests.as_role('mana_ai_runner');
select throws_ok($$ select * from mana_ai.v_token_budget $$, '42501', null, 'the runtime role cannot read the view');
reset role;

select * from finish();
rollback;
