-- Puts a `queued` run into the ledger for every mission that is due at p_now and not gated by its agent
-- (archived/paused), unless its slot already has a run: runs_slot_once makes a second run for one slot
-- impossible (docs/scheduling.md §5.3), so calling this again, or from overlapping transactions, is harmless.
-- Called by tick() for all missions and by the projection trigger for the missions a statement made due
-- now (p_user_ids / p_mission_ids: parallel arrays of keys; both NULL = all missions).
-- became_due_at = greatest(slot, p_now): the instant the slot became due in the database — the slot
-- itself when it passed later than the change, else the change (or tick) that made it due. Latency
-- metrics measure from here.
-- One pg_notify('mana_ai_runs', '{"event":"due"}') when anything was inserted. Postgres delivers
-- identical payloads of one transaction once, at commit, so a batch wakes listeners once.
-- Cost: the keyed form reads projections by primary key; the full form is an index range scan of
-- projections_due_at_idx (due_at <= p_now), i.e. proportional to the due missions, not to all missions.
-- Test: test/sql/mana_ai_private/functions/enqueue_due.sql
create or replace function mana_ai_private.enqueue_due(
  p_now timestamptz, p_user_ids text[] default null, p_mission_ids text[] default null)
  returns int
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_inserted int;
begin
  if p_now is null then
    raise exception using errcode = 'MA101', message = 'enqueue_due needs p_now';
  end if;
  if p_user_ids is null and p_mission_ids is null then
    insert into mana_ai.runs (user_id, mission_id, slot, agent_id, became_due_at)
    select d.user_id, d.mission_id, d.slot, d.agent_id, greatest(d.slot, p_now)
      from mana_ai_private.due_missions d
     where d.slot <= p_now
       and d.gate is null
     order by d.slot, d.user_id, d.mission_id
        on conflict on constraint runs_slot_once do nothing;
  elsif p_user_ids is null or p_mission_ids is null
        or cardinality(p_user_ids) <> cardinality(p_mission_ids) then
    raise exception using errcode = 'MA101', message = 'enqueue_due: p_user_ids and p_mission_ids must be parallel arrays',
      detail = format('%s user ids, %s mission ids', cardinality(p_user_ids), cardinality(p_mission_ids));
  else
    insert into mana_ai.runs (user_id, mission_id, slot, agent_id, became_due_at)
    select d.user_id, d.mission_id, d.slot, d.agent_id, greatest(d.slot, p_now)
      from (select distinct k.user_id, k.mission_id
              from unnest(p_user_ids, p_mission_ids) k(user_id, mission_id)) k
      join mana_ai_private.due_missions d on d.user_id = k.user_id and d.mission_id = k.mission_id
     where d.slot <= p_now
       and d.gate is null
     order by d.slot, d.user_id, d.mission_id
        on conflict on constraint runs_slot_once do nothing;
  end if;
  get diagnostics v_inserted = row_count;
  if v_inserted > 0 then
    perform pg_notify('mana_ai_runs', '{"event":"due"}');
  end if;
  return v_inserted;
end
$$;
revoke all on function mana_ai_private.enqueue_due(timestamptz, text[], text[]) from public;
comment on function mana_ai_private.enqueue_due(timestamptz, text[], text[]) is
  E'Queue a run for every due, ungated mission (all, or the given parallel keys) whose slot has none.\n\nReturns the number of runs inserted; notifies mana_ai_runs once when that is > 0.';
