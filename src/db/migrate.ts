/**
 * `mana-ai migrate`: bootstrap (roles, schemas, compat sync_changes), numbered migrations through
 * postgres-migrations, the re-runnable object files, settings and pg_cron schedules. Idempotent: a
 * second run changes nothing. Connects to exactly one database (the admin URL) and nowhere else.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate as runMigrations } from 'postgres-migrations';
import { AppError, coerceError } from '../errors.js';
import type { Logger } from '../log.js';
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

export interface MigrateOptions {
  /** Connection string with rights to create roles and schemas (or a prepared owner). */
  databaseUrl: string;
  /** IANA zone for daily/weekly/cron slots; stored in mana_ai_private.settings when given. */
  timezone?: string;
  logger: Logger;
  /** Override the sql/ directory (tests). */
  sqlDir?: string;
}

export interface MigrateResult {
  migrationsApplied: string[];
  objectsChanged: boolean;
  pgCron: boolean;
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
      const e = coerceError(cause) as Error & { detail?: string; hint?: string; where?: string };
      throw new MigrateError(name, [e.message, e.detail, e.hint, e.where].filter(Boolean).join(' | '), { cause });
    }
  };
  try {
    await client.query(LOCK_KEY, ['mana_ai.migrate']);
    const db = (await client.query<{ db: string; usr: string }>('select current_database() db, current_user usr')).rows[0]!;
    logger.info('migrate start', { database: db.db, user: db.usr });

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
    await client.query('reset role');
    await client.query('reset search_path');

    if (pgCron) {
      await step('schedules', () => client.query(expandSqlFile(`${sqlDir}/schedules.sql`)));
      logger.info('pg_cron schedules in place', { jobs: ['mana-ai-tick', 'mana-ai-retention'] });
    }
    // postgres-migrations reports its own bookkeeping table as migration 0; name only ours.
    const migrationsApplied = applied.filter((m) => m.id > 0).map((m) => m.fileName);
    logger.info('migrate done', { migrationsApplied, objectsChanged, pgCron });
    return { migrationsApplied, objectsChanged, pgCron };
  } finally {
    await client.query(UNLOCK_KEY, ['mana_ai.migrate']).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
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
