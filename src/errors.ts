/**
 * Error classes with stable codes. Every `catch` passes what it caught through {@link coerceError}
 * first, so logs and classified failures always see an `Error` with a `code`.
 */

/** Base class: a stable machine-readable `code` plus a human message; keeps `cause`. */
export class AppError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Configuration problems found at start; `problems` lists every one of them. */
export class ConfigError extends AppError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** Turns anything thrown into an Error (non-Error values are wrapped, never lost). */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new AppError('NON_ERROR_THROWN', value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return new AppError('NON_ERROR_THROWN', text);
}

/** The `code` of an error if it has a string one, else a fallback. */
export function errorCode(error: unknown, fallback = 'INTERNAL'): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length > 0 ? code : fallback;
}

/** The shape errors take in JSON logs: never the Error object itself (it serialises to `{}`). */
export function errorFields(error: unknown): { code: string; message: string } {
  const e = coerceError(error);
  return { code: errorCode(e), message: e.message };
}

/** The SQLSTATEs our SQL raises on purpose (README "Errors raised on purpose"), by stable code. */
export const SQLSTATE_CODES: Readonly<Record<string, string>> = Object.freeze({
  MA001: 'UNKNOWN_TIMEZONE',
  MA010: 'REPLAY_WITHOUT_USER',
  MA101: 'INVALID_ARGUMENT',
  MA102: 'LEASE_LOST',
  MA103: 'INVALID_ITERATION',
  MA104: 'MISSION_UNREADABLE',
  MA105: 'EMPTY_USER_SCOPE',
  MA201: 'LEASE_LOST',
  MA202: 'INVALID_AUDIT_STATUS',
  MA203: 'AUDIT_FIELD_MISSING',
  MA204: 'AUDIT_WITHOUT_USER',
  MA205: 'AUDIT_APPEND_ONLY',
  MA301: 'TAKEOVER_NOT_PERMITTED',
  MA302: 'TAKEOVER_STAGING_CONFLICT',
  MA303: 'TAKEOVER_STAGING_UNKNOWN',
  MA304: 'DETACH_NOT_PERMITTED',
  MA305: 'NOT_MIGRATED',
});

/** A deliberate error of the SQL API, identified by its SQLSTATE. */
export class SqlApiError extends AppError {
  readonly sqlState: string;
  constructor(sqlState: string, message: string, options?: ErrorOptions) {
    super(SQLSTATE_CODES[sqlState] ?? 'SQL_API', message, options);
    this.sqlState = sqlState;
  }
}

/** The run's lease belongs to someone else now (another listener re-claimed it). */
export class LeaseLostError extends SqlApiError {}

/** Maps a pg error carrying one of our SQLSTATEs to its class; anything else is returned unchanged. */
export function fromPgError(error: unknown): Error {
  const e = coerceError(error);
  const sqlState = (e as { code?: unknown }).code;
  if (typeof sqlState !== 'string' || !(sqlState in SQLSTATE_CODES)) return e;
  return SQLSTATE_CODES[sqlState] === 'LEASE_LOST'
    ? new LeaseLostError(sqlState, e.message, { cause: e })
    : new SqlApiError(sqlState, e.message, { cause: e });
}
