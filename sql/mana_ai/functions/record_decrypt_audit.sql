-- Appends one decrypt-audit row (docs/crypto.md §5, KI-16) for the run the caller holds the lease of.
-- Why a definer: mana_ai_runner has no table rights. Why the lease: only the listener that holds the
-- current fencing token of a `running` run may speak for it, and the row's user_id and mission_id are
-- taken from that run, never from the caller, so a listener cannot file an audit row under another
-- user or mission. The insert runs inside that user's scope (app.current_user_id, transaction-local);
-- the scope the caller had is restored afterwards. The FORCE-RLS policy decrypt_audit_user_scope checks it.
-- Lease expiry alone does not refuse the row: an audit row records a decrypt that already happened, and
-- until another listener claims the run (which replaces the token) the token is still the current one.
-- Arguments are stored as given (bound values, never SQL): an id like `x'); drop table …` stays text.
--
-- Deliberate errors of the decrypt audit (SQLSTATE class MA2; quoted by the README, mapped in src/errors.ts):
--   MA201  lease lost       no `running` run with this run_id holds this lease token (unknown run,
--                           finished/failed/queued run, or another listener re-claimed it): stop the run
--   MA202  invalid status   p_status is not one of ok, failed, scope-violation (the table's CHECK)
--   MA203  missing field    p_table_name or p_record_id is NULL
--   MA204  missing user     read_decrypt_audit() without a user id (NULL or empty)
--   MA205  append-only      an UPDATE of mana_ai.decrypt_audit (trigger; see the policies file)
-- Test: test/sql/mana_ai/functions/record_decrypt_audit.sql
create or replace function mana_ai.record_decrypt_audit(
  p_run_id bigint,
  p_lease_token uuid,
  p_iteration_id text,
  p_table_name text,
  p_record_id text,
  p_status text,
  p_reason text)
  returns bigint
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_run record;
  v_prev text;
  v_id bigint;
begin
  if p_status is null or p_status not in ('ok', 'failed', 'scope-violation') then
    raise exception using
      errcode = 'MA202',
      message = format('invalid decrypt audit status %L', p_status),
      hint = 'Use ok, failed or scope-violation.';
  end if;
  if p_table_name is null or p_record_id is null then
    raise exception using
      errcode = 'MA203',
      message = 'a decrypt audit row needs a table name and a record id',
      detail = format('table_name %L, record_id %L', p_table_name, p_record_id);
  end if;

  -- FOR SHARE: the lease cannot change hands (claims lock FOR UPDATE) until this row is committed.
  select r.user_id, r.mission_id, r.status, r.lease_token
    into v_run
    from mana_ai.runs r
   where r.run_id = p_run_id
     for share;
  if not found or v_run.status <> 'running' or p_lease_token is null
     or v_run.lease_token is distinct from p_lease_token then
    raise exception using
      errcode = 'MA201',
      message = format('run %s is not leased with this token', coalesce(p_run_id::text, 'NULL')),
      detail = case
        when not found then 'no such run'
        when v_run.status <> 'running' then format('the run is %s', v_run.status)
        else 'the lease token is stale'
      end,
      hint = 'The lease was lost; stop working on this run.';
  end if;

  v_prev := mana_ai_private.user_scope();
  perform mana_ai_private.set_user_scope(v_run.user_id);
  insert into mana_ai.decrypt_audit (user_id, mission_id, iteration_id, table_name, record_id, status, reason)
  values (v_run.user_id, v_run.mission_id, p_iteration_id, p_table_name, p_record_id, p_status, p_reason)
  returning id into v_id;
  perform mana_ai_private.set_user_scope(v_prev);
  return v_id;
end
$$;
revoke all on function mana_ai.record_decrypt_audit(bigint, uuid, text, text, text, text, text) from public;
grant execute on function mana_ai.record_decrypt_audit(bigint, uuid, text, text, text, text, text) to mana_ai_runner;
comment on function mana_ai.record_decrypt_audit(bigint, uuid, text, text, text, text, text) is
  E'Append one decrypt-audit row for a run whose lease the caller holds; returns its id.\n\n'
  'user_id and mission_id come from the run. p_status: ok | failed | scope-violation (else MA202). '
  'A run that is not running under p_lease_token raises MA201; a NULL table name or record id MA203.';
