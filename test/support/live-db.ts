/**
 * A database laid out like a running Mana deployment, for the install-on-a-live-database tests: the sync
 * server's every-boot DDL and its one-change-per-transaction INSERT (unqualified `sync_changes`, as the
 * sync server's own role), and the schema the reference runner leaves behind (created as the superuser,
 * exactly the tables, columns, defaults, indexes and policy the reference creates), with audit rows.
 * Unlike db.ts these databases start EMPTY (no template): nothing of ours is in them before migrate.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A connection URL into the test cluster (PG* from with-cluster.sh). */
export function clusterUrl(user: string, database: string): string {
  const host = process.env.PGHOST;
  if (!host) throw new Error('PGHOST is not set: run the tests through `make test` (test/support/with-cluster.sh)');
  return `postgresql://${user}@localhost:${process.env.PGPORT ?? '5432'}/${database}?host=${encodeURIComponent(host)}`;
}

export const SUPERUSER = process.env.PGUSER ?? 'postgres';

/**
 * The sync server's every-boot statements, one simple-protocol batch, unqualified table name: create if
 * absent, the two later columns, the three indexes, ENABLE + FORCE RLS, and its policy dropped and
 * re-created. ALTER TABLE needs ownership even when nothing changes.
 */
export const SYNC_SERVER_BOOT_SQL = `
CREATE TABLE IF NOT EXISTS sync_changes (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  app_id TEXT NOT NULL,
  table_name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
  data JSONB,
  field_timestamps JSONB DEFAULT '{}',
  client_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE sync_changes ADD COLUMN IF NOT EXISTS schema_version INT NOT NULL DEFAULT 1;
ALTER TABLE sync_changes ADD COLUMN IF NOT EXISTS actor JSONB;
CREATE INDEX IF NOT EXISTS idx_sync_changes_user_app ON sync_changes (user_id, app_id, created_at);
CREATE INDEX IF NOT EXISTS idx_sync_changes_table_record ON sync_changes (table_name, record_id, created_at);
CREATE INDEX IF NOT EXISTS idx_sync_changes_since ON sync_changes (user_id, app_id, table_name, created_at);
ALTER TABLE sync_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_changes FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS sync_changes_user_isolation ON sync_changes;
CREATE POLICY sync_changes_user_isolation ON sync_changes
  USING (user_id = current_setting('app.current_user_id', true))
  WITH CHECK (user_id = current_setting('app.current_user_id', true));
`;

/** The reference runner's boot migration (as the role it connects as), without its later tables. */
export const REFERENCE_SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS mana_ai;
CREATE TABLE IF NOT EXISTS mana_ai.mission_snapshots (
  user_id TEXT NOT NULL,
  mission_id TEXT NOT NULL,
  record JSONB NOT NULL,
  last_applied_at TIMESTAMPTZ NOT NULL DEFAULT 'epoch',
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, mission_id)
);
CREATE INDEX IF NOT EXISTS idx_mission_snapshots_due ON mana_ai.mission_snapshots ((record->>'state'), (record->>'nextRunAt'))
  WHERE record->>'state' = 'active';
CREATE INDEX IF NOT EXISTS idx_mission_snapshots_user ON mana_ai.mission_snapshots (user_id, last_applied_at);
CREATE TABLE IF NOT EXISTS mana_ai.agent_snapshots (
  user_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  record JSONB NOT NULL,
  last_applied_at TIMESTAMPTZ NOT NULL DEFAULT 'epoch',
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, agent_id)
);
CREATE INDEX IF NOT EXISTS idx_agent_snapshots_user ON mana_ai.agent_snapshots (user_id, last_applied_at);
CREATE INDEX IF NOT EXISTS idx_agent_snapshots_state ON mana_ai.agent_snapshots ((record->>'state'))
  WHERE record->>'state' = 'active';
CREATE TABLE IF NOT EXISTS mana_ai.decrypt_audit (
  id BIGSERIAL PRIMARY KEY,
  user_id TEXT NOT NULL,
  mission_id TEXT NOT NULL,
  iteration_id TEXT,
  table_name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'scope-violation')),
  reason TEXT,
  ts TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_decrypt_audit_mission ON mana_ai.decrypt_audit (user_id, mission_id, ts DESC);
ALTER TABLE mana_ai.decrypt_audit ENABLE ROW LEVEL SECURITY;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'mana_ai' AND tablename = 'decrypt_audit'
                  AND policyname = 'decrypt_audit_user_scope') THEN
    CREATE POLICY decrypt_audit_user_scope ON mana_ai.decrypt_audit
      USING (user_id = current_setting('app.current_user_id', true));
  END IF;
END $$;
`;

/** The tables later upstream versions of the reference runner add. */
export const REFERENCE_LATER_SQL = `
CREATE TABLE IF NOT EXISTS mana_ai.token_usage (
  id BIGSERIAL PRIMARY KEY,
  user_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  mission_id TEXT NOT NULL,
  tokens_used INT NOT NULL,
  ts TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_token_usage_agent_window ON mana_ai.token_usage (user_id, agent_id, ts DESC);
CREATE TABLE IF NOT EXISTS mana_ai.mission_research_jobs (
  user_id TEXT NOT NULL,
  mission_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  submitted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_polled_at TIMESTAMPTZ,
  PRIMARY KEY (user_id, mission_id)
);
CREATE INDEX IF NOT EXISTS idx_mission_research_jobs_user ON mana_ai.mission_research_jobs (user_id, submitted_at DESC);
`;

/** Audit rows as the reference runner wrote them (ids 1..n in this order; the reference never forced RLS). */
export const REFERENCE_AUDIT_ROWS_SQL = `
INSERT INTO mana_ai.decrypt_audit (user_id, mission_id, iteration_id, table_name, record_id, status, reason, ts) VALUES
  ('user-a', 'm-due', 'it-1', 'notes', 'n1', 'ok', NULL, '2026-10-01T08:00:00.123456Z'),
  ('user-a', 'm-due', 'it-1', 'tasks', 't1', 'failed', 'decrypt-failed', '2026-10-01T08:00:00.223456Z'),
  ('user-b', 'm-b1', 'it-7', 'notes', 'n7', 'ok', NULL, '2026-10-02T09:00:00Z'),
  ('user-a', 'm-later', NULL, 'notes', 'n2', 'scope-violation', 'record-not-in-grant-allowlist', '2026-11-30T23:59:59.999999Z');
`;

/** One database of the test cluster, created empty. */
export interface LiveDb {
  name: string;
  /** Superuser URL. */
  url: string;
  /** Runs SQL as the superuser (simple protocol when no params) and returns the rows. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

async function once<T extends pg.QueryResultRow>(url: string, sql: string, params?: unknown[]): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** Creates an empty database (owned by `owner` when given, so that role may create in schema public). */
export async function emptyLiveDatabase(prefix: string, owner?: string): Promise<LiveDb> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await once(clusterUrl(SUPERUSER, 'postgres'), `create database ${name}${owner ? ` owner ${owner}` : ''}`);
  const url = clusterUrl(SUPERUSER, name);
  return {
    name,
    url,
    query: (sql, params) => once(url, sql, params),
    drop: async () => {
      await once(clusterUrl(SUPERUSER, 'postgres'), `drop database if exists ${name} with (force)`);
    },
  };
}

/** A non-superuser LOGIN role for a hardened sync server (cluster-wide; created once per name). */
export async function ensureLoginRole(role: string): Promise<void> {
  await once(clusterUrl(SUPERUSER, 'postgres'), `do $$ begin
    if not exists (select from pg_roles where rolname = '${role}') then
      create role ${role} login nosuperuser nocreatedb nocreaterole nobypassrls;
    end if; end $$`);
}

/** Runs the sync server's every-boot DDL as `role` (its own connection, simple protocol). */
export async function syncServerBoot(database: string, role: string): Promise<void> {
  await once(clusterUrl(role, database), SYNC_SERVER_BOOT_SQL);
}

/** One change as the sync server receives it from a device. */
export interface DeviceChange {
  userId: string;
  appId?: string;
  table: string;
  recordId: string;
  op: 'insert' | 'update' | 'delete';
  data: unknown;
  fieldTimestamps?: Record<string, string>;
  clientId?: string;
}

/**
 * Inserts changes the way the sync server does: one transaction per change, in the user's scope, as the
 * sync server's role, unqualified table name. Returns the new rows' ids.
 */
export async function syncServerInsert(database: string, role: string, changes: DeviceChange[]): Promise<string[]> {
  const c = new pg.Client({ connectionString: clusterUrl(role, database) });
  await c.connect();
  const ids: string[] = [];
  try {
    for (const ch of changes) {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.current_user_id', $1, true)`, [ch.userId]);
      const { rows } = await c.query<{ id: string }>(
        `INSERT INTO sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, schema_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) RETURNING id`,
        [ch.appId ?? 'ai', ch.table, ch.recordId, ch.userId, ch.op, JSON.stringify(ch.data),
         JSON.stringify(ch.fieldTimestamps ?? {}), ch.clientId ?? 'device-1'],
      );
      await c.query('COMMIT');
      ids.push(rows[0]!.id);
    }
    return ids;
  } catch (error) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await c.end();
  }
}

/**
 * What migrate must never change about sync_changes: owner, columns, indexes, RLS switches, policies and
 * every other role's privileges (the grant to mana_ai_owner is filtered out: it is ours; a NULL ACL is the
 * owner's default, written out, so the first GRANT does not look like a change).
 */
export const SYNC_CHANGES_SHAPE_SQL = `
select (select r.rolname from pg_class c join pg_roles r on r.oid = c.relowner where c.oid = 'public.sync_changes'::regclass) as owner,
       (select string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
                          || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''), ', ' order by a.attnum)
          from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
         where a.attrelid = 'public.sync_changes'::regclass and a.attnum > 0 and not a.attisdropped) as columns,
       (select string_agg(indexdef, '; ' order by indexname) from pg_indexes where schemaname = 'public' and tablename = 'sync_changes') as indexes,
       (select relrowsecurity::text || '/' || relforcerowsecurity::text from pg_class where oid = 'public.sync_changes'::regclass) as rls,
       (select string_agg(policyname || ' ' || cmd || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, ''), '; ' order by policyname)
          from pg_policies where schemaname = 'public' and tablename = 'sync_changes') as policies,
       (select string_agg(acl::text, ',' order by acl::text) from pg_class c, unnest(coalesce(c.relacl, acldefault('r', c.relowner))) acl
         where c.oid = 'public.sync_changes'::regclass and acl::text not like 'mana_ai_owner=%') as acl`;
