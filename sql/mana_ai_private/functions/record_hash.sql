-- The key the capture queue files a record's pending rows under (mana_ai_private.captured.record_hash).
-- Collisions are harmless: folding a record's pending rows also folds any other row filed under the
-- same hash, which the fold would have folded anyway. Inlined into the capture trigger's INSERT.
-- Test: test/sql/mana_ai_private/functions/fold.sql
create or replace function mana_ai_private.record_hash(p_user_id text, p_table_name text, p_record_id text)
  returns bigint
  language sql immutable parallel safe
as $$
  select pg_catalog.hashtextextended(p_table_name || '/' || p_record_id, pg_catalog.hashtext(p_user_id))
$$;
comment on function mana_ai_private.record_hash(text, text, text) is
  'Hash of (user_id, table_name, record_id) under which the capture queue files a record''s pending rows.';
