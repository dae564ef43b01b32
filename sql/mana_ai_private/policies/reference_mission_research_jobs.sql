-- RLS for mana_ai_private.reference_mission_research_jobs: the reference runner's pending deep-research
-- jobs, adopted by migrate (mana_ai_private.adopt_reference_tables) and otherwise untouched: this runner
-- does not poll research providers. all_system for the owner, who writes them for every user at once;
-- no other role has any right on the table.
-- Test: test/sql/00_schema.sql (RLS forced on every table), test/sql/mana_ai_private/functions/adopt_reference_tables.sql
alter table mana_ai_private.reference_mission_research_jobs enable row level security;
alter table mana_ai_private.reference_mission_research_jobs force row level security;
revoke all on table mana_ai_private.reference_mission_research_jobs from public;

drop policy if exists all_system on mana_ai_private.reference_mission_research_jobs;
create policy all_system on mana_ai_private.reference_mission_research_jobs
  for all
  to mana_ai_owner
  using (true)
  with check (true);

comment on table mana_ai_private.reference_mission_research_jobs is
  E'Deep-research jobs the reference runner had submitted (its mana_ai.mission_research_jobs), adopted by migrate.\n\n'
  'Columns unchanged plus adopted_at; kept so the way back to the reference runner can hand them back.';
