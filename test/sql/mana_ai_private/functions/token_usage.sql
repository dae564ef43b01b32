-- The per-agent token budget: the ledger (record_run_tokens through complete_run / fail_run), the window
-- sum (agent_token_usage, tokens_used), when the window frees (budget_frees_at), the budget value
-- (token_budget, folded from the agent record), and the skipped-budget gate inside the claim with
-- next_wakeup and tick. Agents and missions go in through the log, so the fold is exercised too.
begin;
\ir ../../../support/ledger-fixtures.sql
delete from mana_ai_private.run_tokens;
select plan(38);

-- token_budget: a JSON number >= 0, anything else no limit ------------------------------------------
select results_eq(
  $$ select mana_ai_private.token_budget(v) from (values ('1000'::jsonb), ('0'), ('12.5'), ('-1'), ('"1000"'), ('true'),
                                                         ('null'), ('{"n": 1}'), ('[1]'), (null)) t(v) $$,
  $$ values (1000::numeric), (0), (12.5), (null), (null), (null), (null), (null), (null), (null) $$,
  'token_budget: numbers >= 0 are budgets; negative, strings, booleans, null, objects, arrays, absent are no limit');

select tests.freeze_time('2024-01-01 00:30Z');
select pg_temp.sync_agent('u1', 'a-b', '{"maxTokensPerDay": 1000, "maxConcurrentMissions": 5}', '2024-01-01 00:00:00Z');
select pg_temp.sync_agent('u1', 'a-neg', '{"maxTokensPerDay": -5, "maxConcurrentMissions": 5}', '2024-01-01 00:00:01Z');
select pg_temp.sync_agent('u1', 'a-str', '{"maxTokensPerDay": "10", "maxConcurrentMissions": 5}', '2024-01-01 00:00:02Z');
select pg_temp.sync_agent('u1', 'a-none', '{"maxConcurrentMissions": 5}', '2024-01-01 00:00:03Z');
select pg_temp.sync_agent('u1', 'a-zero', '{"maxTokensPerDay": 0, "maxConcurrentMissions": 5}', '2024-01-01 00:00:04Z');
select pg_temp.sync_mission('u1', 'b-1', '{"agentId": "a-b", "nextRunAt": "2024-01-01T00:10:00.000Z"}', '2024-01-01 00:01:00Z');
select pg_temp.sync_mission('u1', 'b-2', '{"agentId": "a-b", "nextRunAt": "2024-01-01T00:11:00.000Z"}', '2024-01-01 00:01:01Z');
select pg_temp.sync_mission('u1', 'b-3', '{"agentId": "a-b", "nextRunAt": "2024-01-01T00:12:00.000Z"}', '2024-01-01 00:01:02Z');
select pg_temp.sync_mission('u1', 'neg-1', '{"agentId": "a-neg", "nextRunAt": "2024-01-01T00:13:00.000Z"}', '2024-01-01 00:01:03Z');
select pg_temp.sync_mission('u1', 'str-1', '{"agentId": "a-str", "nextRunAt": "2024-01-01T00:14:00.000Z"}', '2024-01-01 00:01:04Z');
select pg_temp.sync_mission('u1', 'none-1', '{"agentId": "a-none", "nextRunAt": "2024-01-01T00:15:00.000Z"}', '2024-01-01 00:01:05Z');
select pg_temp.sync_mission('u1', 'zero-1', '{"agentId": "a-zero", "nextRunAt": "2024-01-01T00:16:00.000Z"}', '2024-01-01 00:01:06Z');
select pg_temp.sync_mission('u1', 'legacy-1', '{"nextRunAt": "2024-01-01T00:17:00.000Z"}', '2024-01-01 00:01:07Z');

select results_eq(
  $$ select mission_id, token_budget from mana_ai_private.due_missions where user_id = 'u1' order by slot $$,
  $$ values ('b-1'::text, 1000::numeric), ('b-2', 1000), ('b-3', 1000), ('neg-1', null), ('str-1', null), ('none-1', null),
            ('zero-1', 0), ('legacy-1', null) $$,
  'the fold keeps maxTokensPerDay by value: due_missions shows each agent''s budget');
select results_eq(
  $$ select mission_id, gate from mana_ai_private.claim_candidates('2024-01-01 00:30Z') order by slot $$,
  $$ values ('b-1'::text, null::text), ('b-2', null), ('b-3', null), ('neg-1', null), ('str-1', null), ('none-1', null),
            ('zero-1', 'skipped-budget'), ('legacy-1', null) $$,
  'no usage yet: only the budget of 0 holds its mission back');

-- the ledger: fail_run and complete_run record the attempt's tokens for the lease holder -------------
select tests.as_role('mana_ai_runner');
create temp table c1 as select * from mana_ai.claim_runs('w1', 2, 600000);
reset role;
select results_eq($$ select mission_id from c1 order by slot $$, $$ values ('b-1'::text), ('b-2') $$,
  'two runs of the budgeted agent are claimed while its usage is 0');
select tests.as_role('mana_ai_runner');
select is(mana_ai.fail_run((select run_id from c1 where mission_id = 'b-1'), gen_random_uuid(), 'parse', 'x', 600) ->> 'status',
  'stale', 'a stale token is answered stale');
reset role;
select is_empty($$ select * from mana_ai_private.run_tokens $$, 'and records no tokens');
select tests.as_role('mana_ai_runner');
select is(mana_ai.fail_run((select run_id from c1 where mission_id = 'b-1'), (select lease_token from c1 where mission_id = 'b-1'),
                           'parse', 'plan did not parse', 600) ->> 'status',
  'failed', 'a plan that did not parse fails the attempt');
reset role;
select results_eq(
  $$ select user_id, agent_id, mission_id, run_id, attempt, tokens, recorded_at from mana_ai_private.run_tokens $$,
  $$ select 'u1'::text, 'a-b'::text, 'b-1'::text, run_id, 1, 600::bigint, '2024-01-01 00:30Z'::timestamptz from c1 where mission_id = 'b-1' $$,
  'its tokens are recorded all the same: user, agent, mission, run, attempt, tokens, runner clock');
select is(mana_ai_private.tokens_used('u1', 'a-b', '2024-01-01 00:30Z'), 600::bigint, 'tokens_used sums the window');
select results_eq(
  $$ select mission_id, gate from mana_ai_private.claim_candidates('2024-01-01 00:30Z') where mission_id like 'b-%' order by slot $$,
  $$ values ('b-3'::text, null::text) $$,
  '600 of 1000: b-3 is still claimable (b-1 waits for its retry, b-2 is running)');

select tests.as_role('mana_ai_runner');
select is(mana_ai.complete_run((select run_id from c1 where mission_id = 'b-2'), (select lease_token from c1 where mission_id = 'b-2'),
                               '{"id": "it-b2", "plan": [], "overallStatus": "approved", "source": "server"}', 600) ->> 'status',
  'done', 'the run in flight completes');
reset role;
select is(mana_ai_private.tokens_used('u1', 'a-b', '2024-01-01 00:30Z'), 1200::bigint,
  'the run already in flight overshoots the budget: 1200 of 1000');
select results_eq(
  $$ select mission_id, gate, blocked from mana_ai_private.claim_candidates('2024-01-01 00:30Z') where user_id = 'u1' order by slot $$,
  $$ values ('b-3'::text, 'skipped-budget'::text, false), ('neg-1', null, false), ('str-1', null, false), ('none-1', null, false),
            ('zero-1', 'skipped-budget', false), ('legacy-1', null, false) $$,
  'over budget: b-3 is gated skipped-budget, not blocked; other agents and the legacy principal are not');
select tests.as_role('mana_ai_runner');
create temp table c2 as select * from mana_ai.claim_runs('w2', 10, 600000);
select results_eq($$ select mission_id from c2 order by slot $$,
  $$ values ('neg-1'::text), ('str-1'), ('none-1'), ('legacy-1') $$,
  'the claim skips the over-budget agent; negative, string and absent budgets are no limit');
reset role;
select is((select status from mana_ai.runs where mission_id = 'b-3'), 'queued', 'b-3 stays queued (still due)');
select results_eq(
  $$ select e ->> 'verdict', e ->> 'cause', (e #>> '{slot,run,budgetBlocked}')::boolean, e #> '{slot,run,budget}'
       from mana_ai.explain_mission('u1', 'b-3') e $$,
  $$ values ('due'::text, 'budget-blocked'::text, true,
             '{"tokensUsed": 1200, "maxTokensPerDay": 1000, "freesAt": "2024-01-02T00:30:00.000Z"}'::jsonb) $$,
  'explain names the budget as the reason the due mission waits (cause budget-blocked), with usage and when it frees');
select is(mana_ai.tick() -> 'gated' -> 'skipped-budget', '2', 'tick counts the runs the budget holds back (b-3, zero-1)');
select is((select value from mana_ai_private.counters where name = 'agent_decisions:skipped-budget'), 2::bigint,
  'as the agent decision skipped-budget');

-- complete_run with NULL tokens (no response) records nothing; negative is refused -------------------
select is((select count(*)::int from mana_ai_private.run_tokens), 2, 'two ledger rows so far');
select tests.as_role('mana_ai_runner');
select throws_ok(
  $$ select mana_ai.complete_run(r.run_id, r.lease_token, '{"id": "it-n", "plan": []}', -1) from c2 r where r.mission_id = 'neg-1' $$,
  'MA101', 'token usage must not be negative: -1', 'negative token usage is an invalid argument');
select is((select mana_ai.complete_run(r.run_id, r.lease_token, '{"id": "it-n", "plan": [], "overallStatus": "approved"}')
             ->> 'status' from c2 r where r.mission_id = 'neg-1'),
  'done', 'complete_run without tokens (the old signature) still works');
reset role;
select is((select count(*)::int from mana_ai_private.run_tokens), 2, 'and records nothing');
select tests.as_role('mana_ai_runner');
select is((select mana_ai.complete_run(r.run_id, r.lease_token, '{"id": "it-l", "plan": []}', 0) ->> 'status'
             from c2 r where r.mission_id = 'legacy-1'), 'done', 'a legacy run completes with 0 tokens');
reset role;
select results_eq($$ select agent_id, tokens from mana_ai_private.run_tokens where mission_id = 'legacy-1' $$,
  $$ values (null::text, 0::bigint) $$, 'a response without usage is a row of 0 tokens; the legacy principal has no agent');

-- the window frees: next_wakeup and budget_frees_at --------------------------------------------------
select is(mana_ai_private.budget_frees_at('u1', 'a-b', 1000, '2024-01-01 00:30Z'), '2024-01-02 00:30Z'::timestamptz,
  'budget_frees_at: both rows were recorded at 00:30, so the window frees 24 h later');
select is(mana_ai_private.budget_frees_at('u1', 'a-b', 1300, '2024-01-01 00:30Z'), null, 'NULL when usage is below the budget');
select is(mana_ai_private.budget_frees_at('u1', 'a-b', null, '2024-01-01 00:30Z'), null, 'NULL without a budget');
insert into mana_ai_private.run_tokens (user_id, agent_id, mission_id, run_id, attempt, tokens, recorded_at) values
  ('u2', 'x', 'm', -1, 1, 500, '2024-01-01 01:00Z'), ('u2', 'x', 'm', -2, 1, 300, '2024-01-01 02:00Z'),
  ('u2', 'x', 'm', -3, 1, 400, '2024-01-01 03:00Z'), ('u2', 'x', 'm', -4, 1, 999, '2023-12-31 03:00Z');
select is(mana_ai_private.tokens_used('u2', 'x', '2024-01-01 04:00Z'), 1200::bigint, 'rows older than 24 h do not count');
select is(mana_ai_private.tokens_used('u2', 'x', '2024-01-02 01:00Z'), 700::bigint, 'a row leaves the window exactly 24 h after it was recorded');
select is(mana_ai_private.budget_frees_at('u2', 'x', 1000, '2024-01-01 04:00Z'), '2024-01-02 01:00Z'::timestamptz,
  '1200 against 1000: once the 500 of 01:00 leaves, 700 remain, below the budget');
select is(mana_ai_private.budget_frees_at('u2', 'x', 500, '2024-01-01 04:00Z'), '2024-01-02 02:00Z'::timestamptz,
  'against 500 the 300 of 02:00 must leave too (400 < 500)');
select is(mana_ai_private.budget_frees_at('u2', 'x', 0, '2024-01-01 04:00Z'), null,
  'a budget of 0 never frees by time (nothing is below 0)');
select ok(mana_ai.next_wakeup() < '2024-01-02 00:30Z', 'next_wakeup: earlier slots, retries and lease ends come first');
-- leave only b-3 pending: the other missions' next slots and open runs out of the way
update mana_ai_private.projections set due_at = null where table_name = 'aiMissions' and record_id <> 'b-3';
update mana_ai.runs set status = 'superseded', lease_until = null, retry_at = null where status in ('running', 'failed');
select is(mana_ai.next_wakeup(), '2024-01-02 00:30Z'::timestamptz,
  'with nothing else pending, next_wakeup is the instant the budget frees');

select tests.freeze_time('2024-01-02 00:30Z');
select results_eq($$ select mission_id, gate from mana_ai_private.claim_candidates('2024-01-02 00:30Z') where mission_id = 'b-3' $$,
  $$ values ('b-3'::text, null::text) $$, 'once the window frees, b-3 is claimable again');
select tests.as_role('mana_ai_runner');
select results_eq($$ select mission_id from mana_ai.claim_runs('w3', 10, 600000) where mission_id like 'b-%' $$,
  $$ values ('b-3'::text) $$, 'and is claimed');
reset role;

-- usage the reference runner recorded before a takeover counts too (adopted into reference_token_usage)
insert into mana_ai_private.reference_token_usage (reference_id, user_id, agent_id, mission_id, tokens_used, ts) values
  (1, 'u2', 'x', 'm', 250, '2024-01-01 03:30Z'), (2, 'u2', 'y', 'm', 999, '2024-01-01 03:30Z');
select is(mana_ai_private.tokens_used('u2', 'x', '2024-01-01 04:00Z'), 1450::bigint,
  'adopted reference usage of the same agent counts toward its window');
select is(mana_ai_private.budget_frees_at('u2', 'x', 1300, '2024-01-01 04:00Z'), '2024-01-02 01:00Z'::timestamptz,
  'and toward when the window frees');

select * from finish();
rollback;
