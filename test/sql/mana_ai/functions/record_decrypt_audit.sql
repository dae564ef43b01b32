-- mana_ai.record_decrypt_audit: only the current lease holder of a running run may append, the row's
-- user and mission come from the run, bad input gets our SQLSTATEs, ids are stored as inert text.
begin;
select plan(20);

select tests.freeze_time('2025-06-01 12:00Z');
-- Lease holders, inserted directly (the ledger functions are tested elsewhere).
insert into mana_ai.runs (run_id, user_id, mission_id, slot, became_due_at, status, lease_token, lease_until, finished_at)
overriding system value values
  (900000001, 'user-a', 'm-a', '2025-06-01 11:00Z', '2025-06-01 11:00Z', 'running',
   'a0000000-0000-4000-8000-000000000001', '2025-06-01 12:05Z', null)
  , (900000002, 'user-b', 'm-b', '2025-06-01 11:00Z', '2025-06-01 11:00Z', 'running',
   'b0000000-0000-4000-8000-000000000002', '2025-06-01 12:05Z', null)
  , (900000003, 'user-a', 'm-a', '2025-06-01 10:00Z', '2025-06-01 10:00Z', 'done',
   'a0000000-0000-4000-8000-000000000003', null, '2025-06-01 10:30Z')
  , (900000004, 'user-a', 'm-old', '2025-06-01 09:00Z', '2025-06-01 09:00Z', 'running',
   'a0000000-0000-4000-8000-000000000004', '2025-06-01 11:00Z', null);
-- map: record id per test, kept for the checks as superuser
create temp table ids (name text primary key, id bigint);
grant all on ids to public;

-- as listener, scoped to user B (the function must ignore the caller's scope) -------------
select tests.as_role('mana_ai_runner', 'user-b');
insert into ids
  select 'a-ok', mana_ai.record_decrypt_audit(900000001, 'a0000000-0000-4000-8000-000000000001',
                                               'it-1', 'notes', 'n-1', 'ok', null);
select isnt((select id from ids where name = 'a-ok'), null, 'the lease holder of a running run gets the new row id');
select is(current_setting('app.current_user_id', true), 'user-b', 'the caller''s user scope is restored afterwards');
select throws_ok($$ select mana_ai.record_decrypt_audit(900000001, gen_random_uuid(), 'it-1', 'notes', 'n-1', 'ok', null) $$,
                 'MA201', null, 'a stale lease token is refused with MA201');
select throws_ok($$ select mana_ai.record_decrypt_audit(900000002, 'a0000000-0000-4000-8000-000000000001',
                                                        'it-1', 'notes', 'n-1', 'ok', null) $$,
                 'MA201', null, 'the token of one run does not open another user''s run');
select throws_ok($$ select mana_ai.record_decrypt_audit(900000003, 'a0000000-0000-4000-8000-000000000003',
                                                        'it-1', 'notes', 'n-1', 'ok', null) $$,
                 'MA201', null, 'a finished run takes no audit rows, even with its last token');
select throws_ok($$ select mana_ai.record_decrypt_audit(424242, 'a0000000-0000-4000-8000-000000000001',
                                                        'it-1', 'notes', 'n-1', 'ok', null) $$,
                 'MA201', null, 'an unknown run is refused with MA201');
select throws_ok($$ select mana_ai.record_decrypt_audit(900000001, null, 'it-1', 'notes', 'n-1', 'ok', null) $$,
                 'MA201', null, 'a NULL token is refused with MA201');
select throws_ok($$ select mana_ai.record_decrypt_audit(900000001, 'a0000000-0000-4000-8000-000000000001',
                                                        'it-1', 'notes', 'n-1', 'pending', null) $$,
                 'MA202', null, 'a status outside ok/failed/scope-violation is refused with MA202');
select throws_ok($$ select mana_ai.record_decrypt_audit(900000001, 'a0000000-0000-4000-8000-000000000001',
                                                        'it-1', 'notes', 'n-1', null, null) $$,
                 'MA202', null, 'a NULL status is refused with MA202');
select throws_ok($$ select mana_ai.record_decrypt_audit(900000001, 'a0000000-0000-4000-8000-000000000001',
                                                        'it-1', 'notes', null, 'ok', null) $$,
                 'MA203', null, 'a NULL record id is refused with MA203');
select throws_ok($$ select mana_ai.record_decrypt_audit(900000001, 'a0000000-0000-4000-8000-000000000001',
                                                        'it-1', null, 'n-1', 'ok', null) $$,
                 'MA203', null, 'a NULL table name is refused with MA203');
insert into ids
  select 'a-inject', mana_ai.record_decrypt_audit(900000001, 'a0000000-0000-4000-8000-000000000001',
           $i$it'); delete from mana_ai.decrypt_audit; --$i$, $t$notes"; drop table mana_ai.runs; --$t$,
           $r$x' or '1'='1$r$, 'failed', $e$decrypt-failed'); select pg_sleep(10); --$e$);
insert into ids
  select 'b-scope', mana_ai.record_decrypt_audit(900000002, 'b0000000-0000-4000-8000-000000000002',
                                                  null, 'tasks', 't-9', 'scope-violation', 'record-not-in-grant-allowlist');
-- lease_until passed, but nobody re-claimed the run: the token is still the current one
insert into ids
  select 'a-expired', mana_ai.record_decrypt_audit(900000004, 'a0000000-0000-4000-8000-000000000004',
                                                    'it-4', 'events', 'e-1', 'ok', null);
reset role;

-- as superuser: what was stored ---------------------------------------------------------
select results_eq(
  $$ select a.user_id, a.mission_id, a.iteration_id, a.table_name, a.record_id, a.status, a.reason
       from mana_ai.decrypt_audit a join ids on ids.id = a.id where ids.name = 'a-ok' $$,
  $$ values ('user-a', 'm-a', 'it-1', 'notes', 'n-1', 'ok', null::text) $$,
  'the row carries the run''s user and mission, not the caller''s scope (user-b)');
select results_eq(
  $$ select a.iteration_id, a.table_name, a.record_id, a.reason
       from mana_ai.decrypt_audit a join ids on ids.id = a.id where ids.name = 'a-inject' $$,
  $$ values ($i$it'); delete from mana_ai.decrypt_audit; --$i$, $t$notes"; drop table mana_ai.runs; --$t$,
             $r$x' or '1'='1$r$, $e$decrypt-failed'); select pg_sleep(10); --$e$) $$,
  'SQL-injection-shaped values are stored verbatim as text');
select has_table('mana_ai', 'runs', 'and nothing they spell was executed (runs still exists)');
select results_eq($$ select count(*)::int from mana_ai.decrypt_audit $$, $$ values (4) $$,
                  'and every audit row is still there (one per successful call)');
select results_eq(
  $$ select a.user_id, a.mission_id, a.iteration_id, a.status, a.reason
       from mana_ai.decrypt_audit a join ids on ids.id = a.id where ids.name = 'b-scope' $$,
  $$ values ('user-b', 'm-b', null::text, 'scope-violation', 'record-not-in-grant-allowlist') $$,
  'a scope-violation row for B keeps a NULL iteration id');
select results_eq(
  $$ select a.user_id, a.mission_id from mana_ai.decrypt_audit a join ids on ids.id = a.id where ids.name = 'a-expired' $$,
  $$ values ('user-a', 'm-old') $$,
  'an expired lease that nobody re-claimed still records the decrypt that happened');
select results_eq($$ select ts from mana_ai.decrypt_audit a join ids on ids.id = a.id where ids.name = 'a-ok' $$,
                  $$ select now() $$, 'ts is the database clock (the column default)');

-- as listener, after another listener re-claimed run 900000001 -------------------------------------
update mana_ai.runs set lease_token = 'a0000000-0000-4000-8000-0000000000ff' where run_id = 900000001;
select tests.as_role('mana_ai_runner');
select throws_ok($$ select mana_ai.record_decrypt_audit(900000001, 'a0000000-0000-4000-8000-000000000001',
                                                        'it-1', 'notes', 'n-1', 'ok', null) $$,
                 'MA201', null, 'the previous holder is refused once the run was re-claimed');
select is(current_setting('app.current_user_id', true), '', 'a refused call leaves no user scope behind');
reset role;

select * from finish();
rollback;
