-- THE field-level LWW merge (docs/data-model.md §3, KI-9, KI-21): applies one offer to a fold state. Every
-- place that reconstructs a record uses it: the projection trigger (fold over a statement's rows),
-- the single-record replay of inputs, the out-of-order replay and the rebuild (fold_agg).
--
-- Rules: a key's current stamp is its own stamp, else the parsed current updatedAt value, else "no
-- stamp" (NULL, lower than every stamp). An offered key with stamp t applies iff t >= current stamp
-- (NULL >= NULL holds; NULL >= real does not). Rows are folded in (created_at, id) order, so a tie goes
-- to the later row. All keys of one row are judged against the record as it was before that row (the
-- spec leaves the order of keys inside a row open; this makes the result independent of JSON key order).
-- A soft delete compares against deletedAt's own stamp (or its parsed value) and sets deletedAt and
-- updatedAt to the deletion time; a delete without deletedAt makes the record absent (a later row
-- starts a new record).
-- Test: test/sql/mana_ai_private/functions/merge/merge_step.sql (table tests per rule), rebuild.sql (oracle)
create or replace function mana_ai_private.merge_step(p_state mana_ai_private.fold_state, p_offer mana_ai_private.change_offer)
  returns mana_ai_private.fold_state
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
  -- the queries take the row's values as parameters: without this, PL/pgSQL may re-plan them per call
  set plan_cache_mode = force_generic_plan
as $$
declare
  s mana_ai_private.fold_state := coalesce(p_state, row(false, '{}', '{}', null, null)::mana_ai_private.fold_state);
  v_applied jsonb;
  v_vals jsonb;
  v_current bigint;
  v_id text := p_offer.change_id::text;
begin
  if p_offer is null or p_offer.action = 'skip' then
    return s;
  end if;
  if s.present is null then
    s := row(false, '{}', '{}', null, null)::mana_ai_private.fold_state;
  end if;

  if p_offer.action = 'hard_delete' then
    return row(false, '{}', '{}', null, null)::mana_ai_private.fold_state;
  end if;

  if p_offer.action = 'soft_delete' then
    if not s.present then
      return s;
    end if;
    v_current := coalesce((s.fields -> 'deletedAt' ->> 0)::bigint, s.deleted_at_us);
    if v_current is null or (p_offer.delete_us is not null and p_offer.delete_us >= v_current) then
      s.fields := s.fields || jsonb_build_object(
        'deletedAt', jsonb_build_array(p_offer.delete_us, v_id),
        'updatedAt', jsonb_build_array(p_offer.delete_us, v_id, 'deletedAt'));
      s.vals := s.vals || jsonb_build_object('deletedAt', p_offer.vals -> 'deletedAt', 'updatedAt', p_offer.vals -> 'deletedAt');
      s.updated_at_us := p_offer.delete_us;
      s.deleted_at_us := p_offer.delete_us;
    end if;
    return s;
  end if;

  -- upsert
  if not s.present then
    select coalesce(jsonb_object_agg(e.key, jsonb_build_array(e.value, v_id)), '{}')
      into s.fields
      from jsonb_each(p_offer.stamps) e;
    if cardinality(p_offer.unstamped) > 0 then
      select s.fields || coalesce(jsonb_object_agg(k, jsonb_build_array(null, v_id)), '{}')
        into s.fields
        from unnest(p_offer.unstamped) k;
    end if;
    s.present := true;
    s.vals := p_offer.vals;
    s.updated_at_us := mana_ai_private.stamp_us(s.vals -> 'updatedAt');
    s.deleted_at_us := mana_ai_private.stamp_us(s.vals -> 'deletedAt');
    return s;
  end if;

  -- one query: the offered keys that win, and the by-value ones among them
  select jsonb_object_agg(e.key, jsonb_build_array(e.value, v_id)),
         coalesce(jsonb_object_agg(e.key, p_offer.vals -> e.key) filter (where p_offer.vals ? e.key), '{}')
    into v_applied, v_vals
    from jsonb_each(p_offer.stamps) e
   where coalesce((s.fields -> e.key ->> 0)::bigint, s.updated_at_us) is null
      or (e.value <> 'null'::jsonb and e.value::text::bigint >= coalesce((s.fields -> e.key ->> 0)::bigint, s.updated_at_us));
  if v_applied is null then
    return s;
  end if;
  s.fields := s.fields || v_applied;
  if v_vals <> '{}'::jsonb then
    s.vals := s.vals || v_vals;
    if v_vals ? 'updatedAt' then
      s.updated_at_us := mana_ai_private.stamp_us(s.vals -> 'updatedAt');
    end if;
    if v_vals ? 'deletedAt' then
      s.deleted_at_us := mana_ai_private.stamp_us(s.vals -> 'deletedAt');
    end if;
  end if;
  return s;
end
$$;
comment on function mana_ai_private.merge_step(mana_ai_private.fold_state, mana_ai_private.change_offer) is
  E'Apply one change offer to a record''s fold state: the one field-level LWW merge.\n\nSee docs/data-model.md §3; used by the trigger, replay and rebuild alike.';

-- Folds offers (already in (created_at, id) order) onto a state. Test: merge_step.sql
create or replace function mana_ai_private.fold(p_state mana_ai_private.fold_state, p_offers mana_ai_private.change_offer[])
  returns mana_ai_private.fold_state
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  s mana_ai_private.fold_state := p_state;
  o mana_ai_private.change_offer;
begin
  foreach o in array coalesce(p_offers, '{}') loop
    s := mana_ai_private.merge_step(s, o);
  end loop;
  return coalesce(s, row(false, '{}', '{}', null, null)::mana_ai_private.fold_state);
end
$$;
comment on function mana_ai_private.fold(mana_ai_private.fold_state, mana_ai_private.change_offer[]) is
  'Apply offers in order with merge_step, starting from a state (NULL = absent record).';

create or replace aggregate mana_ai_private.fold_agg(mana_ai_private.change_offer) (
  sfunc = mana_ai_private.merge_step,
  stype = mana_ai_private.fold_state,
  initcond = '(f,{},{},,)'
);
comment on aggregate mana_ai_private.fold_agg(mana_ai_private.change_offer) is
  'Fold offers with merge_step from an absent record; call with ORDER BY created_at, change_id.';

-- The current stamp of one field of a fold state (its stamp, else the parsed updatedAt, else NULL).
create or replace function mana_ai_private.current_stamp_us(p_fields jsonb, p_updated_at_us bigint, p_key text)
  returns bigint
  language sql immutable parallel safe
as $$
  select coalesce((p_fields -> p_key ->> 0)::bigint, p_updated_at_us)
$$;
comment on function mana_ai_private.current_stamp_us(jsonb, bigint, text) is
  'LWW current stamp of a field: its own stamp, else the parsed updatedAt value, else NULL (no stamp).';
