-- Enqueues the due missions of the given agents (parallel arrays of user ids and agent ids). Called by
-- the projection trigger when an agent changed: un-pausing or un-archiving it, raising its quota, or
-- deleting it (its missions fall back to the legacy principal, which is never gated — KI-11) can make
-- its missions claimable now. Missions are found through their own agentId (projections_agent_idx),
-- not through the resolved agent, so the missions of a deleted agent are included.
-- Test: test/sql/mana_ai_private/functions/enqueue_due_for_agents.sql
create or replace function mana_ai_private.enqueue_due_for_agents(p_now timestamptz, p_user_ids text[], p_agent_ids text[])
  returns int
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_users text[];
  v_missions text[];
begin
  if p_user_ids is null and p_agent_ids is null then
    return 0;
  end if;
  if p_user_ids is null or p_agent_ids is null or cardinality(p_user_ids) <> cardinality(p_agent_ids) then
    raise exception using errcode = 'MA101', message = 'enqueue_due_for_agents: p_user_ids and p_agent_ids must be parallel arrays',
      detail = format('%s user ids, %s agent ids', cardinality(p_user_ids), cardinality(p_agent_ids));
  end if;
  select array_agg(m.user_id), array_agg(m.record_id)
    into v_users, v_missions
    from (select distinct k.user_id, k.agent_id from unnest(p_user_ids, p_agent_ids) k(user_id, agent_id)) k
    join mana_ai_private.projections m
      on m.user_id = k.user_id
     and m.table_name = 'aiMissions'
     and m.agent_id = k.agent_id
   where m.due_at <= p_now;
  if v_missions is null then
    return 0;
  end if;
  return mana_ai_private.enqueue_due(p_now, v_users, v_missions);
end
$$;
revoke all on function mana_ai_private.enqueue_due_for_agents(timestamptz, text[], text[]) from public;
comment on function mana_ai_private.enqueue_due_for_agents(timestamptz, text[], text[]) is
  E'Queue runs for the due, ungated missions of the given agents (parallel user/agent id arrays).\n\nReturns the number of runs inserted.';
