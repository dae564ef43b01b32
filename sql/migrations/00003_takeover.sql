-- 00002: homes for the reference runner's rows that the log cannot rebuild (see sql/takeover.sql and
-- mana_ai_private.adopt_reference_tables). Applied as mana_ai_owner. Frozen once merged.

-- LLM token usage recorded by later upstream versions of the reference runner (its mana_ai.token_usage),
-- kept for the per-agent budget: a rolling 24 h window, so rows count for at most a day after the switch.
--   reference_id  the row's id in the reference table (its bigserial restarts if the reference runner
--                 ever recreates the table, so it is unique only per adoption)
--   user_id, agent_id, mission_id, tokens_used, ts   exactly the reference's columns and values
--   adopted_at    when migrate adopted the row (one value per migrate run)
create table mana_ai_private.reference_token_usage (
  reference_id bigint not null,
  user_id text not null,
  agent_id text not null,
  mission_id text not null,
  tokens_used int not null,
  ts timestamptz not null,
  adopted_at timestamptz not null default now(),
  constraint reference_token_usage_pkey primary key (adopted_at, reference_id)
);
create index reference_token_usage_agent_ts_idx on mana_ai_private.reference_token_usage (user_id, agent_id, ts desc);

-- Deep-research provider jobs the reference runner had submitted and was polling (its
-- mana_ai.mission_research_jobs). This runner does not poll providers; the rows are kept so that nothing
-- the reference runner knew is lost, and can be handed back to it (README, "Going back").
create table mana_ai_private.reference_mission_research_jobs (
  user_id text not null,
  mission_id text not null,
  task_id text not null,
  provider_id text not null,
  submitted_at timestamptz not null,
  last_polled_at timestamptz,
  adopted_at timestamptz not null default now(),
  constraint reference_mission_research_jobs_pkey primary key (adopted_at, user_id, mission_id)
);

-- When the reference runner's decrypt_audit waits in staging (moved aside by bootstrap in this same
-- migrate), move our new table's id sequence past its ids right away: the rows are adopted with their
-- ids after the object files, and no id handed out meanwhile may collide with them.
do $seq$
declare
  v_max bigint;
begin
  if to_regclass('mana_ai_takeover.decrypt_audit') is not null then
    execute 'select max(id) from mana_ai_takeover.decrypt_audit' into v_max;
    if v_max is not null then
      perform setval('mana_ai.decrypt_audit_id_seq', greatest(v_max, (select last_value from mana_ai.decrypt_audit_id_seq)));
    end if;
  end if;
end
$seq$;
