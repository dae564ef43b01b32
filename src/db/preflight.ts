/**
 * The checks `serve` makes before it listens: the database speaks the SQL API version this build
 * needs, the role is a least-privilege mana_ai_runner member (not a superuser or RLS bypasser unless
 * MANA_AI_ALLOW_SUPERUSER), and the database schedules in the configured time zone. Failures are
 * classified by SQLSTATE, never by message text.
 */
import type { Config } from '../config.js';
import { AppError, coerceError } from '../errors.js';
import { EXPECTED_API_VERSION, SchemaMismatchError, type RuntimeInfo } from './calls.js';

/** The database role is not one the listener may run as. */
export class RoleRefusedError extends AppError {
  constructor(message: string) {
    super('ROLE_REFUSED', message);
  }
}

/** The database schedules in another zone than MANA_AI_TIMEZONE. */
export class TimezoneMismatchError extends AppError {
  constructor(configured: string, database: string) {
    super('TIMEZONE_MISMATCH',
      `MANA_AI_TIMEZONE is ${configured} but the database schedules in ${database}; run \`mana-ai migrate\` with the same MANA_AI_TIMEZONE`);
  }
}

/** SQLSTATEs that mean the mana_ai API is not installed (or not this shape): never migrated. */
const NOT_MIGRATED = new Set([
  '3F000', // invalid_schema_name: schema mana_ai does not exist
  '42883', // undefined_function: api_version() or runtime_settings() missing
  '42P01', // undefined_table
]);
/** insufficient_privilege: the role may not use the API at all. */
const PERMISSION_DENIED = '42501';

/** Runs every check; resolves when the listener may start, else rejects with the first problem. */
export async function preflight(readInfo: () => Promise<RuntimeInfo>,
  config: Pick<Config, 'allowSuperuser' | 'timezone'>): Promise<RuntimeInfo> {
  const info = await readInfo().catch((error: unknown) => {
    const e = coerceError(error);
    const sqlState = (e as { code?: unknown }).code;
    if (typeof sqlState === 'string' && NOT_MIGRATED.has(sqlState)) throw new SchemaMismatchError(null);
    if (sqlState === PERMISSION_DENIED) {
      throw new RoleRefusedError(`the database role may not use the mana_ai API (${e.message}); ` +
        'run the listener as a member of mana_ai_runner (GRANT mana_ai_runner TO <role>)');
    }
    throw e;
  });
  if (info.apiVersion !== EXPECTED_API_VERSION) throw new SchemaMismatchError(info.apiVersion);
  if ((info.superuser || info.bypassRls) && !config.allowSuperuser) {
    throw new RoleRefusedError(
      `the database role "${info.role}" is a superuser or bypasses RLS; run the listener as a member of mana_ai_runner ` +
        '(CREATE ROLE … LOGIN IN ROLE mana_ai_runner), or set MANA_AI_ALLOW_SUPERUSER=true for development only',
    );
  }
  if (!info.superuser && !info.runnerMember) {
    throw new RoleRefusedError(`the database role "${info.role}" is not a member of mana_ai_runner (GRANT mana_ai_runner TO "${info.role}")`);
  }
  if (info.timezone !== config.timezone) throw new TimezoneMismatchError(config.timezone, info.timezone);
  return info;
}
