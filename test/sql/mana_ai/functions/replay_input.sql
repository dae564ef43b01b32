-- mana_ai.replay_input(): an input record of a claimed run, in the run's user scope, for the holder only.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(8);

select is_definer('mana_ai', 'replay_input', array['bigint', 'uuid', 'text', 'text', 'text'], 'replay_input is security definer');
select function_privs_are('mana_ai', 'replay_input', array['bigint', 'uuid', 'text', 'text', 'text'], 'mana_ai_runner', array['EXECUTE'],
  'the runtime role may execute it');

select tests.freeze_time('2024-01-01 00:30Z');
select tests.sync('u1', 'notes', 'n1', 'insert', '{"id": "n1", "title": "enc:1:t", "updatedAt": "2024-01-01T00:00:00.000Z"}', '{}', 'notes', '2024-01-01 00:00Z');
select tests.sync('u1', 'notes', 'n1', 'update', '{"title": "enc:1:t2"}', '{"title": "2024-01-01T00:05:00.000Z"}', 'notes', '2024-01-01 00:05Z');
select tests.sync('u2', 'notes', 'n2', 'insert', '{"id": "n2", "title": "theirs"}', '{}', 'notes', '2024-01-01 00:00Z');
select tests.sync('u1', 'notes', 'n3', 'insert', '{"id": "n3"}', '{}', 'notes', '2024-01-01 00:00Z');
select tests.sync('u1', 'notes', 'n3', 'delete', '{"deletedAt": "2024-01-01T00:06:00.000Z"}', '{}', 'notes', '2024-01-01 00:06Z');
select pg_temp.mission('u1', 'm1', '2024-01-01 00:00Z');
select mana_ai_private.enqueue_due('2024-01-01 00:30Z');

select tests.as_role('mana_ai_runner');
create temp table c as select * from mana_ai.claim_runs('w1', 1, 60000);
select is((select mana_ai.replay_input(run_id, lease_token, 'notes', 'notes', 'n1') from c),
  '{"id": "n1", "title": "enc:1:t2", "updatedAt": "2024-01-01T00:00:00.000Z"}',
  'the holder gets the current record of its user (LWW replay)');
select is((select mana_ai.replay_input(run_id, lease_token, 'notes', 'notes', 'n2') from c), null,
  'another user''s record is invisible in the run''s user scope');
select is((select mana_ai.replay_input(run_id, lease_token, 'notes', 'notes', 'n3') from c), null, 'a deleted record is NULL');
select is((select mana_ai.replay_input(run_id, lease_token, 'notes', 'notes', 'nope') from c), null, 'an absent record is NULL');
select throws_ok(
  format($$ select mana_ai.replay_input(%s, %L, 'notes', 'notes', 'n1') $$, (select run_id from c), gen_random_uuid()),
  'MA102', null, 'a stale token is refused with MA102');
reset role;
select is(current_setting('app.current_user_id', true), '', 'the caller''s scope is restored');

select * from finish();
rollback;
