-- mana_ai_private.agent_gate(): the gate rule, and that every place deciding a gate uses it.
begin;
select plan(3);

select results_eq(
  $$ select s, mana_ai_private.agent_gate(s) from (values ('active'), ('paused'), ('archived'), ('bogus'), (null)) v(s) order by 1 nulls last $$,
  $$ values ('active'::text, null::text), ('archived', 'skipped-archived'), ('bogus', null), ('paused', 'skipped-paused'), (null, null) $$,
  'archived and paused agents gate their missions; every other state (and no agent) does not');
select is((select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname in ('mana_ai', 'mana_ai_private') and p.proname <> 'agent_gate'
              and p.prosrc ~ '''skipped-archived''' and p.prosrc ~ '= ''archived'''), 0,
          'no function writes the rule again beside it');
select is((select count(*)::int from pg_views where schemaname in ('mana_ai', 'mana_ai_private')
            and definition ~ '''skipped-archived'''), 0, 'nor does any view');

select * from finish();
rollback;
