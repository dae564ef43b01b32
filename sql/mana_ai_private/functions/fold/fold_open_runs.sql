-- Folds the pending captured rows of the missions of the first p_lookahead open runs in claim order
-- (the runs a claim is about to judge) and of the agents those missions have: a claim never decides
-- on a mission or agent paused, deleted or re-scheduled by a row that committed before it
-- (docs/architecture.md, "Capture, then fold"). One pass (fold_records): p_wait as there — claim_runs
-- waits in its first round only, before it holds any projection row. A row that moves a mission to
-- another agent is folded here, but that agent's own pending rows only by the next fold (≤ 1 s).
-- An empty queue costs one probe. Returns the queue rows folded.
-- Test: test/sql/mana_ai/functions/claim_runs.sql
create or replace function mana_ai_private.fold_open_runs(p_lookahead bigint, p_now timestamptz, p_wait boolean)
  returns int
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
  set plan_cache_mode = force_generic_plan
as $$
declare
  v_users text[];
  v_tables text[];
  v_records text[];
begin
  if not exists (select from mana_ai_private.captured) then
    return 0;
  end if;
  with o as (
    select r.user_id, r.mission_id
      from mana_ai.runs r
     where r.status in ('queued', 'running', 'failed')
     order by r.slot, r.user_id, r.mission_id
     limit p_lookahead
  ), k as (
    select o.user_id, 'aiMissions' as table_name, o.mission_id as record_id from o
    union
    select p.user_id, 'agents', p.agent_id
      from o
      join mana_ai_private.projections p
        on p.user_id = o.user_id and p.table_name = 'aiMissions' and p.record_id = o.mission_id
     where p.agent_id is not null
  )
  select array_agg(k.user_id), array_agg(k.table_name), array_agg(k.record_id)
    into v_users, v_tables, v_records
    from k;
  if v_users is null then
    return 0;
  end if;
  return mana_ai_private.fold_records(v_users, v_tables, v_records, p_now, p_wait);
end
$$;
revoke all on function mana_ai_private.fold_open_runs(bigint, timestamptz, boolean) from public;
comment on function mana_ai_private.fold_open_runs(bigint, timestamptz, boolean) is
  'Fold the pending captured rows of the missions (and their agents) of the first p_lookahead open runs in claim order. Returns the rows folded.';
