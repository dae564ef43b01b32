/**
 * A fresh database per test file, cloned from `mana_template` (migrated by prepare-test-db.sh), in
 * the throwaway cluster named by PG* variables. `admin` connects as the cluster superuser (fixtures,
 * inspection); `runnerUrl` connects as a LOGIN member of mana_ai_runner, like a deployed listener.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDb {
  name: string;
  /** Superuser URL of the clone (fixtures and inspection only). */
  adminUrl: string;
  /** URL of a least-privilege listener role (member of mana_ai_runner). */
  runnerUrl: string;
  admin: pg.Pool;
  /**
   * Inserts sync_changes rows as the sync server would (one transaction, under the owner's RLS scope),
   * then folds the capture queue as a listener does right after the commit, unless `fold` is false
   * (docs/architecture.md, "Capture, then fold").
   */
  sync(row: SyncRow | SyncRow[], options?: { fold?: boolean }): Promise<string[]>;
  /** Folds the whole capture queue in batches of `batch` (what a listener's wake-up does); resolves with the rows folded. */
  fold(batch?: number): Promise<number>;
  drop(): Promise<void>;
}

export interface SyncRow {
  userId: string;
  appId?: string;
  table: string;
  recordId: string;
  op: 'insert' | 'update' | 'delete';
  data: unknown;
  fieldTimestamps?: unknown;
  clientId?: string;
  createdAt?: Date | string;
  schemaVersion?: number;
}

function urlFor(user: string, db: string): string {
  const host = process.env.PGHOST;
  if (!host) throw new Error('PGHOST is not set: run the tests through `make test` (test/support/with-cluster.sh)');
  const port = process.env.PGPORT ?? '5432';
  return `postgresql://${user}@localhost:${port}/${db}?host=${encodeURIComponent(host)}`;
}

/** Clones the template into a new database and returns handles to it. */
export async function freshDatabase(): Promise<TestDb> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const root = new pg.Client({ connectionString: urlFor(process.env.PGUSER ?? 'postgres', 'postgres') });
  await root.connect();
  try {
    await root.query(`create database ${name} template mana_template`);
  } finally {
    await root.end();
  }
  const adminUrl = urlFor(process.env.PGUSER ?? 'postgres', name);
  const admin = new pg.Pool({ connectionString: adminUrl, max: 4 });
  admin.on('error', () => undefined);
  const fold = async (batch = 10_000): Promise<number> => {
    let total = 0;
    for (;;) {
      const { rows } = await admin.query<{ n: number }>(`select (mana_ai.fold($1) ->> 'rows')::int as n`, [batch]);
      total += rows[0]!.n;
      if (rows[0]!.n < batch) return total;
    }
  };
  const sync = async (rows: SyncRow | SyncRow[], options: { fold?: boolean } = {}): Promise<string[]> => {
    const list = Array.isArray(rows) ? rows : [rows];
    const client = await admin.connect();
    try {
      await client.query('begin');
      const ids: string[] = [];
      for (const r of list) {
        await client.query(`select set_config('app.current_user_id', $1, true)`, [r.userId]);
        const { rows: out } = await client.query<{ id: string }>(
          `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, created_at, schema_version)
           values ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9::timestamptz, now()), $10) returning id`,
          [r.appId ?? 'ai', r.table, r.recordId, r.userId, r.op, JSON.stringify(r.data), JSON.stringify(r.fieldTimestamps ?? {}),
           r.clientId ?? 'test-device', r.createdAt ?? null, r.schemaVersion ?? 1],
        );
        ids.push(out[0]!.id);
      }
      await client.query('commit');
      if (options.fold ?? true) await fold();
      return ids;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
  return {
    name,
    adminUrl,
    runnerUrl: urlFor('mana_ai_test_listener', name),
    admin,
    sync,
    fold,
    async drop() {
      await admin.end();
      const c = new pg.Client({ connectionString: urlFor(process.env.PGUSER ?? 'postgres', 'postgres') });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
