-- The rows behind GET /api/v1/me/ai-audit (docs/crypto.md §6): one user's decrypt-audit rows, newest first.
-- Why a definer: mana_ai_runner has no table rights. The query runs inside p_user_id's scope (so the
-- FORCE-RLS policy decrypt_audit_user_scope applies) AND filters user_id explicitly, as the spec asks.
-- This function trusts p_user_id: binding it to the caller is the HTTP layer's job (the JWT `sub`);
-- SQL cannot see the JWT. The caller's previous scope is restored before returning.
-- p_mission_id NULL = every mission. p_limit NULL -> 200, then clamped to [1, 1000] (the endpoint parses
-- the query string like parseInt and passes NULL for a non-finite value). Order: ts desc, id desc
-- (id is the project's tie-break). Errors: MA204 for a NULL or empty user (codes: record_decrypt_audit.sql).
-- Test: test/sql/mana_ai/functions/read_decrypt_audit.sql
create or replace function mana_ai.read_decrypt_audit(p_user_id text, p_mission_id text, p_limit int)
  returns table (
    id bigint,
    mission_id text,
    iteration_id text,
    table_name text,
    record_id text,
    status text,
    reason text,
    ts timestamptz)
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_prev text;
  v_limit int := least(greatest(coalesce(p_limit, 200), 1), 1000);
begin
  if p_user_id is null or p_user_id = '' then
    raise exception using
      errcode = 'MA204',
      message = 'reading the decrypt audit needs a user id',
      hint = 'Pass the verified JWT subject.';
  end if;

  v_prev := mana_ai_private.user_scope();
  perform mana_ai_private.set_user_scope(p_user_id);
  return query
    select a.id, a.mission_id, a.iteration_id, a.table_name, a.record_id, a.status, a.reason, a.ts
      from mana_ai.decrypt_audit a
     where a.user_id = p_user_id
       and (p_mission_id is null or a.mission_id = p_mission_id)
     order by a.ts desc, a.id desc
     limit v_limit;
  perform mana_ai_private.set_user_scope(v_prev);
end
$$;
revoke all on function mana_ai.read_decrypt_audit(text, text, int) from public;
grant execute on function mana_ai.read_decrypt_audit(text, text, int) to mana_ai_runner;
comment on function mana_ai.read_decrypt_audit(text, text, int) is
  E'One user''s decrypt-audit rows, newest first (ts desc, id desc).\n\n'
  'p_mission_id NULL = all missions; p_limit NULL -> 200, clamped to [1, 1000]. Runs in the user''s RLS '
  'scope and filters user_id explicitly; a NULL or empty user raises MA204. The caller must bind '
  'p_user_id to the authenticated user (the audit endpoint uses the JWT sub).';
