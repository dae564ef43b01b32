-- capture_wakes: which captured rows wake the listener (docs/architecture.md, "Capture, then fold").
begin;
select plan(19);

\set h '''2026-06-01T12:00:02.000Z'''
select ok(mana_ai_private.capture_wakes('aiMissions', 'update', '{"nextRunAt":"2026-06-01T12:00:01.000Z"}', :h), 'a nextRunAt before the horizon wakes');
select ok(mana_ai_private.capture_wakes('aiMissions', 'update', '{"nextRunAt":"2026-06-01T12:00:02.000Z"}', :h), 'a nextRunAt at the horizon wakes');
select ok(not mana_ai_private.capture_wakes('aiMissions', 'update', '{"nextRunAt":"2026-06-01T12:00:03.000Z"}', :h), 'a later nextRunAt does not');
select ok(mana_ai_private.capture_wakes('aiMissions', 'update', '{"nextRunAt":"2026-06-01T14:00:03+02:00"}', :h), 'a nextRunAt in another form wakes (never a missed run)');
select ok(not mana_ai_private.capture_wakes('aiMissions', 'update', '{"nextRunAt":null}', :h), 'an update clearing nextRunAt does not');
select ok(mana_ai_private.capture_wakes('aiMissions', 'update', '{"state":"paused"}', :h), 'a state change wakes');
select ok(mana_ai_private.capture_wakes('aiMissions', 'update', '{"agentId":"a2"}', :h), 'an agent change wakes');
select ok(mana_ai_private.capture_wakes('aiMissions', 'update', '{"deletedAt":"2026-06-01T12:00:00.000Z"}', :h), 'a soft delete wakes');
select ok(mana_ai_private.capture_wakes('aiMissions', 'delete', null, :h), 'a hard delete wakes');
select ok(mana_ai_private.capture_wakes('aiMissions', 'insert', '{"title":"t"}', :h), 'an insert without nextRunAt wakes');
select ok(not mana_ai_private.capture_wakes('aiMissions', 'insert', '{"title":"t","state":"active","nextRunAt":"2026-06-02T00:00:00.000Z"}', :h), 'an insert with a future nextRunAt does not, whatever its state');
select ok(not mana_ai_private.capture_wakes('aiMissions', 'update', '{"title":"t","iterations":[]}', :h), 'a title or iterations update does not');
select ok(mana_ai_private.capture_wakes('agents', 'update', '{"state":"paused"}', :h), 'an agent state change wakes');
select ok(mana_ai_private.capture_wakes('agents', 'update', '{"maxConcurrentMissions":3}', :h), 'an agent quota change wakes');
select ok(mana_ai_private.capture_wakes('agents', 'update', '{"maxTokensPerDay":1000}', :h), 'an agent budget change wakes');
select ok(not mana_ai_private.capture_wakes('agents', 'update', '{"name":"Renamed"}', :h), 'an agent rename does not');
select ok(mana_ai_private.capture_wakes('agents', 'delete', null, :h), 'an agent delete wakes');
select lives_ok($$ select mana_ai_private.capture_wakes('aiMissions', 'update', v, '2026') from
                     (values ('[1,2]'::jsonb), ('"s"'), ('42'), ('null'), (null), ('{"nextRunAt":5}')) t(v) $$,
                'never raises, whatever the data');
select is(mana_ai_private.capture_wakes('aiMissions', 'update', '"nextRunAt"', :h), false, 'a non-object value wakes nobody');

select * from finish();
rollback;
