-- Reduces one sync_changes row to what the LWW merge needs (data-model.md §3): the keys it offers with
-- their stamps, the by-value keys with their values, and what is wrong with it. Large values (the
-- `iterations` array, note contents) are never copied: the merge keeps a pointer to this row instead.
--
-- Row-level problems make the row a 'skip' (quarantined, not applied): data or field_timestamps of the
-- wrong JSON type, an empty record id, a schema_version the sync server would not accept. Field-level
-- problems (a state outside its enum, an unparseable nextRunAt or stamp, an invalid cadence, …) are
-- applied exactly as the web app would apply them and only reported, so the projection keeps showing
-- what users see; the decision columns then treat the unusable value as "not due".
-- Problems are reported for the ai tables only; input records are folded as they come.
-- Stamps are epoch microseconds (NULL = "no stamp"). Insert rows stamp every key with E, the first
-- parseable of data.updatedAt, data.createdAt and the row's created_at; the web app's bookkeeping keys
-- __fieldTimestamps, __fieldActors and __lastActor are kept unstamped and only when creating the record.
-- `id` is never a field: a record's id is its record_id.
-- Test: test/sql/mana_ai_private/functions/merge/make_offer.sql
create or replace function mana_ai_private.make_offer(
  p_table_name text, p_op text, p_data jsonb, p_field_timestamps jsonb,
  p_created_at timestamptz, p_change_id uuid, p_schema_version int, p_record_id text)
  returns mana_ai_private.change_offer
  language plpgsql stable parallel safe
  set search_path = pg_catalog, pg_temp
  -- the queries take the row's values as parameters: without this, PL/pgSQL may re-plan them per call
  set plan_cache_mode = force_generic_plan
as $$
declare
  v_offer mana_ai_private.change_offer;
  v_by_value text[];
  v_problems text[] := '{}';
  v_ai boolean := p_table_name in ('aiMissions', 'agents');
  v_e bigint;
  v_key text;
  v_value jsonb;
  v_reason text;
begin
  v_offer.change_id := p_change_id;
  v_offer.created_at := p_created_at;
  v_offer.stamps := '{}';
  v_offer.unstamped := '{}';
  v_offer.vals := '{}';

  -- row-level problems: the row is skipped
  if p_schema_version is distinct from 1 then
    v_problems := v_problems || format('unsupported schema_version %s', coalesce(p_schema_version::text, 'NULL'));
  end if;
  if p_record_id = '' then
    v_problems := v_problems || 'empty record_id'::text;
  end if;
  if p_data is not null and jsonb_typeof(p_data) <> 'object' then
    v_problems := v_problems || format('%s data is a JSON %s, not an object', p_op, jsonb_typeof(p_data));
  elsif p_op = 'update' and p_data is null then
    v_problems := v_problems || 'update data is NULL'::text;
  end if;
  if p_op = 'update' and p_field_timestamps is not null and jsonb_typeof(p_field_timestamps) <> 'object' then
    v_problems := v_problems || format('field_timestamps is a JSON %s, not an object', jsonb_typeof(p_field_timestamps));
  end if;
  if p_op is null or p_op not in ('insert', 'update', 'delete') then
    v_problems := v_problems || format('unknown op %L', p_op);
  end if;
  if cardinality(v_problems) > 0 then
    v_offer.action := 'skip';
    v_offer.problem := array_to_string(v_problems, '; ');
    return v_offer;
  end if;

  v_by_value := case p_table_name
    when 'aiMissions' then array['state', 'nextRunAt', 'agentId', 'cadence', 'createdAt', 'updatedAt', 'deletedAt']
    when 'agents' then array['state', 'name', 'maxConcurrentMissions', 'updatedAt', 'deletedAt']
    else array['updatedAt', 'deletedAt']
  end;

  if p_op = 'delete' then
    if mana_ai_private.js_truthy(p_data -> 'deletedAt') then
      v_offer.action := 'soft_delete';
      v_offer.delete_us := mana_ai_private.stamp_us(p_data -> 'deletedAt');
      v_offer.vals := jsonb_build_object('deletedAt', p_data -> 'deletedAt');
      if v_ai and v_offer.delete_us is null then
        v_problems := v_problems || 'deletedAt is not an ISO-8601 instant'::text;
      end if;
    else
      v_offer.action := 'hard_delete';
    end if;
  else
    -- One query per row (each SPI query costs ~10 µs here): offered keys with their stamps, the
    -- by-value keys with their values, and the field-level problems, all from one pass over the keys.
    v_offer.action := 'upsert';
    if p_op = 'insert' then
      -- created_at is the sync server's column: ±infinity or a year past ~287,000 is no stamp (its epoch
      -- in µs does not fit a bigint, and raising here would fail the sync server's INSERT).
      v_e := coalesce(mana_ai_private.stamp_us(p_data -> 'updatedAt'), mana_ai_private.stamp_us(p_data -> 'createdAt'),
                      case when abs(extract(epoch from p_created_at)) < 9e12
                           then (extract(epoch from p_created_at) * 1000000)::bigint end);
    end if;
    select coalesce(jsonb_object_agg(k.key, k.stamp) filter (where not k.unstamped), '{}'),
           coalesce(array_agg(k.key) filter (where k.unstamped), '{}'),
           coalesce(jsonb_object_agg(k.key, p_data -> k.key) filter (where k.key = any (v_by_value)), '{}'),
           string_agg(mana_ai_private.field_problem(p_table_name, k.key, p_data -> k.key), '; ' order by k.key)
             filter (where v_ai and k.key = any (v_by_value)),
           string_agg(k.key, ', ' order by k.key) filter (where v_ai and p_op = 'update' and k.stamp is null)
      into v_offer.stamps, v_offer.unstamped, v_offer.vals, v_reason, v_key
      from (
        select i.key, v_e as stamp, i.key in ('__fieldTimestamps', '__fieldActors', '__lastActor') as unstamped
          from jsonb_object_keys(case when p_op = 'insert' then coalesce(p_data, '{}') else '{}' end) as i(key)
         where i.key <> 'id'
        union all
        select u.key, mana_ai_private.stamp_us(u.value), false
          from jsonb_each(case when p_op = 'update' then coalesce(p_field_timestamps, '{}') else '{}' end) u
         where u.key <> 'id' and p_data ? u.key
      ) k;
    if v_key is not null then
      v_problems := v_problems || format('field_timestamps of %s not ISO-8601 instants', v_key);
    end if;
    if v_reason is not null then
      v_problems := v_problems || v_reason;
    end if;
    if v_ai and p_table_name = 'aiMissions' then
      if v_offer.stamps ? 'iterations' and jsonb_typeof(p_data -> 'iterations') <> 'array' then
        v_problems := v_problems || 'iterations is not an array'::text;
      end if;
      if v_offer.stamps ? 'inputs' and jsonb_typeof(p_data -> 'inputs') not in ('array', 'null') then
        v_problems := v_problems || 'inputs is not an array'::text;
      end if;
    end if;
  end if;

  if cardinality(v_problems) > 0 then
    v_offer.problem := array_to_string(v_problems, '; ');
  end if;
  return v_offer;
end
$$;
comment on function mana_ai_private.make_offer(text, text, jsonb, jsonb, timestamptz, uuid, int, text) is
  E'Reduce one sync_changes row to the keys and stamps it offers to the LWW merge.\n\naction: upsert | soft_delete | hard_delete | skip; problem: quarantine reason or NULL.';

-- What is wrong with one by-value field of an ai record, or NULL. Field-level only: the value is still
-- applied. One SQL expression (no SET clause) so it is inlined into make_offer's query.
-- Test: test/sql/mana_ai_private/functions/merge/make_offer.sql
create or replace function mana_ai_private.field_problem(p_table_name text, p_key text, p_value jsonb)
  returns text
  language sql stable parallel safe
as $$
  select case p_key
    when 'state' then
      case
        when p_table_name = 'aiMissions' and (jsonb_typeof(p_value) <> 'string' or p_value #>> '{}' not in ('active', 'paused', 'done', 'archived'))
          then format('state %s is not one of active, paused, done, archived', left(p_value::text, 80))
        when p_table_name = 'agents' and (jsonb_typeof(p_value) <> 'string' or p_value #>> '{}' not in ('active', 'paused', 'archived'))
          then format('state %s is not one of active, paused, archived', left(p_value::text, 80))
      end
    when 'nextRunAt' then
      case when jsonb_typeof(p_value) <> 'null' and mana_ai_private.stamp_us(p_value) is null
        then format('nextRunAt %s is not an ISO-8601 instant or null', left(p_value::text, 80)) end
    when 'createdAt' then
      case when mana_ai_private.stamp_us(p_value) is null
        then format('createdAt %s is not an ISO-8601 instant', left(p_value::text, 80)) end
    when 'agentId' then
      case when jsonb_typeof(p_value) not in ('string', 'null') then 'agentId is not a string' end
    when 'cadence' then
      -- cadence_error's reasons already name the cadence ("unknown cadence kind…", "cron cadence: …")
      mana_ai_private.cadence_error(p_value)
    when 'name' then
      case when jsonb_typeof(p_value) not in ('string', 'null') then 'name is not a string' end
    when 'maxConcurrentMissions' then
      case when jsonb_typeof(p_value) not in ('number', 'null')
        then format('maxConcurrentMissions %s is not a number', left(p_value::text, 80)) end
  end
$$;
comment on function mana_ai_private.field_problem(text, text, jsonb) is
  'Why a by-value field of an ai mission or agent is unusable (NULL when it is fine).';
