-- runtime_settings: what the listener checks at start, readable by the runtime role.
begin;
select plan(3);
select tests.as_role('mana_ai_runner');
select is(mana_ai.runtime_settings() ->> 'timezone', 'Europe/Berlin', 'the runtime role reads the stored timezone');
select is((mana_ai.runtime_settings() ->> 'maxAttempts')::int, 3, 'and the retry bound');
reset role;
update mana_ai_private.tick_state set last_tick_at = '2026-01-01 00:00:00+00';
select is(mana_ai.runtime_settings() ->> 'lastTickAt', '2026-01-01T00:00:00+00:00', 'and the last tick for /health');
select * from finish();
rollback;
