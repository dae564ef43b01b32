-- The gate of a resolved agent: an archived agent skips its missions as 'skipped-archived', a paused
-- one as 'skipped-paused'; any other state (or no agent: NULL) lets them run. The one place this rule
-- is written: resolved_agents calls it (and due_missions, v_missions, explain_mission read it there).
-- One SQL expression without SET clause, so it is inlined where it is used.
-- Test: test/sql/mana_ai_private/functions/agent_gate.sql
create or replace function mana_ai_private.agent_gate(p_agent_state text)
  returns text
  language sql immutable parallel safe
as $$
  select case p_agent_state
    when 'archived' then 'skipped-archived'
    when 'paused' then 'skipped-paused'
  end
$$;
comment on function mana_ai_private.agent_gate(text) is
  'Gate of a resolved agent by its state: skipped-archived, skipped-paused or NULL (runs).';
