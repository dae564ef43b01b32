-- mana_ai.v_capture_backlog: rows captured and not yet folded, and the age of the oldest.
begin;
select plan(3);

select tests.freeze_time('2026-06-01 12:00:00+00');
select results_eq($$ select rows, oldest_age_seconds from mana_ai.v_capture_backlog $$,
  $$ values (0::bigint, 0::double precision) $$, 'an empty queue: 0 rows, age 0');
insert into mana_ai_private.captured (change_id, user_id, record_hash, captured_at)
values (gen_random_uuid(), 'u1', 1, '2026-06-01 11:58:00+00'), (gen_random_uuid(), 'u1', 2, '2026-06-01 11:59:30+00');
select results_eq($$ select rows, oldest_captured_at, oldest_age_seconds from mana_ai.v_capture_backlog $$,
  $$ values (2::bigint, '2026-06-01 11:58:00+00'::timestamptz, 120::double precision) $$, 'two rows, the oldest 120 s old');
select ok(not has_table_privilege('mana_ai_runner', 'mana_ai.v_capture_backlog', 'select'), 'not granted to the runtime role');

select * from finish();
rollback;
