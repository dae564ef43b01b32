-- 00002: the per-agent token budget (the agent record's maxTokensPerDay, a rolling 24-hour budget).
-- Applied by postgres-migrations as mana_ai_owner (search_path = mana_ai_private). Frozen once merged.

-- How long usage rows are kept: at least the 24-hour window the budget reads, plus a margin for the
-- operator's view of yesterday.
alter table mana_ai_private.settings
  add column token_usage_keep interval not null default '7 days'
    constraint settings_token_usage_keep_window check (token_usage_keep >= interval '24 hours');

-- The token ledger: one row per run attempt that received at least one LLM response, written by
-- complete_run / fail_run in the transaction that records the attempt's outcome. tokens is the sum of
-- usage.total_tokens over the attempt's responses (0 when a response carried none). agent_id is the
-- run's resolved agent (NULL: the legacy principal, which has no budget).
create table mana_ai_private.run_tokens (
  token_row_id bigint generated always as identity primary key,
  user_id text not null,
  agent_id text,
  mission_id text not null,
  run_id bigint not null,
  attempt int not null,
  tokens bigint not null constraint run_tokens_not_negative check (tokens >= 0),
  recorded_at timestamptz not null,
  constraint run_tokens_once_per_attempt unique (run_id, attempt)
);
-- The budget reads one agent's rows of the last 24 h; retention deletes by age.
create index run_tokens_agent_window_idx on mana_ai_private.run_tokens (user_id, agent_id, recorded_at desc);
create index run_tokens_recorded_at_idx on mana_ai_private.run_tokens (recorded_at);
