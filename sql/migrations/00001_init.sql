-- 00001: the runner's state. Tables, types and indexes only; behaviour lives in the object files.
-- Applied by postgres-migrations as mana_ai_owner (search_path = mana_ai_private). Frozen once merged.

-- Settings: one row. What SQL needs to know that no caller should pass on every call.
create table mana_ai_private.settings (
  singleton boolean primary key default true constraint settings_singleton check (singleton),
  timezone text not null default 'Europe/Berlin',
  max_attempts int not null default 3 constraint settings_max_attempts_positive check (max_attempts >= 1),
  retry_base_ms int not null default 30000 constraint settings_retry_base_positive check (retry_base_ms > 0),
  retry_max_ms int not null default 900000 constraint settings_retry_max_positive check (retry_max_ms > 0),
  default_lease_ms int not null default 240000 constraint settings_lease_positive check (default_lease_ms > 0),
  runs_keep interval not null default '30 days',
  quarantine_keep interval not null default '30 days',
  audit_keep interval not null default '400 days',
  cron_history_keep interval not null default '7 days',
  allow_test_clock boolean not null default false
);
insert into mana_ai_private.settings default values;

-- The fold state of one record (data-model.md §3): present or absent, and per field the stamp and a
-- pointer to the winning sync_changes row. Only decision fields are kept by value (vals).
--   fields: {"<key>": [<stamp epoch µs or null>, "<sync_changes.id>"(, "<source key>")]}
--   vals:   {"<key>": <value>} for the by-value keys of the record's table
create type mana_ai_private.fold_state as (
  present boolean,
  fields jsonb,
  vals jsonb,
  updated_at_us bigint,
  deleted_at_us bigint
);

-- One sync_changes row, reduced to what the merge needs (no large values are copied).
--   action: 'upsert' | 'soft_delete' | 'hard_delete' | 'skip'
--   stamps: {"<key>": <stamp µs or null>} offered keys; unstamped: keys kept only when creating the record
--   vals:   by-value keys of the row with their values; delete_us: stamp of a soft delete
--   problem: why the row is quarantined (null = clean); skip rows are not applied at all
create type mana_ai_private.change_offer as (
  change_id uuid,
  created_at timestamptz,
  action text,
  stamps jsonb,
  unstamped text[],
  vals jsonb,
  delete_us bigint,
  problem text
);

-- All sync_changes rows of one record inside one INSERT statement, in (created_at, id) order.
create type mana_ai_private.record_changes as (
  user_id text,
  table_name text,
  record_id text,
  offers mana_ai_private.change_offer[]
);

-- Decision columns derived from a fold state (mana_ai_private.derive_projection).
create type mana_ai_private.derived as (
  deleted boolean,
  state text,
  agent_id text,
  next_run_at timestamptz,
  cadence_error text,
  due_at timestamptz,
  name text,
  max_concurrent numeric
);

-- Projection of ai missions and agents: the fold of every row of the record, maintained by the
-- statement trigger on sync_changes. A record that folded away stays as a tombstone (present = false).
create table mana_ai_private.projections (
  user_id text not null,
  table_name text not null constraint projections_table_known check (table_name in ('aiMissions', 'agents')),
  record_id text not null,
  present boolean not null default false,
  fields jsonb not null default '{}',
  vals jsonb not null default '{}',
  updated_at_us bigint,
  deleted_at_us bigint,
  last_created_at timestamptz,
  last_change_id uuid,
  rows_applied bigint not null default 0,
  -- derived from vals by mana_ai_private.derive_projection()
  deleted boolean not null default false,
  state text,
  agent_id text,
  next_run_at timestamptz,
  cadence_error text,
  due_at timestamptz,
  name text,
  max_concurrent numeric,
  projected_at timestamptz not null default now(),
  primary key (user_id, table_name, record_id)
);
-- (due_at, user_id, record_id): due selection scans by due_at; claims join open runs on all three keys,
-- and missions sharing one slot (daily missions at the same hour) must not degrade that join.
create index projections_due_at_idx on mana_ai_private.projections (due_at, user_id, record_id)
  where table_name = 'aiMissions' and due_at is not null;
create index projections_agent_idx on mana_ai_private.projections (user_id, agent_id)
  where table_name = 'aiMissions' and agent_id is not null;

-- Rows of sync_changes that could not be (fully) understood. applied = false: the row was skipped;
-- applied = true: it was folded like the web app folds it, but a decision field is unusable.
create table mana_ai_private.quarantine (
  quarantine_id bigint generated always as identity primary key,
  change_id uuid not null,
  user_id text not null,
  app_id text not null,
  table_name text not null,
  record_id text not null,
  reason text not null,
  applied boolean not null,
  quarantined_at timestamptz not null default now()
);
create index quarantine_quarantined_at_idx on mana_ai_private.quarantine (quarantined_at);
create index quarantine_record_idx on mana_ai_private.quarantine (user_id, record_id);

-- Counters read by the listener at scrape time. Writers append deltas (no hot row to lock in the sync
-- server's transactions); tick() folds them into the totals.
create table mana_ai_private.counters (
  name text primary key,
  value bigint not null default 0
);
create table mana_ai_private.counter_deltas (
  name text not null,
  delta bigint not null
);

-- Last tick, for /health and the ops views.
create table mana_ai_private.tick_state (
  singleton boolean primary key default true constraint tick_state_singleton check (singleton),
  ticks bigint not null default 0,
  last_tick_at timestamptz,
  last_stats jsonb
);
insert into mana_ai_private.tick_state default values;

-- Hash of the applied object files (migrate skips an unchanged deploy).
create table mana_ai_private.sql_objects (
  sha1 text primary key,
  applied_at timestamptz not null default now()
);

-- The run ledger (scheduling.md §5.3): one row per (user, mission, slot); the unique key makes a
-- second plan for one slot impossible.
create table mana_ai.runs (
  run_id bigint generated always as identity primary key,
  user_id text not null,
  mission_id text not null,
  slot timestamptz not null,
  agent_id text,
  status text not null default 'queued'
    constraint runs_status_valid check (status in ('queued', 'running', 'done', 'failed', 'superseded', 'dead')),
  attempts int not null default 0,
  lease_token uuid,
  lease_until timestamptz,
  worker text,
  retry_at timestamptz,
  iteration_id text,
  error_class text,
  last_error text,
  next_run_at timestamptz,
  schedule_advanced boolean not null default false,
  became_due_at timestamptz not null,
  enqueued_at timestamptz not null default now(),
  claimed_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint runs_slot_once unique (user_id, mission_id, slot),
  constraint runs_running_has_lease check (status <> 'running' or (lease_token is not null and lease_until is not null))
);
create index runs_open_idx on mana_ai.runs (slot, user_id, mission_id)
  where status in ('queued', 'running', 'failed');
create index runs_running_agent_idx on mana_ai.runs (user_id, agent_id)
  where status = 'running';
create index runs_finished_at_idx on mana_ai.runs (finished_at)
  where status in ('done', 'superseded', 'dead');

-- Decrypt audit, exactly as the reference defines it (data-model.md §4).
create table mana_ai.decrypt_audit (
  id bigserial primary key,
  user_id text not null,
  mission_id text not null,
  iteration_id text,
  table_name text not null,
  record_id text not null,
  status text not null check (status in ('ok', 'failed', 'scope-violation')),
  reason text,
  ts timestamptz not null default now()
);
create index idx_decrypt_audit_mission on mana_ai.decrypt_audit (user_id, mission_id, ts desc);
