-- mana_ai.api_version(): the version the listener checks at boot.
begin;
select plan(3);

select is_definer('mana_ai', 'api_version', array[]::name[], 'api_version is security definer');
select function_privs_are('mana_ai', 'api_version', array[]::name[], 'mana_ai_runner', array['EXECUTE'],
  'the runtime role may execute it');

-- as listener ------------------------------------------------------------------------------------------
select tests.as_role('mana_ai_runner');
select is(mana_ai.api_version(), 1, 'the API version is 1');
reset role;

select * from finish();
rollback;
