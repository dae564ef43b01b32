-- mana_ai_private.js_string(): JavaScript String(x ?? '') (objective → actor rationale).
begin;
select plan(9);

select is(mana_ai_private.js_string(null), '', 'absent → empty string');
select is(mana_ai_private.js_string('null'), '', 'null → empty string');
select is(mana_ai_private.js_string('"Plan my week"'), 'Plan my week', 'a string is itself');
select is(mana_ai_private.js_string('""'), '', 'the empty string stays empty');
select is(mana_ai_private.js_string('5.0'), '5', 'numbers print like JavaScript (5.0 → 5)');
select is(mana_ai_private.js_string('-1.50'), '-1.5', 'trailing zeros go');
select is(mana_ai_private.js_string('false'), 'false', 'booleans print as true/false');
select is(mana_ai_private.js_string('{"a":1}'), '[object Object]', 'objects print as [object Object]');
select is(mana_ai_private.js_string('["a", null, 2, ["b", "c"], {}]'), 'a,,2,b,c,[object Object]',
  'arrays join their elements with commas, null as empty, nested arrays flattened');

select * from finish();
rollback;
