-- mana_ai_private.enqueue_due(): one queued run per due, ungated slot (docs/scheduling.md §5.3).
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(16);

select pg_temp.agent('u1', 'a-paused', 'paused');
select pg_temp.agent('u1', 'a-archived', 'archived');
select pg_temp.agent('u1', 'a-busy', 'active', 0);
select pg_temp.mission('u1', 'm-due', '2024-01-01 00:00Z');
select pg_temp.mission('u2', 'm-due', '2024-01-01 00:10Z');
select pg_temp.mission('u1', 'm-exact', '2024-01-01 00:30Z');
select pg_temp.mission('u1', 'm-future', '2024-01-01 00:31Z');
select pg_temp.mission('u1', 'm-paused-agent', '2024-01-01 00:00Z', 'a-paused');
select pg_temp.mission('u1', 'm-archived-agent', '2024-01-01 00:00Z', 'a-archived');
select pg_temp.mission('u1', 'm-quota-0', '2024-01-01 00:00Z', 'a-busy');
select pg_temp.mission('u1', 'm-inactive', '2024-01-01 00:00Z', p_state => 'done');

select is(mana_ai_private.enqueue_due('2024-01-01 00:30Z'), 4, 'all-missions form: four due, ungated missions are queued');
select results_eq(
  $$ select user_id, mission_id, slot, status, attempts from mana_ai.runs order by slot, user_id, mission_id $$,
  $$ values ('u1'::text, 'm-due'::text, '2024-01-01 00:00Z'::timestamptz, 'queued'::text, 0),
            ('u1', 'm-quota-0', '2024-01-01 00:00Z', 'queued', 0),
            ('u2', 'm-due', '2024-01-01 00:10Z', 'queued', 0),
            ('u1', 'm-exact', '2024-01-01 00:30Z', 'queued', 0) $$,
  'queued: due (slot <= now, inclusive), per user; not future, inactive or gated; a quota of 0 is not a gate');
select is((select agent_id from mana_ai.runs where mission_id = 'm-quota-0'), 'a-busy', 'the resolved agent is recorded');
select is((select became_due_at from mana_ai.runs where user_id = 'u1' and mission_id = 'm-due'),
  '2024-01-01 00:30Z'::timestamptz, 'became_due_at is now when the slot passed before');

select is(mana_ai_private.enqueue_due('2024-01-01 00:30Z'), 0, 'a second call enqueues nothing (idempotent)');
select is(mana_ai_private.enqueue_due('2024-01-01 01:00Z'), 1, 'later, the next due mission is queued');
select is((select became_due_at from mana_ai.runs where mission_id = 'm-future'), '2024-01-01 01:00Z'::timestamptz,
  'became_due_at = greatest(slot, now)');

-- slot uniqueness: a run exists per slot; a new slot of the same mission gets its own run
update mana_ai.runs set status = 'done' where user_id = 'u1' and mission_id = 'm-due';
select is(mana_ai_private.enqueue_due('2024-01-01 01:00Z'), 0, 'a done slot is never queued again');
select pg_temp.mission('u1', 'm-due', '2024-01-01 00:45Z');
select is(mana_ai_private.enqueue_due('2024-01-01 01:00Z'), 1, 'the mission''s next slot gets a new run');
select is((select count(*)::int from mana_ai.runs where user_id = 'u1' and mission_id = 'm-due'), 2,
  'one run per (user, mission, slot)');

-- keyed form (the projection trigger)
select pg_temp.mission('u1', 'k1', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 'k2', '2024-01-01 00:00Z');
select pg_temp.mission('u2', 'k1', '2024-01-01 00:00Z');
select is(mana_ai_private.enqueue_due('2024-01-01 00:05Z', array['u1', 'u1', 'u1'], array['k1', 'k1', 'm-paused-agent']), 1,
  'keyed form: only the named, due, ungated missions (duplicate keys once)');
select results_eq(
  $$ select user_id, mission_id, became_due_at from mana_ai.runs where mission_id like 'k%' $$,
  $$ values ('u1'::text, 'k1'::text, '2024-01-01 00:05Z'::timestamptz) $$,
  'keys are (user, mission) pairs: u2''s k1 and u1''s k2 are untouched');
select is(mana_ai_private.enqueue_due('2024-01-01 00:05Z', array[]::text[], array[]::text[]), 0, 'empty keys enqueue nothing');
select throws_ok($$ select mana_ai_private.enqueue_due('2024-01-01 00:05Z', array['u1'], null) $$, 'MA101', null,
  'one key array without the other is refused');
select throws_ok($$ select mana_ai_private.enqueue_due('2024-01-01 00:05Z', array['u1'], array['a', 'b']) $$, 'MA101', null,
  'key arrays of different lengths are refused');

-- the runtime role cannot call it: only the definer API and the trigger do
select tests.as_role('mana_ai_runner');
select throws_ok($$ select mana_ai_private.enqueue_due('2024-01-01 00:05Z') $$, '42501', null,
  'mana_ai_runner has no access to mana_ai_private');
reset role;

select * from finish();
rollback;
