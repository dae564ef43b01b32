-- mana_ai.v_quarantine: quarantined sync_changes rows, newest first, with reason, applied flag and age.
begin;
select plan(7);

delete from mana_ai_private.quarantine;
select tests.freeze_time('2024-01-02 00:00Z');
insert into mana_ai_private.quarantine (change_id, user_id, app_id, table_name, record_id, reason, applied, quarantined_at) values
  (gen_random_uuid(), 'u1', 'ai', 'aiMissions', 'm-old', 'cadence: unknown cadence kind', true, '2024-01-01 00:00Z'),
  (gen_random_uuid(), 'u2', 'ai', 'agents', 'a-new', 'row without data', false, '2024-01-01 23:00Z');

select results_eq(
  $$ select user_id, table_name, record_id, reason, applied from mana_ai.v_quarantine $$,
  $$ values ('u2'::text, 'agents'::text, 'a-new'::text, 'row without data'::text, false),
            ('u1', 'aiMissions', 'm-old', 'cadence: unknown cadence kind', true) $$,
  'quarantined rows of every user, newest first, with reason and applied flag');
select results_eq(
  $$ select age from mana_ai.v_quarantine order by quarantined_at $$,
  $$ values (interval '1 day'), (interval '1 hour') $$,
  'age is measured against the runner clock');

select tests.as_role('mana_ai_runner');
select throws_ok($$ select * from mana_ai.v_quarantine $$, '42501', null, 'the listener cannot read v_quarantine');
reset role;
select tests.as_role('mana_ai_owner');
select is((select count(*)::int from mana_ai.v_quarantine), 2, 'the owner reads the view under FORCE RLS, across users');
reset role;

select ok((select 'security_invoker=true' = any (c.reloptions) and c.relowner = 'mana_ai_owner'::regrole
             and not pg_catalog.has_table_privilege('mana_ai_runner', c.oid, 'SELECT')
             from pg_catalog.pg_class c where c.oid = 'mana_ai.v_quarantine'::regclass),
  'v_quarantine: owned by mana_ai_owner, security_invoker, not granted to mana_ai_runner');
select isnt(pg_catalog.obj_description('mana_ai.v_quarantine'::regclass, 'pg_class'), null, 'v_quarantine has a comment');
select is_empty(
  $$ select a.attname from pg_catalog.pg_attribute a
      where a.attrelid = 'mana_ai.v_quarantine'::regclass and a.attnum > 0 and pg_catalog.col_description(a.attrelid, a.attnum) is null $$,
  'every column of v_quarantine has a comment');

select * from finish();
rollback;
