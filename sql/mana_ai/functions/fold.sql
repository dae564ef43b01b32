-- Folds one batch of the capture queue: the oldest p_limit captured rows no other folder holds
-- (docs/architecture.md, "Capture, then fold"). The listener calls it on every wake-up before it claims,
-- and every second while it runs, repeating while a call returns a full batch; tick() calls the same
-- fold. One call is one transaction: a batch is folded and deleted together or not at all.
--   p_limit: 1 … 10,000 (NULL = 1,000); anything else is MA101.
-- Returns {"rows": <queue rows taken>, "records", "missionRows", "missionsChanged", "newMissions",
-- "enqueued"} (the last five only when rows > 0). Counts the rows into mana_ai_fold_rows_total.
-- Test: test/sql/mana_ai/functions/fold.sql
create or replace function mana_ai.fold(p_limit int default 1000)
  returns jsonb
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_res jsonb;
begin
  if p_limit is not null and (p_limit < 1 or p_limit > 10000) then
    raise exception using errcode = 'MA101', message = format('fold: invalid limit %s (1 … 10000)', p_limit);
  end if;
  v_res := mana_ai_private.fold_captured(coalesce(p_limit, 1000), mana_ai_private.now());
  if (v_res ->> 'rows')::int > 0 then
    perform mana_ai_private.count_many(jsonb_build_object('fold_rows', (v_res ->> 'rows')::int));
  end if;
  return v_res;
end
$$;
revoke all on function mana_ai.fold(int) from public;
grant execute on function mana_ai.fold(int) to mana_ai_runner;
comment on function mana_ai.fold(int) is
  E'Fold the oldest p_limit (default 1,000) captured ai rows into the projections, in this transaction, and delete them from the queue.\n\nReturns {"rows": n, …}; call again while rows = p_limit. Safe to call from several sessions at once.';
