-- RLS for mana_ai_private.run_tokens, the token ledger of the per-agent budget.
-- Why all_system: complete_run / fail_run record usage for the run they finish (any user, fenced by the
-- lease token like the run itself), the claim reads every agent's usage of the last 24 h, and
-- run_retention() deletes by age. There is no per-user reader; the runtime role has no table privilege.
-- Test: test/sql/00_schema.sql
alter table mana_ai_private.run_tokens enable row level security;
alter table mana_ai_private.run_tokens force row level security;
revoke all on table mana_ai_private.run_tokens from public;

drop policy if exists all_system on mana_ai_private.run_tokens;
create policy all_system on mana_ai_private.run_tokens
  for all
  to mana_ai_owner
  using (true)
  with check (true);
