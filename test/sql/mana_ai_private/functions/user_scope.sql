-- user_scope() / set_user_scope(): the one home of the RLS scope setting for our functions.
begin;
select plan(5);

select is(mana_ai_private.set_user_scope('u1'), 'u1', 'set_user_scope switches and returns the new scope');
select is(mana_ai_private.user_scope(), 'u1', 'user_scope reads it');
select is(current_setting('app.current_user_id'), 'u1', 'it is the setting the sync server''s policy reads');
savepoint s;
select mana_ai_private.set_user_scope('u2');
rollback to savepoint s;
select is(mana_ai_private.user_scope(), 'u1', 'transaction-local: a rolled-back savepoint takes the switch back');
select is(mana_ai_private.set_user_scope(null), '', 'NULL means no user');

select * from finish();
rollback;
