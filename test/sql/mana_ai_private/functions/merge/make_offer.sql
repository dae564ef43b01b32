-- mana_ai_private.make_offer(): one sync_changes row reduced to what the LWW merge needs — action,
-- stamps, by-value values and the quarantine reason — for every kind of row the log can hold.
begin;
select plan(24);

create function pg_temp.offer(p_table text, p_op text, p_data jsonb, p_ft jsonb default '{}',
                              p_created timestamptz default '2026-03-01 10:00:00+00', p_schema int default 1,
                              p_record text default 'r1')
  returns mana_ai_private.change_offer
  language sql
as $$
  select mana_ai_private.make_offer(p_table, p_op, p_data, p_ft, p_created,
                                    '00000000-0000-0000-0000-000000000001', p_schema, p_record)
$$;
-- stamps as epoch µs of an ISO instant
create function pg_temp.us(p text) returns bigint language sql
as $$ select (extract(epoch from p::timestamptz) * 1000000)::bigint $$;

-- row-level problems: skipped, every reason named -------------------------------------------------
select results_eq($$ select (o).action, (o).problem from (select pg_temp.offer('aiMissions', 'insert', '[1]', '{}', now(), 2, '') as o) x $$,
  $$ values ('skip'::text, 'unsupported schema_version 2; empty record_id; insert data is a JSON array, not an object'::text) $$,
  'schema_version, empty record id and a non-object data are all named');
select is((pg_temp.offer('aiMissions', 'update', null)).problem, 'update data is NULL', 'an update without data');
select is((pg_temp.offer('agents', 'update', '{"name":"x"}', '"x"')).problem, 'field_timestamps is a JSON string, not an object',
          'field_timestamps of the wrong JSON type');
select is((pg_temp.offer('agents', 'upsert', '{"name":"x"}')).problem, 'unknown op ''upsert''', 'an unknown op');
select is((pg_temp.offer('notes', 'insert', '"text"')).action, 'skip', 'row-level problems skip rows of input tables too');

-- deletes ---------------------------------------------------------------------------------------
select results_eq($$ select (o).action, (o).delete_us, (o).vals, (o).problem
                      from (select pg_temp.offer('aiMissions', 'delete', '{"deletedAt":"2026-03-01T09:00:00.000Z"}') as o) x $$,
  $$ values ('soft_delete'::text, pg_temp.us('2026-03-01T09:00:00Z'), '{"deletedAt":"2026-03-01T09:00:00.000Z"}'::jsonb, null::text) $$,
  'a delete with deletedAt is a soft delete stamped with it');
select results_eq($$ select (o).action, (o).delete_us, (o).problem
                      from (select pg_temp.offer('aiMissions', 'delete', '{"deletedAt":"gestern"}') as o) x $$,
  $$ values ('soft_delete'::text, null::bigint, 'deletedAt is not an ISO-8601 instant'::text) $$,
  'an unparseable deletedAt still soft-deletes, reported');
select is((pg_temp.offer('aiMissions', 'delete', '{}')).action, 'hard_delete', 'a delete without deletedAt is a hard delete');
select is((pg_temp.offer('aiMissions', 'delete', null)).action, 'hard_delete', 'a delete without data is a hard delete');

-- inserts: every key stamped with E --------------------------------------------------------------
select results_eq($$ select (o).action, (o).stamps, (o).unstamped, (o).vals, (o).problem from (select pg_temp.offer('aiMissions', 'insert',
      '{"id":"r1","title":"T","state":"active","updatedAt":"2026-02-01T00:00:00.000Z","createdAt":"2026-01-01T00:00:00.000Z","__fieldTimestamps":{}}') as o) x $$,
  $$ values ('upsert'::text,
             jsonb_build_object('title', pg_temp.us('2026-02-01Z'), 'state', pg_temp.us('2026-02-01Z'),
                                'updatedAt', pg_temp.us('2026-02-01Z'), 'createdAt', pg_temp.us('2026-02-01Z')),
             '{__fieldTimestamps}'::text[],
             '{"state":"active","updatedAt":"2026-02-01T00:00:00.000Z","createdAt":"2026-01-01T00:00:00.000Z"}'::jsonb,
             null::text) $$,
  'an insert stamps every key but id with updatedAt; bookkeeping keys are unstamped; by-value keys carry values');
select is((pg_temp.offer('aiMissions', 'insert', '{"title":"T","createdAt":"2026-01-01T00:00:00.000Z"}')).stamps -> 'title',
          to_jsonb(pg_temp.us('2026-01-01Z')), 'without updatedAt the stamp is createdAt');
select is((pg_temp.offer('aiMissions', 'insert', '{"title":"T"}')).stamps -> 'title',
          to_jsonb(pg_temp.us('2026-03-01 10:00:00+00')), 'without either it is the row''s created_at');
select is((pg_temp.offer('aiMissions', 'insert', '{"title":"T"}', '{}', 'infinity')).stamps -> 'title', 'null'::jsonb,
          'a created_at of infinity is no stamp (and no error)');

-- updates: keys of field_timestamps that data carries ---------------------------------------------
select results_eq($$ select (o).stamps, (o).vals, (o).problem from (select pg_temp.offer('aiMissions', 'update',
      '{"title":"T2","nextRunAt":"2026-03-02T00:00:00.000Z","id":"r1"}',
      '{"title":"2026-03-01T10:00:00.000Z","nextRunAt":"2026-03-01T10:00:01.000Z","objective":"2026-03-01T10:00:02.000Z","id":"2026-03-01T10:00:00.000Z"}') as o) x $$,
  $$ values (jsonb_build_object('title', pg_temp.us('2026-03-01T10:00:00Z'), 'nextRunAt', pg_temp.us('2026-03-01T10:00:01Z')),
             '{"nextRunAt":"2026-03-02T00:00:00.000Z"}'::jsonb, null::text) $$,
  'an update offers the stamped keys that data carries, never id');
select results_eq($$ select (o).stamps, (o).problem from (select pg_temp.offer('aiMissions', 'update', '{"title":"T","state":"paused"}',
      '{"title":"soon","state":"2026-03-01T10:00:00Z"}') as o) x $$,
  $$ values (jsonb_build_object('title', null, 'state', pg_temp.us('2026-03-01T10:00:00Z')),
             'field_timestamps of title not ISO-8601 instants'::text) $$,
  'an unparseable field stamp is offered as no stamp, reported');
select is((pg_temp.offer('notes', 'update', '{"title":"T"}', '{"title":"soon"}')).problem, null,
          'input tables are folded as they come, without reports');

-- field-level problems of ai records: applied, reported -----------------------------------------
select is((pg_temp.offer('aiMissions', 'insert', '{"state":"running"}')).problem,
          'state "running" is not one of active, paused, done, archived', 'a mission state outside its enum');
select is((pg_temp.offer('agents', 'insert', '{"state":"done"}')).problem,
          'state "done" is not one of active, paused, archived', 'an agent state outside its enum');
select is((pg_temp.offer('aiMissions', 'insert', '{"nextRunAt":"tomorrow","createdAt":5}')).problem,
          'createdAt 5 is not an ISO-8601 instant; nextRunAt "tomorrow" is not an ISO-8601 instant or null',
          'unparseable createdAt and nextRunAt, in key order');
select is((pg_temp.offer('aiMissions', 'insert', '{"nextRunAt":null,"agentId":7}')).problem, 'agentId is not a string',
          'a null nextRunAt is fine; a numeric agentId is not');
select ok((pg_temp.offer('aiMissions', 'insert', '{"cadence":{"kind":"hourly"}}')).problem ~ 'unknown cadence kind', 'an invalid cadence');
select is((pg_temp.offer('agents', 'insert', '{"name":3,"maxConcurrentMissions":"2"}')).problem,
          'maxConcurrentMissions "2" is not a number; name is not a string', 'agent name and quota of the wrong type');
select results_eq($$ select (o).action, (o).problem from (select pg_temp.offer('aiMissions', 'update', '{"iterations":{},"inputs":"x"}',
      '{"iterations":"2026-03-01T10:00:00Z","inputs":"2026-03-01T10:00:00Z"}') as o) x $$,
  $$ values ('upsert'::text, 'iterations is not an array; inputs is not an array'::text) $$,
  'iterations and inputs of the wrong type are applied and reported');
select is((pg_temp.offer('aiMissions', 'update', '{"iterations":{}}', '{}')).problem, null,
          'an unoffered key is not judged');

select * from finish();
rollback;
