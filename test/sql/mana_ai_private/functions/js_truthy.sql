-- js_truthy: JavaScript truthiness of JSON values (decides `deletedAt`).
begin;
select plan(3);
select is(array(select mana_ai_private.js_truthy(v) from unnest(array['null','false','0','""']::jsonb[]) v),
          array[false, false, false, false], 'null, false, 0 and "" are falsy');
select is(array(select mana_ai_private.js_truthy(v) from unnest(array['true','1','"0"','"x"','[]','{}','-1']::jsonb[]) v),
          array[true, true, true, true, true, true, true], 'everything else is truthy, including "0", [] and {}');
select is(mana_ai_private.js_truthy(null), false, 'absent is falsy');
select * from finish();
rollback;
