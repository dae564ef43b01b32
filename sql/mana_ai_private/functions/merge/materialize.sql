-- The full record of a fold state: {"id": record_id, …every field's winning value}, read through the
-- pointers to the winning sync_changes rows. The caller has set app.current_user_id to the record's
-- owner (sync_changes has FORCE RLS): pointers into other users' rows resolve to nothing. A pointer to a
-- row the sync server has since removed drops that field.
-- Test: test/sql/mana_ai_private/functions/merge/replay.sql
create or replace function mana_ai_private.materialize(p_record_id text, p_state mana_ai_private.fold_state)
  returns jsonb
  language sql stable parallel safe
as $$
  select case when coalesce(p_state.present, false) then
    coalesce((
      select jsonb_object_agg(f.key, c.data -> coalesce(f.value ->> 2, f.key))
        from jsonb_each(p_state.fields) f
        join public.sync_changes c on c.id = (f.value ->> 1)::uuid
       where c.data ? coalesce(f.value ->> 2, f.key)
    ), '{}') || jsonb_build_object('id', p_record_id)
  end
$$;
comment on function mana_ai_private.materialize(text, mana_ai_private.fold_state) is
  'Full record (with id) of a fold state, read through its pointers; NULL when absent. Needs the owner''s RLS scope.';
