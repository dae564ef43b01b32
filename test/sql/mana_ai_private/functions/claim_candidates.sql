-- mana_ai_private.claim_candidates(): claimable runs with gate and quota decisions (docs/scheduling.md §5.4).
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(6);

select pg_temp.agent('u1', 'a2', 'active', 2);
select pg_temp.agent('u1', 'a-half', 'active', 1.5);
select pg_temp.agent('u1', 'a-neg', 'active', -1);
select pg_temp.agent('u1', 'a-archived', 'archived', 0);
select pg_temp.mission('u1', 'a2-1', '2024-01-01 00:01Z', 'a2');
select pg_temp.mission('u1', 'a2-2', '2024-01-01 00:02Z', 'a2');
select pg_temp.mission('u1', 'a2-3', '2024-01-01 00:03Z', 'a2');
select pg_temp.mission('u1', 'h-1', '2024-01-01 00:04Z', 'a-half');
select pg_temp.mission('u1', 'h-2', '2024-01-01 00:05Z', 'a-half');
select pg_temp.mission('u1', 'h-3', '2024-01-01 00:06Z', 'a-half');
select pg_temp.mission('u1', 'n-1', '2024-01-01 00:07Z', 'a-neg');
select pg_temp.mission('u1', 'ar-1', '2024-01-01 00:08Z', 'a-archived');
select pg_temp.mission('u1', 'l-1', '2024-01-01 00:09Z');
select pg_temp.agent('u1', 'a-archived', 'active');
select mana_ai_private.enqueue_due('2024-01-01 00:30Z');
select pg_temp.agent('u1', 'a-archived', 'archived', 0);
update mana_ai.runs set status = 'running', attempts = 1, lease_token = gen_random_uuid(), lease_until = '2024-01-01 00:31Z'
 where mission_id = 'a2-1';

select results_eq(
  $$ select mission_id, gate, blocked from mana_ai_private.claim_candidates('2024-01-01 00:30Z') order by slot $$,
  $$ values ('a2-2'::text, null::text, false), ('a2-3', null, true),
            ('h-1', null, false), ('h-2', null, false), ('h-3', null, true),
            ('n-1', null, true), ('ar-1', 'skipped-archived', false), ('l-1', null, false) $$,
  'quota 2 with one live run admits one more; 1.5 admits two (count < max, like the reference''s >=); a negative quota blocks; gated runs are gated, not blocked; legacy unblocked');
select is((select agent_id from mana_ai_private.claim_candidates('2024-01-01 00:30Z') where mission_id = 'l-1'), null,
  'the legacy principal has no agent');
select is_empty($$ select * from mana_ai_private.claim_candidates('2024-01-01 00:30Z') where mission_id = 'a2-1' $$,
  'a run with a live lease is not a candidate');
select results_eq($$ select mission_id, status, blocked from mana_ai_private.claim_candidates('2024-01-01 00:32Z') where mission_id like 'a2-%' order by slot $$,
  $$ values ('a2-1'::text, 'running'::text, false), ('a2-2', 'queued', false), ('a2-3', 'queued', true) $$,
  'once the lease expires the run is a candidate again and its quota slot is free');

-- any prefix of the open runs gives the same decisions for its runs as the whole backlog -------------
select is((select count(*)::int
             from generate_series(1, 9) k,
                  lateral (select c.run_id, c.gate, c.blocked from mana_ai_private.claim_candidates('2024-01-01 00:30Z', k) c
                           except
                           select c.run_id, c.gate, c.blocked from mana_ai_private.claim_candidates('2024-01-01 00:30Z') c) d), 0,
          'every decision over a prefix (1..9 open runs) equals the decision over all of them');
select is((select count(*)::int from mana_ai_private.claim_candidates('2024-01-01 00:30Z', 3)), 2,
          'a prefix of 3 open runs holds only their candidates (the live run a2-1 is not one)');

select * from finish();
rollback;
