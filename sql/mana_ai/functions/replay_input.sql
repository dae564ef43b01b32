-- One input record of a claimed run (docs/resolvers.md): the LWW replay of its whole history in the run's
-- user scope (replay_record), NULL when absent or deleted. Only for the holder of the run's current
-- lease token; anyone else gets MA102, never another user's or a stale run's data (KI-4: the listener
-- never reads sync_changes across users and holds no table rights).
-- Test: test/sql/mana_ai/functions/replay_input.sql
create or replace function mana_ai.replay_input(
  p_run_id bigint, p_lease_token uuid, p_app_id text, p_table_name text, p_record_id text)
  returns jsonb
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_user_id text;
begin
  select r.user_id into v_user_id
    from mana_ai.runs r
   where r.run_id = p_run_id and r.status = 'running' and r.lease_token = p_lease_token;
  if not found then
    raise exception using errcode = 'MA102', message = format('run %s: lease token is not current', p_run_id),
      hint = 'The lease was taken over, released or the run finished; stop working on it.';
  end if;
  return mana_ai_private.replay_record(v_user_id, p_app_id, p_table_name, p_record_id);
end
$$;
revoke all on function mana_ai.replay_input(bigint, uuid, text, text, text) from public;
grant execute on function mana_ai.replay_input(bigint, uuid, text, text, text) to mana_ai_runner;
comment on function mana_ai.replay_input(bigint, uuid, text, text, text) is
  E'Current value of one input record of a claimed run (LWW replay in the run''s user scope), NULL when absent or deleted.\n\nOnly for the holder of the run''s current lease token; raises MA102 otherwise.';
