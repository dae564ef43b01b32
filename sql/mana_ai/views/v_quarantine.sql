-- Operator view: sync_changes rows the projection could not (fully) understand, newest first, with the
-- reason and whether the row was applied anyway (applied = true: folded like the web app folds it, but a
-- decision field is unusable, e.g. an invalid cadence; false: skipped). Rows stay until run_retention()
-- removes them after settings.quarantine_keep (30 days by default); `age` helps to filter for recent ones.
-- Why security_invoker: see v_missions.sql. Owned by mana_ai_owner; not granted to mana_ai_runner.
-- Test: test/sql/mana_ai/views/v_quarantine.sql
create or replace view mana_ai.v_quarantine
  with (security_invoker = true)
as
select q.quarantine_id,
       q.quarantined_at,
       mana_ai_private.now() - q.quarantined_at as age,
       q.user_id,
       q.app_id,
       q.table_name,
       q.record_id,
       q.reason,
       q.applied,
       q.change_id
  from mana_ai_private.quarantine q
 order by q.quarantined_at desc, q.quarantine_id desc;

comment on view mana_ai.v_quarantine is
  E'Quarantined sync_changes rows, newest first: reason and whether the row was applied anyway.\n\n'
  'Kept for settings.quarantine_keep. Read as the admin (security_invoker; not granted to mana_ai_runner).';
comment on column mana_ai.v_quarantine.quarantine_id is 'Quarantine entry id.';
comment on column mana_ai.v_quarantine.quarantined_at is 'When the projection quarantined the row.';
comment on column mana_ai.v_quarantine.age is 'Runner clock minus quarantined_at.';
comment on column mana_ai.v_quarantine.user_id is 'Owner of the row.';
comment on column mana_ai.v_quarantine.app_id is 'sync_changes.app_id (ai).';
comment on column mana_ai.v_quarantine.table_name is 'aiMissions or agents.';
comment on column mana_ai.v_quarantine.record_id is 'The record the row belongs to.';
comment on column mana_ai.v_quarantine.reason is 'What is wrong with the row.';
comment on column mana_ai.v_quarantine.applied is 'true: folded anyway (a decision field is unusable); false: skipped entirely.';
comment on column mana_ai.v_quarantine.change_id is 'sync_changes.id of the row (read it in the user''s scope).';
