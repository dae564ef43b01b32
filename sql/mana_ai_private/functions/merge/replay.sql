-- Single-record replay (docs/resolvers.md §2): fold every row of one record from the log, in (created_at, id)
-- order, with the one merge. Runs in the owner's RLS scope and restores the caller's scope afterwards
-- (the caller may be the sync server inside its own transaction).
-- Test: test/sql/mana_ai_private/functions/merge/replay.sql
create or replace function mana_ai_private.replay_state(p_user_id text, p_app_id text, p_table_name text, p_record_id text)
  returns mana_ai_private.fold_state
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_prev text := mana_ai_private.user_scope();
  v_state mana_ai_private.fold_state;
begin
  if coalesce(p_user_id, '') = '' then
    raise exception using errcode = 'MA010', message = 'replay needs a user id';
  end if;
  perform mana_ai_private.set_user_scope(p_user_id);
  -- (assigned, not SELECT INTO: INTO would spread a composite result over the variable's fields)
  v_state := (
    select mana_ai_private.fold_agg(o order by c.created_at, c.id)
      from public.sync_changes c
     cross join lateral mana_ai_private.make_offer(c.table_name, c.op, c.data, c.field_timestamps, c.created_at, c.id,
                                                   c.schema_version, c.record_id) o
     where c.user_id = p_user_id and c.app_id = p_app_id and c.table_name = p_table_name and c.record_id = p_record_id);
  perform mana_ai_private.set_user_scope(v_prev);
  return coalesce(v_state, row(false, '{}', '{}', null, null)::mana_ai_private.fold_state);
end
$$;
comment on function mana_ai_private.replay_state(text, text, text, text) is
  E'Fold state of one record replayed from the whole log (one merge), in the owner''s RLS scope.';

create or replace function mana_ai_private.replay_record(p_user_id text, p_app_id text, p_table_name text, p_record_id text)
  returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_prev text := mana_ai_private.user_scope();
  v_state mana_ai_private.fold_state := mana_ai_private.replay_state(p_user_id, p_app_id, p_table_name, p_record_id);
  v_record jsonb;
begin
  if not v_state.present or mana_ai_private.js_truthy(v_state.vals -> 'deletedAt') then
    return null;
  end if;
  perform mana_ai_private.set_user_scope(p_user_id);
  v_record := mana_ai_private.materialize(p_record_id, v_state);
  perform mana_ai_private.set_user_scope(v_prev);
  return v_record;
end
$$;
comment on function mana_ai_private.replay_record(text, text, text, text) is
  E'The current record (LWW replay of its whole history), or NULL when absent or deleted.\n\nUsed by the input resolvers through mana_ai.replay_input.';

create or replace function mana_ai_private.record_json(p_user_id text, p_table_name text, p_record_id text)
  returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_prev text := mana_ai_private.user_scope();
  v_record jsonb;
begin
  perform mana_ai_private.set_user_scope(p_user_id);
  select mana_ai_private.materialize(p.record_id, row(p.present, p.fields, p.vals, p.updated_at_us, p.deleted_at_us)::mana_ai_private.fold_state)
    into v_record
    from mana_ai_private.projections p
   where p.user_id = p_user_id and p.table_name = p_table_name and p.record_id = p_record_id;
  perform mana_ai_private.set_user_scope(v_prev);
  return v_record;
end
$$;
comment on function mana_ai_private.record_json(text, text, text) is
  'Full current record of a projected mission or agent (NULL when absent), read through its pointers.';
