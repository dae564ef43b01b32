-- set_timezone: stores MANA_AI_TIMEZONE, refuses unknown zones.
begin;
select plan(2);
select is(mana_ai_private.set_timezone('Asia/Tokyo'), 'Asia/Tokyo', 'a known zone is stored');
select throws_ok($$ select mana_ai_private.set_timezone('Mars/Olympus') $$, 'MA001', null, 'an unknown zone is refused with MA001');
select * from finish();
rollback;
