-- Test-only helpers (schema `tests`), installed by prepare-test-db.sh. Never part of a deploy.
create schema if not exists tests;
grant usage on schema tests to public;

-- Switch the current transaction to a persona: `set local role` plus the user scope the sync server
-- and our functions read. reset role switches back.
create or replace function tests.as_role(p_role text, p_user_id text default null)
  returns void
  language plpgsql
as $$
begin
  perform set_config('app.current_user_id', coalesce(p_user_id, ''), true);
  execute format('set local role %I', p_role);
end
$$;
grant execute on function tests.as_role(text, text) to public;

-- Pin the runner's clock (mana_ai_private.now()) for the rest of the transaction.
create or replace function tests.freeze_time(p_at timestamptz)
  returns void
  language sql
as $$
  select set_config('mana_ai.now', p_at::text, true);
$$;
grant execute on function tests.freeze_time(timestamptz) to public;

-- Insert one sync_changes row as the sync server would (under the owner's RLS scope) and return its id.
-- Then, unless p_fold is false, fold the capture queue as a listener does right after the commit (the
-- capture trigger only queues the row; docs/architecture.md, "Capture, then fold").
create or replace function tests.sync(
  p_user_id text, p_table text, p_record_id text, p_op text, p_data jsonb,
  p_field_timestamps jsonb default '{}', p_app_id text default 'ai', p_created_at timestamptz default null,
  p_client_id text default 'test-device', p_fold boolean default true)
  returns uuid
  language plpgsql
as $$
declare
  v_id uuid;
  v_prev text := current_setting('app.current_user_id', true);
begin
  perform set_config('app.current_user_id', p_user_id, true);
  insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, created_at)
  values (p_app_id, p_table, p_record_id, p_user_id, p_op, p_data, p_field_timestamps, p_client_id, coalesce(p_created_at, now()))
  returning id into v_id;
  perform set_config('app.current_user_id', coalesce(v_prev, ''), true);
  if p_fold then
    perform mana_ai_private.fold_captured(10000, mana_ai_private.now());
  end if;
  return v_id;
end
$$;
