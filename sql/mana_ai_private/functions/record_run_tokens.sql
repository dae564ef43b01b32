-- Records the LLM tokens of one run attempt in the token ledger (run_tokens), called by complete_run
-- and fail_run in the transaction that records the attempt's outcome, after the lease check: one row
-- per (run, attempt), keyed by user, the run's resolved agent, mission and run. p_tokens NULL = the
-- attempt received no LLM response: nothing is recorded. A second call for the same attempt adds
-- nothing (the fenced callers cannot make one). Negative → MA101.
-- Test: test/sql/mana_ai_private/functions/token_usage.sql
create or replace function mana_ai_private.record_run_tokens(p_run mana_ai.runs, p_tokens bigint, p_now timestamptz)
  returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  if p_tokens is null then
    return;
  end if;
  if p_tokens < 0 then
    raise exception using errcode = 'MA101', message = format('token usage must not be negative: %s', p_tokens);
  end if;
  insert into mana_ai_private.run_tokens (user_id, agent_id, mission_id, run_id, attempt, tokens, recorded_at)
  values (p_run.user_id, p_run.agent_id, p_run.mission_id, p_run.run_id, p_run.attempts, p_tokens, p_now)
      on conflict on constraint run_tokens_once_per_attempt do nothing;
end
$$;
revoke all on function mana_ai_private.record_run_tokens(mana_ai.runs, bigint, timestamptz) from public;
comment on function mana_ai_private.record_run_tokens(mana_ai.runs, bigint, timestamptz) is
  'Record one run attempt''s LLM tokens (NULL: no response received, nothing recorded).';
