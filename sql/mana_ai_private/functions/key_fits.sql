-- Whether a record's key can be projected. btree index entries are limited to ~2,704 bytes; the
-- sync server's own indexes accept longer (user_id, record_id) pairs than our projection key (user_id,
-- table_name, record_id), the ledger's (user_id, mission_id, slot) and the quarantine's (user_id,
-- record_id) do. A longer key is quarantined instead of failing the sync server's INSERT.
-- Test: test/sql/mana_ai_private/triggers/sync_changes.sql, test/chaos/04-fuzz-sync-changes.test.ts
create or replace function mana_ai_private.key_fits(p_user_id text, p_record_id text)
  returns boolean
  language sql immutable parallel safe
as $$
  select octet_length(p_user_id) + octet_length(p_record_id) <= 2000
$$;
comment on function mana_ai_private.key_fits(text, text) is
  'True when user_id + record_id (at most 2,000 bytes together) fit every index the projection and ledger use.';
