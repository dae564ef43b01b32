-- mana_ai.extend_lease(): heartbeats for the current token only.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(8);

select is_definer('mana_ai', 'extend_lease', array['bigint', 'uuid', 'integer'], 'extend_lease is security definer');
select function_privs_are('mana_ai', 'extend_lease', array['bigint', 'uuid', 'integer'], 'mana_ai_runner', array['EXECUTE'],
  'the runtime role may execute it');

select tests.freeze_time('2024-01-01 00:30Z');
select pg_temp.mission('u1', 'm1', '2024-01-01 00:00Z');
select mana_ai_private.enqueue_due('2024-01-01 00:30Z');
select tests.as_role('mana_ai_runner');
create temp table c as select * from mana_ai.claim_runs('w1', 1, 60000);
reset role;
select tests.freeze_time('2024-01-01 00:30:50Z');
select tests.as_role('mana_ai_runner');
select is((select mana_ai.extend_lease(run_id, lease_token, 60000) from c), '2024-01-01 00:31:50Z'::timestamptz,
  'the holder extends its lease to now + p_lease_ms');
select is((select mana_ai.extend_lease(run_id, lease_token, null) from c), '2024-01-01 00:34:50Z'::timestamptz,
  'NULL → settings.default_lease_ms');
select is((select mana_ai.extend_lease(run_id, gen_random_uuid(), 60000) from c), null, 'a stale token gets NULL');
reset role;
select is((select lease_until from mana_ai.runs where run_id = (select run_id from c)), '2024-01-01 00:34:50Z'::timestamptz,
  'and changes nothing');

-- a lease that expired but was not taken over is still the holder's
select tests.freeze_time('2024-01-01 00:40Z');
select tests.as_role('mana_ai_runner');
select is((select mana_ai.extend_lease(run_id, lease_token, 60000) from c), '2024-01-01 00:41Z'::timestamptz,
  'an expired lease nobody re-claimed can still be extended by its holder');
reset role;
update mana_ai.runs set status = 'done', lease_until = null where run_id = (select run_id from c);
select tests.as_role('mana_ai_runner');
select is((select mana_ai.extend_lease(run_id, lease_token, 60000) from c), null, 'a run that is not running cannot be extended');
reset role;

select * from finish();
rollback;
