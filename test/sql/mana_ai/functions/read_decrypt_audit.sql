-- mana_ai.read_decrypt_audit: one user's rows, newest first (ts desc, id desc), optional mission filter,
-- limit NULL -> 200 and clamped to [1, 1000], MA204 without a user. The function returns the rows of
-- whatever user id it is given: binding that id to the caller is the HTTP layer's job (the JWT sub).
begin;
select plan(17);

insert into mana_ai.decrypt_audit (id, user_id, mission_id, iteration_id, table_name, record_id, status, reason, ts)
overriding system value values
  (90000000101, 'user-a', 'm-1', 'it-1', 'notes', 'n-1', 'ok', null, '2025-05-01 10:00Z'),
  (90000000102, 'user-a', 'm-1', 'it-2', 'tasks', 't-1', 'failed', 'ciphertext-malformed', '2025-05-02 10:00Z'),
  (90000000103, 'user-a', 'm-2', 'it-3', 'events', 'e-1', 'ok', null, '2025-05-02 10:00Z'),   -- same ts as 102
  (90000000104, 'user-a', 'm-1', null, 'notes', 'n-2', 'scope-violation', 'record-not-in-grant-allowlist', '2025-04-01 10:00Z'),
  (90000000201, 'user-b', 'm-1', 'it-9', 'notes', 'n-9', 'ok', null, '2025-05-03 10:00Z'),
  (90000000202, 'user-b', 'm-b', 'it-9', 'journalEntries', 'j-1', 'failed', 'decrypt-failed', '2025-05-03 11:00Z');
insert into mana_ai.decrypt_audit (user_id, mission_id, table_name, record_id, status, ts)
  select 'user-c', 'm-c', 'notes', 'n-' || g, 'ok', '2025-01-01 00:00Z'::timestamptz + g * interval '1 minute'
    from generate_series(1, 1100) g;

-- as listener -------------------------------------------------------------------------
select tests.as_role('mana_ai_runner', 'user-z');
select results_eq(
  $$ select * from mana_ai.read_decrypt_audit('user-a', null, null) $$,
  $$ values (90000000103::bigint, 'm-2', 'it-3', 'events', 'e-1', 'ok', null::text, '2025-05-02 10:00Z'::timestamptz),
            (90000000102, 'm-1', 'it-2', 'tasks', 't-1', 'failed', 'ciphertext-malformed', '2025-05-02 10:00Z'),
            (90000000101, 'm-1', 'it-1', 'notes', 'n-1', 'ok', null, '2025-05-01 10:00Z'),
            (90000000104, 'm-1', null, 'notes', 'n-2', 'scope-violation', 'record-not-in-grant-allowlist', '2025-04-01 10:00Z') $$,
  'all of A''s rows, every column, ordered ts desc then id desc');
select is(current_setting('app.current_user_id', true), 'user-z', 'the caller''s user scope is restored afterwards');
select results_eq($$ select id from mana_ai.read_decrypt_audit('user-a', 'm-1', null) $$,
                  $$ values (90000000102::bigint), (90000000101), (90000000104) $$, 'a mission filter keeps only that mission''s rows');
select results_eq($$ select id from mana_ai.read_decrypt_audit('user-b', null, null) $$,
                  $$ values (90000000202::bigint), (90000000201) $$,
                  'another user''s id returns only that user''s rows (the HTTP layer binds the id to the JWT)');
select results_eq($$ select id from mana_ai.read_decrypt_audit('user-b', 'm-1', null) $$,
                  $$ values (90000000201::bigint) $$, 'the same mission id under another user shows only that user''s row');
select is_empty($$ select * from mana_ai.read_decrypt_audit('user-nobody', null, null) $$,
                'a user without audit rows gets none');
select is_empty($$ select * from mana_ai.read_decrypt_audit('user-a', $q$' or '1'='1$q$, null) $$,
                'an injection-shaped mission id is just a mission that does not exist');
select is_empty($$ select * from mana_ai.read_decrypt_audit($q$user-a' or '1'='1$q$, null, null) $$,
                'an injection-shaped user id is just a user that does not exist');
select results_eq($$ select id from mana_ai.read_decrypt_audit('user-a', null, 1) $$, $$ values (90000000103::bigint) $$,
                  'limit 1 returns the newest row');
select results_eq($$ select count(*)::int from mana_ai.read_decrypt_audit('user-a', null, 0) $$, $$ values (1) $$,
                  'limit 0 is clamped to 1');
select results_eq($$ select count(*)::int from mana_ai.read_decrypt_audit('user-a', null, -5) $$, $$ values (1) $$,
                  'a negative limit is clamped to 1');
select results_eq($$ select count(*)::int from mana_ai.read_decrypt_audit('user-c', null, null) $$, $$ values (200) $$,
                  'no limit means 200');
select results_eq($$ select count(*)::int from mana_ai.read_decrypt_audit('user-c', null, 5000) $$, $$ values (1000) $$,
                  'a limit above 1000 is clamped to 1000');
select results_eq($$ select record_id from mana_ai.read_decrypt_audit('user-c', 'm-c', 2) $$,
                  $$ values ('n-1100'), ('n-1099') $$, 'a limit takes the newest rows');
select throws_ok($$ select * from mana_ai.read_decrypt_audit(null, null, null) $$, 'MA204', null,
                 'a NULL user is refused with MA204');
select throws_ok($$ select * from mana_ai.read_decrypt_audit('', 'm-1', 10) $$, 'MA204', null,
                 'an empty user is refused with MA204');
reset role;

select tests.as_role('mana_ai_owner');
select throws_ok($$ select * from mana_ai.read_decrypt_audit('', null, null) $$, 'MA204', null,
                 'the empty-user check does not depend on the caller');
reset role;

select * from finish();
rollback;
