/**
 * `mana-ai migrate`: the sync server's table (checked, or the compat table created only when asked),
 * bootstrap (roles, schemas, the takeover of the reference runner's schema), numbered migrations through
 * postgres-migrations, the re-runnable object files, settings, the adoption of the reference runner's
 * rows, pg_cron schedules and the backfill of ai rows the projection has not seen (backfill.ts).
 * Idempotent: a second run changes nothing. Connects to exactly one database (the admin URL) and
 * nowhere else.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate as runMigrations } from 'postgres-migrations';
import { AppError, coerceError } from '../errors.js';
import type { Logger } from '../log.js';
import { backfill, type BackfillResult } from './backfill.js';
import { expandSqlFile } from './sqlfiles.js';
import { targetClient } from './target.js';

/** Where the SQL sources live (the package's own sql/ directory). */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** The migrate step failed; `step` says which one. */
export class MigrateError extends AppError {
  readonly step: string;
  constructor(step: string, message: string, options?: ErrorOptions) {
    super('MIGRATE_FAILED', `migrate failed at ${step}: ${message}`, options);
    this.step = step;
  }
}

/**
 * public.sync_changes is missing and migrate was not asked to create it. The table belongs to the sync
 * server, which creates it at its own boot; a table created by migrate would be owned by the admin, and a
 * sync server running as a non-superuser could then not boot (its every-boot ALTER TABLE needs ownership).
 */
export class SyncChangesMissingError extends AppError {
  constructor(database: string) {
    super('SYNC_CHANGES_MISSING',
      `public.sync_changes does not exist in database ${database}. It belongs to the sync server (mana-sync), ` +
      'which creates it at its own boot: start the sync server against this database first, then run mana-ai migrate again. ' +
      'For development, tests and demo stacks only, `mana-ai migrate --create-sync-changes` creates a compat table. ' +
      'Nothing was created.');
  }
}

/** Rows adopted from the reference runner's tables (mana_ai_private.adopt_reference_tables). */
export interface AdoptedRows {
  decryptAudit: number;
  tokenUsage: number;
  researchJobs: number;
}

export interface MigrateOptions {
  /** Connection string with rights to create roles and schemas (or a prepared owner). */
  databaseUrl: string;
  /** IANA zone for daily/weekly/cron slots; stored in mana_ai_private.settings when given. */
  timezone?: string;
  logger: Logger;
  /** Override the sql/ directory (tests). */
  sqlDir?: string;
  /** Create public.sync_changes (sql/compat) when it is missing: development, tests, demo stacks only. */
  createSyncChanges?: boolean;
  /** Receives the backfill's human progress lines (the CLI writes them to stderr). */
  progress?: (line: string) => void;
}

export interface MigrateResult {
  migrationsApplied: string[];
  objectsChanged: boolean;
  pgCron: boolean;
  /** What was adopted from the reference runner's tables (all 0 on every run but a takeover). */
  adopted: AdoptedRows;
  /** The compat sync_changes table was created by this run. */
  createdSyncChanges: boolean;
  backfill: BackfillResult;
}

const LOCK_KEY = 'select pg_catalog.pg_advisory_lock(pg_catalog.hashtext($1))';
const UNLOCK_KEY = 'select pg_catalog.pg_advisory_unlock(pg_catalog.hashtext($1))';

/** Runs every migrate step in order over one direct connection. */
export async function migrateDatabase(options: MigrateOptions): Promise<MigrateResult> {
  const { logger } = options;
  const sqlDir = options.sqlDir ?? SQL_DIR;
  // A multi-host URL with target_session_attrs=read-write finds the primary (src/db/target.ts).
  const client = new (targetClient(options.databaseUrl))({ application_name: 'mana-ai migrate' });
  client.on('error', (error) => logger.error('migrate connection error', { message: error.message }));
  // WARNINGs raised by the SQL (e.g. an existing sync_changes without FORCE RLS) are for the operator;
  // NOTICEs are the "already exists, skipping" chatter of a re-run.
  client.on('notice', (notice) => {
    if (notice.severity === 'WARNING') logger.warn(notice.message ?? 'database warning', { hint: notice.hint });
  });
  await client.connect();
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (cause) {
      if (cause instanceof SyncChangesMissingError) throw cause; // keeps its own code for the operator
      const e = coerceError(cause) as Error & { detail?: string; hint?: string; where?: string };
      throw new MigrateError(name, [e.message, e.detail, e.hint, e.where].filter(Boolean).join(' | '), { cause });
    }
  };
  try {
    await client.query(LOCK_KEY, ['mana_ai.migrate']);
    const db = (await client.query<{ db: string; usr: string }>('select current_database() db, current_user usr')).rows[0]!;
    logger.info('migrate start', { database: db.db, user: db.usr });

    // First, before anything is created: the sync server's table must be there, or be asked for.
    const createdSyncChanges = await step('sync_changes', () => ensureSyncChanges(client, db.db, sqlDir, options.createSyncChanges === true));
    if (createdSyncChanges) logger.info('created the compat public.sync_changes (--create-sync-changes)', { owner: db.usr });

    await step('bootstrap', () => client.query(expandSqlFile(`${sqlDir}/bootstrap.sql`)));
    const pgCron = await step('pg_cron', () => ensurePgCron(client, logger));

    await client.query('set role mana_ai_owner');
    await client.query('set search_path = mana_ai_private');
    const applied = await step('migrations', () =>
      runMigrations({ client }, `${sqlDir}/migrations`, {
        logger: (msg: string) => logger.debug('postgres-migrations', { detail: msg }),
      }),
    );
    const objectsChanged = await step('objects', () => applyObjects(client, expandSqlFile(`${sqlDir}/objects.sql`)));
    if (options.timezone) {
      await step('settings', () => client.query('select mana_ai_private.set_timezone($1)', [options.timezone]));
    }
    const adopted = await step('takeover', async () =>
      (await client.query<{ r: AdoptedRows }>('select mana_ai_private.adopt_reference_tables() as r')).rows[0]!.r);
    if (adopted.decryptAudit + adopted.tokenUsage + adopted.researchJobs > 0) {
      logger.info('adopted the reference runner\'s rows', {
        decryptAudit: adopted.decryptAudit, tokenUsage: adopted.tokenUsage, researchJobs: adopted.researchJobs });
    }
    await client.query('reset role');
    await client.query('reset search_path');

    if (pgCron) {
      await step('schedules', () => client.query(expandSqlFile(`${sqlDir}/schedules.sql`)));
      logger.info('pg_cron schedules in place', { jobs: ['mana-ai-tick', 'mana-ai-retention'] });
    }
    // Last: rows the log holds that the projection has never folded (docs/architecture.md).
    const filled = await step('backfill', () => backfill(client, { logger, progress: options.progress }));
    // postgres-migrations reports its own bookkeeping table as migration 0; name only ours.
    const migrationsApplied = applied.filter((m) => m.id > 0).map((m) => m.fileName);
    logger.info('migrate done', { migrationsApplied, objectsChanged, pgCron, backfilled: filled.folded });
    return { migrationsApplied, objectsChanged, pgCron, adopted, createdSyncChanges, backfill: filled };
  } finally {
    await client.query(UNLOCK_KEY, ['mana_ai.migrate']).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/**
 * Checks that public.sync_changes exists; creates the compat table (sql/compat/sync_changes.sql) only when
 * `create` is set. Returns whether it created the table.
 * @throws SyncChangesMissingError when the table is missing and `create` is not set (nothing is created).
 */
async function ensureSyncChanges(client: pg.Client, database: string, sqlDir: string, create: boolean): Promise<boolean> {
  const existed =
    (await client.query<{ t: string | null }>(`select to_regclass('public.sync_changes')::text as t`)).rows[0]!.t !== null;
  if (!existed && !create) throw new SyncChangesMissingError(database);
  // On an existing table the file only reads the catalog (and warns when RLS is not forced).
  await client.query(expandSqlFile(`${sqlDir}/compat/sync_changes.sql`));
  return !existed;
}

/** True when the pg_cron extension exists here, creating it if this database allows. Never throws for
 * a database where it cannot be created: the listener's own timer ticks there instead. */
async function ensurePgCron(client: pg.Client, logger: Logger): Promise<boolean> {
  const has = async () =>
    (await client.query(`select 1 from pg_catalog.pg_extension where extname = 'pg_cron'`)).rowCount === 1;
  if (await has()) return true;
  const available =
    (await client.query(`select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron'`)).rowCount === 1;
  if (!available) {
    logger.info('pg_cron is not installed on this server: the listener timer will tick instead');
    return false;
  }
  await client.query('begin');
  try {
    await client.query('create extension if not exists pg_cron');
    await client.query('commit');
    return true;
  } catch (cause) {
    await client.query('rollback');
    logger.warn('pg_cron cannot be created in this database: the listener timer will tick instead', {
      reason: coerceError(cause).message,
    });
    return false;
  }
}

/** Applies the object files in one transaction unless this exact text was applied before. */
async function applyObjects(client: pg.Client, text: string): Promise<boolean> {
  const sha1 = createHash('sha1').update(text).digest('hex');
  await client.query('begin');
  try {
    await client.query(`select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('mana_ai.objects'))`);
    const seen = await client.query('select 1 from mana_ai_private.sql_objects where sha1 = $1', [sha1]);
    if (seen.rowCount === 1) {
      await client.query('rollback');
      return false;
    }
    await client.query(text);
    await client.query('insert into mana_ai_private.sql_objects (sha1) values ($1)', [sha1]);
    await client.query('commit');
    return true;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}
