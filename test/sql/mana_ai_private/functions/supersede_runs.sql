-- mana_ai_private.supersede_runs(): open runs whose mission is no longer due at their slot.
begin;
\ir ../../../support/ledger-fixtures.sql
select plan(4);

select pg_temp.agent('u1', 'a-paused', 'active');
select pg_temp.mission('u1', 'q-ok', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 'q-gone', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 'q-gated', '2024-01-01 00:00Z', 'a-paused');
select pg_temp.mission('u1', 'f-moved', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 'r-live', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 'r-expired', '2024-01-01 00:00Z');
select pg_temp.mission('u1', 'd-done', '2024-01-01 00:00Z');
select mana_ai_private.enqueue_due('2024-01-01 00:30Z');
update mana_ai.runs set status = 'failed', attempts = 1, retry_at = '2024-01-01 00:40Z' where mission_id = 'f-moved';
update mana_ai.runs set status = 'running', attempts = 1, lease_token = gen_random_uuid(), lease_until = '2024-01-01 00:31Z'
 where mission_id = 'r-live';
update mana_ai.runs set status = 'running', attempts = 1, lease_token = gen_random_uuid(), lease_until = '2024-01-01 00:29Z'
 where mission_id = 'r-expired';
update mana_ai.runs set status = 'done' where mission_id = 'd-done';
select pg_temp.mission('u1', 'q-gone', '2024-01-01 00:00Z', p_present => false);
select pg_temp.agent('u1', 'a-paused', 'paused');
select pg_temp.mission('u1', 'f-moved', '2024-01-01 00:10Z');
select pg_temp.mission('u1', 'r-live', '2024-01-01 00:00Z', p_state => 'paused');
select pg_temp.mission('u1', 'r-expired', '2024-01-01 00:00Z', p_state => 'paused');
select pg_temp.mission('u1', 'd-done', '2024-01-01 00:00Z', p_deleted => true);

select is(mana_ai_private.supersede_runs('2024-01-01 00:30Z'), 3, 'three open runs lost their slot');
select results_eq($$ select mission_id, status from mana_ai.runs order by mission_id $$,
  $$ values ('d-done'::text, 'done'::text), ('f-moved', 'superseded'), ('q-gated', 'queued'), ('q-gone', 'superseded'),
            ('q-ok', 'queued'), ('r-expired', 'superseded'), ('r-live', 'running') $$,
  'tombstone, moved slot, expired lease → superseded; a gate, a live lease and finished runs are left alone');
select is((select finished_at from mana_ai.runs where mission_id = 'q-gone'), '2024-01-01 00:30Z'::timestamptz, 'finished_at is set');
select is(mana_ai_private.supersede_runs('2024-01-01 00:30Z'), 0, 'a second pass finds nothing');

select * from finish();
rollback;
