-- Whether one captured ai row can make work due before the listener's next periodic fold, so that the
-- capture trigger should wake the listeners now (docs/architecture.md, "Capture, then fold"):
--   aiMissions: a delete (hard, or soft through deletedAt), an update of state or agentId, an insert
--               without a nextRunAt beyond the horizon (its state alone does not wake: a new mission
--               with a future nextRunAt has nothing due), a nextRunAt at or before the horizon;
--   agents:     a delete, or a change of state, maxConcurrentMissions or maxTokensPerDay.
-- A title edit, an iterations update or an agent rename wakes nobody: the periodic fold takes them.
-- Cheap on purpose (it runs in the sync server's transaction): key tests and one text comparison, no
-- parsing. nextRunAt is compared as text against p_horizon ('YYYY-MM-DDTHH:MM:SS.sssZ', what devices
-- write with toISOString); a value in any other form wakes, which costs a fold, never a missed run.
-- Never raises: data may be any JSON value or NULL. One SQL expression, inlined into the trigger.
-- Test: test/sql/mana_ai_private/triggers/sync_changes.sql
create or replace function mana_ai_private.capture_wakes(p_table_name text, p_op text, p_data jsonb, p_horizon text)
  returns boolean
  language sql immutable parallel safe
as $$
  select p_op = 'delete'
      or coalesce(case p_table_name
           when 'aiMissions' then
             (p_op <> 'insert' and p_data ?| array['deletedAt', 'state', 'agentId'])
             or case when p_data ->> 'nextRunAt' is null then p_op = 'insert'
                     when right(p_data ->> 'nextRunAt', 1) <> 'Z' then true
                     else p_data ->> 'nextRunAt' <= p_horizon end
           when 'agents' then
             p_data ?| array['deletedAt', 'state', 'maxConcurrentMissions', 'maxTokensPerDay']
         end, false)
$$;
comment on function mana_ai_private.capture_wakes(text, text, jsonb, text) is
  'Whether a captured ai mission/agent row can make work due before the next periodic fold (the capture trigger then notifies).';
