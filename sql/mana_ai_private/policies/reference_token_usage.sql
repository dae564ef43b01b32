-- RLS for mana_ai_private.reference_token_usage: the reference runner's token usage rows, adopted by
-- migrate (mana_ai_private.adopt_reference_tables). Why all_system, as for projections: the rows are per
-- user, but the functions that read them (the per-agent budget sums usage across users inside the claim)
-- and the one that writes them (the adoption, every user at once) never run in one user's scope. No other
-- role has any right on the table; mana_ai_runner reaches nothing here.
-- Test: test/sql/00_schema.sql (RLS forced on every table), test/sql/mana_ai_private/functions/adopt_reference_tables.sql
alter table mana_ai_private.reference_token_usage enable row level security;
alter table mana_ai_private.reference_token_usage force row level security;
revoke all on table mana_ai_private.reference_token_usage from public;

drop policy if exists all_system on mana_ai_private.reference_token_usage;
create policy all_system on mana_ai_private.reference_token_usage
  for all
  to mana_ai_owner
  using (true)
  with check (true);

comment on table mana_ai_private.reference_token_usage is
  E'LLM token usage the reference runner recorded (its mana_ai.token_usage), adopted by migrate.\n\n'
  'reference_id is the row''s id there; user_id, agent_id, mission_id, tokens_used and ts are unchanged; '
  'adopted_at is the migrate run that adopted it.';
