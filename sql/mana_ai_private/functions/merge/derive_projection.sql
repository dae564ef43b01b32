-- Decision columns of a projection row, derived from its fold state (by-value fields only).
--   missions: deleted, state, agent_id, next_run_at, cadence_error and due_at, the instant the mission
--             is due: NULL unless present, not deleted and active; else the parsed nextRunAt, or — for
--             an active cron mission whose nextRunAt is null or absent — the first fire time after its
--             createdAt (docs/scheduling.md §5.1). An unparseable nextRunAt is never due (the reference
--             compared strings; we compare instants).
--   agents:   deleted, state, name, max_concurrent = Number(maxConcurrentMissions ?? 1), non-finite → 1.
-- Test: test/sql/mana_ai_private/functions/merge/derive_projection.sql
create or replace function mana_ai_private.derive_projection(p_table_name text, p_state mana_ai_private.fold_state, p_timezone text)
  returns mana_ai_private.derived
  language plpgsql stable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  d mana_ai_private.derived;
  v jsonb := coalesce(p_state.vals, '{}');
  v_mc jsonb;
begin
  d.deleted := mana_ai_private.js_truthy(v -> 'deletedAt');
  d.state := case when jsonb_typeof(v -> 'state') = 'string' then v ->> 'state' end;
  if p_table_name = 'aiMissions' then
    d.agent_id := case when jsonb_typeof(v -> 'agentId') = 'string' then v ->> 'agentId' end;
    d.next_run_at := mana_ai_private.parse_stamp(case when jsonb_typeof(v -> 'nextRunAt') = 'string' then v ->> 'nextRunAt' end);
    d.cadence_error := case when v ? 'cadence' then mana_ai_private.cadence_error(v -> 'cadence') else 'no cadence' end;
    if coalesce(p_state.present, false) and not d.deleted and d.state = 'active' then
      if jsonb_typeof(v -> 'nextRunAt') = 'string' then
        d.due_at := d.next_run_at;
      elsif coalesce(jsonb_typeof(v -> 'nextRunAt'), 'null') = 'null'
            and v -> 'cadence' ->> 'kind' = 'cron' and d.cadence_error is null then
        d.due_at := mana_ai_private.cron_next(v -> 'cadence' ->> 'expression',
                                              mana_ai_private.parse_stamp(v ->> 'createdAt'), p_timezone);
      end if;
    end if;
  else
    d.name := case when jsonb_typeof(v -> 'name') = 'string' then v ->> 'name' end;
    v_mc := v -> 'maxConcurrentMissions';
    d.max_concurrent := case jsonb_typeof(v_mc)
      when 'number' then (v_mc #>> '{}')::numeric
      when 'boolean' then case when v_mc = 'true'::jsonb then 1 else 0 end
      when 'string' then case
        when btrim(v_mc #>> '{}') = '' then 0
        when btrim(v_mc #>> '{}') ~ '^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$' then btrim(v_mc #>> '{}')::numeric
        else 1 end
      else 1
    end;
  end if;
  return d;
end
$$;
comment on function mana_ai_private.derive_projection(text, mana_ai_private.fold_state, text) is
  E'Decision columns (deleted, state, due_at, agent gating values) of a mission or agent fold state.';
