-- 00002: the capture queue (docs/architecture.md, "Capture, then fold"). The sync server's transaction
-- only records which ai mission/agent rows arrived; mana_ai.fold() projects them after commit and
-- deletes what it folded. Applied as mana_ai_owner (search_path = mana_ai_private). Frozen once merged.

-- One row per captured sync_changes row. Logged (a crash must not lose a row the log has), small
-- (no payload: the fold reads the row itself, by id, under its user's RLS scope).
--   seq:         capture order; the fold takes the oldest first
--   change_id:   sync_changes.id of the captured row
--   user_id:     its user (the RLS scope the fold reads it under)
--   record_hash: hash of (user_id, table_name, record_id): the functions that fold one record before
--                acting on it find its pending rows through it. A hash, not the key itself, so that a
--                key too long for a btree entry cannot fail the sync server's INSERT (such a record is
--                quarantined by the fold, like any other bad row).
--   captured_at: transaction start of the capturing INSERT (the backlog's age is measured from it)
create table mana_ai_private.captured (
  seq bigint generated always as identity primary key,
  change_id uuid not null,
  user_id text not null,
  record_hash bigint not null,
  captured_at timestamptz not null default now()
);
create index captured_record_hash_idx on mana_ai_private.captured (record_hash);
