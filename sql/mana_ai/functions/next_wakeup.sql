-- The earliest future instant at which something becomes due or claimable, for the listener's timer
-- (docs/architecture.md: wake on NOTIFY, on this timer, on the periodic tick): the next slot of an
-- ungated mission, the retry time of a retryable failed run, the end of a running run's lease (the run
-- becomes re-claimable, or is swept, and its agent's quota frees up), the instant an agent whose due
-- missions wait for its token budget falls below it again (budget_frees_at). NULL when nothing is pending.
-- Gated missions are left out: resuming an agent enqueues and notifies through the projection trigger.
-- The listener calls tick() when the timer fires, so a slot that passed is enqueued then.
-- Test: test/sql/mana_ai/functions/next_wakeup.sql
create or replace function mana_ai.next_wakeup()
  returns timestamptz
  language plpgsql stable
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := mana_ai_private.now();
  v_max int := (select s.max_attempts from mana_ai_private.settings s);
begin
  return least(
    (select d.slot
       from mana_ai_private.due_missions d
      where d.slot > v_now and d.gate is null
      order by d.slot
      limit 1),
    (select min(r.retry_at)
       from mana_ai.runs r
      where r.status = 'failed' and r.attempts < v_max and r.retry_at > v_now),
    (select min(r.lease_until)
       from mana_ai.runs r
      where r.status = 'running' and r.lease_until > v_now),
    (select min(mana_ai_private.budget_frees_at(b.user_id, b.agent_id, b.token_budget, v_now))
       from (select distinct d.user_id, d.agent_id, d.token_budget
               from mana_ai_private.due_missions d
              where d.slot <= v_now and d.gate is null and d.token_budget is not null) b));
end
$$;
revoke all on function mana_ai.next_wakeup() from public;
grant execute on function mana_ai.next_wakeup() to mana_ai_runner;
comment on function mana_ai.next_wakeup() is
  E'Earliest future instant a mission becomes due or a run claimable (slot, retry time, lease end, token budget freed); NULL if none.\n\nThe listener sets its timer to it and calls tick() when it fires.';
