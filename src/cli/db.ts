/**
 * A one-shot admin connection for the operator commands (status, explain, tick, rebuild): connects with
 * MANA_AI_ADMIN_DATABASE_URL (falling back to SYNC_DATABASE_URL) via loadAdminConfig, runs one body and
 * closes. Read-only commands run inside `START TRANSACTION READ ONLY`, so Postgres itself guarantees
 * that they write nothing. SQL errors that mean "not migrated" or "wrong role" get an operator's hint.
 */
import pg from 'pg';
import { loadAdminConfig } from '../config.js';
import { targetClient } from '../db/target.js';
import { AppError, coerceError } from '../errors.js';

/** A database error, with a hint for the operator; `sqlState` keeps Postgres' code. */
export class AdminDbError extends AppError {
  readonly sqlState: string | undefined;
  constructor(code: string, message: string, sqlState: string | undefined, options?: ErrorOptions) {
    super(code, message, options);
    this.sqlState = sqlState;
  }
}

/** What the body of {@link withAdminClient} gets. */
export type AdminClient = Pick<pg.Client, 'query'>;

export interface AdminClientOptions {
  /** Run the body in a READ ONLY transaction (status, explain). */
  readOnly?: boolean;
}

/** Adds the operator's next step to the errors an admin command typically meets; other errors pass through. */
export function explainDbError(error: unknown): Error {
  const e = coerceError(error);
  if (!(e instanceof pg.DatabaseError) || typeof e.code !== 'string') return e;
  const sqlState = e.code;
  const base = [e.message, e.detail, e.hint].filter(Boolean).join(' | ');
  if (sqlState === '42883' || sqlState === '3F000' || sqlState === '42P01') {
    return new AdminDbError('NOT_MIGRATED', `${base} — is this database migrated? Run \`mana-ai migrate\``, sqlState, { cause: e });
  }
  if (sqlState === '42501') {
    return new AdminDbError('PERMISSION_DENIED',
      `${base} — connect as the migrating admin (MANA_AI_ADMIN_DATABASE_URL: a superuser or a member of mana_ai_owner), not as the listener's role`,
      sqlState, { cause: e });
  }
  return new AdminDbError(`SQL_${sqlState}`, base, sqlState, { cause: e });
}

/**
 * Connects as the admin named by `env`, runs `body`, and closes the connection.
 * @throws ConfigError for a bad URL; AdminDbError (with a hint) for SQL errors; connection errors as they come.
 */
export async function withAdminClient<T>(
  env: Readonly<Record<string, string | undefined>>,
  command: string,
  body: (client: AdminClient) => Promise<T>,
  options: AdminClientOptions = {},
): Promise<T> {
  const config = loadAdminConfig(env);
  const client = new (targetClient(config.adminDatabaseUrl))({ application_name: `mana-ai ${command}` });
  // A dropped connection surfaces through the pending query; without a listener it would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    if (!options.readOnly) return await body(client);
    await client.query('start transaction read only');
    const result = await body(client);
    await client.query('commit');
    return result;
  } catch (error) {
    throw explainDbError(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
