-- The offer of one sync_changes row (make_offer) and the check of one by-value field it uses
-- (field_problem, defined first: SQL bodies are checked when they are created).

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

-- Reduces one sync_changes row to what the LWW merge needs (docs/data-model.md §3): the keys it offers with
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
--
-- Returns exactly one row. A set-returning SQL function without SET clause (its callers pin
-- search_path; every name here is qualified), so that the planner inlines it into its callers'
-- queries as a LATERAL subquery: a statement's rows then share one executor setup instead of one
-- PL/pgSQL call and SPI query each (measured on 2,000 logged rows: 187 -> 70-90 us per row; the
-- per-call executor setup of its aggregates was most of the cost). Call it as
--   ... cross join lateral mana_ai_private.make_offer(c.table_name, c.op, ...) o
-- The OFFSET 0 keeps the per-row values (c) from being re-computed per key. An earlier release had a
-- scalar PL/pgSQL function of the same name and arguments; the block below drops that one first.
do $drop_scalar$
begin
  if exists (select from pg_catalog.pg_proc
              where oid = to_regprocedure('mana_ai_private.make_offer(text,text,jsonb,jsonb,timestamptz,uuid,integer,text)')
                and not proretset) then
    drop function mana_ai_private.make_offer(text, text, jsonb, jsonb, timestamptz, uuid, int, text);
  end if;
end
$drop_scalar$;

create or replace function mana_ai_private.make_offer(
  p_table_name text, p_op text, p_data jsonb, p_field_timestamps jsonb,
  p_created_at timestamptz, p_change_id uuid, p_schema_version int, p_record_id text)
  returns setof mana_ai_private.change_offer
  language sql stable parallel safe
as $$
  select p_change_id,
         p_created_at,
         case when c.problems is not null then 'skip' else c.action end,
         case when c.problems is null and c.action = 'upsert' then a.stamps else '{}'::jsonb end,
         case when c.problems is null and c.action = 'upsert' then a.unstamped else '{}'::text[] end,
         case when c.problems is not null then '{}'::jsonb
              when c.action = 'upsert' then a.vals
              when c.action = 'soft_delete' then jsonb_build_object('deletedAt', p_data -> 'deletedAt')
              else '{}'::jsonb end,
         case when c.problems is null and c.action = 'soft_delete' then c.delete_us end,
         case when c.problems is not null then c.problems
              when c.action = 'soft_delete' then
                case when c.ai and c.delete_us is null then 'deletedAt is not an ISO-8601 instant' end
              when c.action = 'upsert' then
                nullif(concat_ws('; ',
                  'field_timestamps of ' || a.unstamped_updates || ' not ISO-8601 instants',
                  a.reasons,
                  case when c.mission and a.stamps ? 'iterations' and jsonb_typeof(p_data -> 'iterations') <> 'array'
                    then 'iterations is not an array' end,
                  case when c.mission and a.stamps ? 'inputs' and jsonb_typeof(p_data -> 'inputs') not in ('array', 'null')
                    then 'inputs is not an array' end), '')
         end
    from (
      select nullif(array_to_string(array[
               case when p_schema_version is distinct from 1
                 then format('unsupported schema_version %s', coalesce(p_schema_version::text, 'NULL')) end,
               case when p_record_id = '' then 'empty record_id' end,
               case when p_data is not null and jsonb_typeof(p_data) <> 'object'
                      then format('%s data is a JSON %s, not an object', p_op, jsonb_typeof(p_data))
                    when p_op = 'update' and p_data is null then 'update data is NULL' end,
               case when p_op = 'update' and p_field_timestamps is not null and jsonb_typeof(p_field_timestamps) <> 'object'
                 then format('field_timestamps is a JSON %s, not an object', jsonb_typeof(p_field_timestamps)) end,
               case when p_op is null or p_op not in ('insert', 'update', 'delete') then format('unknown op %L', p_op) end
             ], '; '), '') as problems,
             case when p_op <> 'delete' then 'upsert'
                  when mana_ai_private.js_truthy(p_data -> 'deletedAt') then 'soft_delete'
                  else 'hard_delete' end as action,
             mana_ai_private.stamp_us(p_data -> 'deletedAt') as delete_us,
             p_table_name in ('aiMissions', 'agents') as ai,
             p_table_name = 'aiMissions' as mission,
             case p_table_name
               when 'aiMissions' then array['state', 'nextRunAt', 'agentId', 'cadence', 'createdAt', 'updatedAt', 'deletedAt']
               when 'agents' then array['state', 'name', 'maxConcurrentMissions', 'maxTokensPerDay', 'updatedAt', 'deletedAt']
               else array['updatedAt', 'deletedAt']
             end as by_value,
             case when p_op = 'insert' then
               coalesce(mana_ai_private.stamp_us(p_data -> 'updatedAt'), mana_ai_private.stamp_us(p_data -> 'createdAt'),
                        case when abs(extract(epoch from p_created_at)) < 9e12
                             then (extract(epoch from p_created_at) * 1000000)::bigint end)
             end as e
      offset 0
    ) c
    cross join lateral (
      select coalesce(jsonb_object_agg(k.key, k.stamp) filter (where not k.unstamped), '{}') as stamps,
             coalesce(array_agg(k.key) filter (where k.unstamped), '{}') as unstamped,
             coalesce(jsonb_object_agg(k.key, p_data -> k.key) filter (where k.key = any (c.by_value)), '{}') as vals,
             string_agg(mana_ai_private.field_problem(p_table_name, k.key, p_data -> k.key), '; ')
               filter (where c.ai and k.key = any (c.by_value)) as reasons,
             string_agg(k.key, ', ') filter (where c.ai and p_op = 'update' and k.stamp is null) as unstamped_updates
        from (
          select i.key, c.e as stamp, i.key in ('__fieldTimestamps', '__fieldActors', '__lastActor') as unstamped
            from jsonb_object_keys(case when c.problems is null and p_op = 'insert' then p_data else '{}' end) as i(key)
           where i.key <> 'id'
          union all
          select u.key, mana_ai_private.stamp_us(u.value), false
            from jsonb_each(case when c.problems is null and p_op = 'update' then p_field_timestamps else '{}' end) u
           where u.key <> 'id' and p_data ? u.key
           order by 1
        ) k
    ) a
$$;

comment on function mana_ai_private.make_offer(text, text, jsonb, jsonb, timestamptz, uuid, int, text) is
  E'Reduce one sync_changes row to the keys and stamps it offers to the LWW merge.\n\naction: upsert | soft_delete | hard_delete | skip; problem: quarantine reason or NULL.';
