-- Fixtures for the run-ledger pgTAP files. Included with `\ir ../../../support/ledger-fixtures.sql`
-- right after `begin;`, so everything here is rolled back with the test. Lives in test/support because
-- pg_prove runs every .sql file under test/sql.
--
-- A clean slate: the ledger tests count runs and due missions, so they start from empty tables.
delete from mana_ai.runs;
delete from mana_ai_private.projections;
delete from mana_ai_private.counter_deltas;
delete from mana_ai_private.counters;
update mana_ai_private.settings
   set max_attempts = 3, retry_base_ms = 30000, retry_max_ms = 900000, default_lease_ms = 240000;

-- Stand-ins for functions other files provide, created only while those are missing from the manifest
-- (rolled back with the test). They agree with the real ones on what the ledger tests use: interval
-- and manual cadences.
do $stubs$
begin
  if to_regprocedure('mana_ai_private.next_slot(jsonb, timestamptz, text)') is null then
    create function mana_ai_private.next_slot(p_cadence jsonb, p_from timestamptz, p_tz text)
      returns timestamptz language sql stable
    as $f$
      select case when p_cadence ->> 'kind' = 'interval' and jsonb_typeof(p_cadence -> 'everyMinutes') = 'number'
                       and (p_cadence ->> 'everyMinutes')::numeric > 0
                  then p_from + (p_cadence ->> 'everyMinutes')::numeric * interval '1 minute' end
    $f$;
  end if;
  if to_regprocedure('mana_ai_private.cadence_error(jsonb)') is null then
    create function mana_ai_private.cadence_error(p_cadence jsonb)
      returns text language sql immutable
    as $f$
      select case when p_cadence ->> 'kind' in ('manual', 'interval', 'daily', 'weekly', 'cron') then null
                  else 'unknown cadence kind' end
    $f$;
  end if;
end
$stubs$;

-- A mission projection row as the trigger would leave it (decision columns only; vals/fields empty).
-- due_at follows the projection's rule: only present, not deleted, active missions have one.
create function pg_temp.mission(
  p_user text, p_id text, p_next timestamptz, p_agent text default null, p_state text default 'active',
  p_deleted boolean default false, p_present boolean default true)
  returns void
  language sql
as $$
  insert into mana_ai_private.projections as p
         (user_id, table_name, record_id, present, deleted, state, agent_id, next_run_at, due_at)
  values (p_user, 'aiMissions', p_id, p_present, p_deleted, p_state, p_agent, p_next,
          case when p_present and not p_deleted and p_state = 'active' then p_next end)
      on conflict (user_id, table_name, record_id) do update
     set present = excluded.present, deleted = excluded.deleted, state = excluded.state,
         agent_id = excluded.agent_id, next_run_at = excluded.next_run_at, due_at = excluded.due_at;
$$;

-- An agent projection row (max_concurrent as the trigger derives it).
create function pg_temp.agent(
  p_user text, p_id text, p_state text default 'active', p_max numeric default 1,
  p_deleted boolean default false, p_present boolean default true)
  returns void
  language sql
as $$
  insert into mana_ai_private.projections as p
         (user_id, table_name, record_id, present, deleted, state, name, max_concurrent)
  values (p_user, 'agents', p_id, p_present, p_deleted, p_state, 'Agent ' || p_id, p_max)
      on conflict (user_id, table_name, record_id) do update
     set present = excluded.present, deleted = excluded.deleted, state = excluded.state,
         max_concurrent = excluded.max_concurrent;
$$;

-- The run of a mission (its newest by slot), and a run's row.
create function pg_temp.run_id(p_user text, p_mission text)
  returns bigint
  language sql stable
as $$
  select r.run_id from mana_ai.runs r where r.user_id = p_user and r.mission_id = p_mission order by r.slot desc limit 1
$$;
create function pg_temp.run(p_run_id bigint)
  returns mana_ai.runs
  language sql stable
as $$
  select r from mana_ai.runs r where r.run_id = p_run_id
$$;

-- The current lease token of a run (what claim_runs handed out).
create function pg_temp.token(p_run_id bigint)
  returns uuid
  language sql stable
as $$
  select r.lease_token from mana_ai.runs r where r.run_id = p_run_id
$$;

-- A mission created through the log, as a device would (insert row, stamped by its updatedAt), so the
-- projection trigger folds it and record_json can read it. p_record overrides the defaults below.
-- Pass increasing p_created_at for rows of one record: rows of one transaction share now(), and the
-- fold would order them by their random ids.
create function pg_temp.sync_mission(p_user text, p_id text, p_record jsonb, p_created_at timestamptz)
  returns uuid
  language sql
as $$
  select tests.sync(p_user, 'aiMissions', p_id, 'insert',
    jsonb_build_object('id', p_id, 'createdAt', '2024-01-01T00:00:00.000Z', 'updatedAt', '2024-01-01T00:00:00.000Z',
                       'title', 'Weekly plan', 'conceptMarkdown', '', 'objective', 'Plan the week', 'inputs', '[]'::jsonb,
                       'state', 'active', 'cadence', '{"kind":"interval","everyMinutes":60}'::jsonb,
                       'iterations', '[]'::jsonb) || p_record,
    '{}', 'ai', p_created_at);
$$;

-- An agent created through the log.
create function pg_temp.sync_agent(p_user text, p_id text, p_record jsonb, p_created_at timestamptz)
  returns uuid
  language sql
as $$
  select tests.sync(p_user, 'agents', p_id, 'insert',
    jsonb_build_object('id', p_id, 'createdAt', '2024-01-01T00:00:00.000Z', 'updatedAt', '2024-01-01T00:00:00.000Z',
                       'name', 'Planner', 'role', 'planner', 'policy', '{}'::jsonb, 'maxConcurrentMissions', 1,
                       'state', 'active') || p_record,
    '{}', 'ai', p_created_at);
$$;

-- A device update: every key of p_data stamped with p_stamp.
create function pg_temp.sync_update(p_user text, p_table text, p_id text, p_data jsonb, p_stamp text, p_created_at timestamptz)
  returns uuid
  language sql
as $$
  select tests.sync(p_user, p_table, p_id, 'update', p_data,
    (select jsonb_object_agg(k, p_stamp) from jsonb_object_keys(p_data) k), 'ai', p_created_at);
$$;

-- The write-back rows the runner inserted (read in the user's scope, as sync_changes has FORCE RLS for
-- every role but superusers; the tests run as superuser, so this is only for clarity).
create function pg_temp.runner_rows(p_user text, p_mission text)
  returns setof public.sync_changes
  language sql stable
as $$
  select c.* from public.sync_changes c
   where c.user_id = p_user and c.record_id = p_mission and c.client_id = 'mana-ai-runner'
   order by c.created_at, c.id
$$;
