-- RLS of mana_ai.decrypt_audit (sql/mana_ai/policies/decrypt_audit.sql): per-user scope even for the
-- owner (FORCE), no table access at all for the runtime role, no UPDATE for anyone, DELETE only of
-- rows older than settings.audit_keep.
begin;
select plan(22);

select tests.freeze_time('2025-06-01 00:00Z');
insert into mana_ai.decrypt_audit (user_id, mission_id, iteration_id, table_name, record_id, status, reason, ts) values
  ('user-a', 'm-a', 'it-1', 'notes', 'n-1', 'ok', null, '2025-05-31 00:00Z'),
  ('user-a', 'm-a', 'it-1', 'tasks', 't-1', 'failed', 'decrypt-failed', '2025-05-31 00:01Z'),
  ('user-a', 'm-a', 'it-0', 'notes', 'n-0', 'ok', null, '2024-01-01 00:00Z'),   -- older than audit_keep (400 days)
  ('user-b', 'm-b', 'it-2', 'notes', 'n-2', 'scope-violation', 'record-not-in-grant-allowlist', '2025-05-31 00:00Z');

-- as owner (every definer function), in user A's scope -----------------------
select tests.as_role('mana_ai_owner', 'user-a');
select results_eq($$ select record_id from mana_ai.decrypt_audit order by record_id $$,
                  $$ values ('n-0'), ('n-1'), ('t-1') $$,
                  'in A''s scope the owner sees exactly A''s rows');
select throws_ok($$ insert into mana_ai.decrypt_audit (user_id, mission_id, table_name, record_id, status)
                    values ('user-b', 'm-b', 'notes', 'x', 'ok') $$,
                 '42501', null, 'in A''s scope the owner cannot write a row for B');
select lives_ok($$ insert into mana_ai.decrypt_audit (user_id, mission_id, table_name, record_id, status)
                   values ('user-a', 'm-a', 'notes', 'n-3', 'ok') $$,
                'in A''s scope the owner can append a row for A');
select throws_ok($$ update mana_ai.decrypt_audit set reason = 'rewritten' $$,
                 '42501', null, 'the owner cannot update audit rows (UPDATE is revoked even from the owner)');
select is_empty($$ delete from mana_ai.decrypt_audit where record_id in ('n-1', 't-1') returning id $$,
                'in A''s scope the owner cannot delete A''s rows that are younger than audit_keep');
select results_eq($$ delete from mana_ai.decrypt_audit where record_id = 'n-0' returning record_id $$,
                  $$ values ('n-0') $$,
                  'an expired row can be deleted (retention)');
reset role;

-- as owner, without a user scope ------------------------------------------------
select tests.as_role('mana_ai_owner');
select is_empty($$ select id from mana_ai.decrypt_audit $$, 'without a user scope the owner sees no audit row');
select throws_ok($$ insert into mana_ai.decrypt_audit (user_id, mission_id, table_name, record_id, status)
                    values ('user-a', 'm-a', 'notes', 'x', 'ok') $$,
                 '42501', null, 'without a user scope the owner cannot append a row');
reset role;

-- as owner, in user B's scope ------------------------------------------------------
select tests.as_role('mana_ai_owner', 'user-b');
select results_eq($$ select record_id from mana_ai.decrypt_audit $$, $$ values ('n-2') $$,
                  'in B''s scope the owner sees only B''s row, none of A''s');
reset role;

-- as listener (mana_ai_runner), even with a user scope set ---------------------------
select tests.as_role('mana_ai_runner', 'user-a');
select throws_ok($$ select * from mana_ai.decrypt_audit $$, '42501', null,
                 'the listener cannot SELECT decrypt_audit');
select throws_ok($$ insert into mana_ai.decrypt_audit (user_id, mission_id, table_name, record_id, status)
                    values ('user-a', 'm-a', 'notes', 'x', 'ok') $$,
                 '42501', null, 'the listener cannot INSERT into decrypt_audit directly');
select throws_ok($$ update mana_ai.decrypt_audit set reason = 'x' $$, '42501', null,
                 'the listener cannot UPDATE decrypt_audit');
select throws_ok($$ delete from mana_ai.decrypt_audit $$, '42501', null,
                 'the listener cannot DELETE from decrypt_audit');
select throws_ok($$ select * from mana_ai.runs $$, '42501', null, 'the listener cannot SELECT runs');
select throws_ok($$ update mana_ai.runs set status = 'done' $$, '42501', null, 'the listener cannot UPDATE runs');
select throws_ok($$ delete from mana_ai.runs $$, '42501', null, 'the listener cannot DELETE from runs');
select throws_ok($$ select * from mana_ai_private.projections $$, '42501', null,
                 'the listener cannot SELECT projections');
select throws_ok($$ select * from public.sync_changes $$, '42501', null,
                 'the listener cannot SELECT sync_changes');
select throws_ok($$ delete from public.sync_changes $$, '42501', null,
                 'the listener cannot DELETE from sync_changes');
reset role;

-- as superuser (policies do not bind it; the trigger does) ----------------------------
select throws_ok($$ update mana_ai.decrypt_audit set reason = 'rewritten' where record_id = 'n-1' $$,
                 'MA205', null, 'even a superuser UPDATE is refused by the trigger');
select throws_ok($$ update mana_ai.decrypt_audit set reason = 'x' where false $$,
                 'MA205', null, 'an UPDATE that matches no row is refused too (statement trigger)');
select results_eq($$ select count(*)::int from mana_ai.decrypt_audit where reason = 'rewritten' $$,
                  $$ values (0) $$, 'no audit row was rewritten');

select * from finish();
rollback;
