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

/**
 * The SQLSTATEs our SQL raises on purpose: the one catalogue. Each has the stable `code` its
 * {@link SqlApiError} carries and the meaning the README's "Errors raised on purpose" table shows;
 * test/ts/errors.test.ts fails when the README table or the `errcode` of a `raise` under sql/
 * disagrees with this list.
 */
export const SQLSTATES = Object.freeze({
  MA001: { code: 'UNKNOWN_TIMEZONE', meaning: 'unknown time zone (`set_timezone`, i.e. `MANA_AI_TIMEZONE` at migrate)' },
  MA010: { code: 'REPLAY_WITHOUT_USER', meaning: 'single-record replay without a user id' },
  MA101: { code: 'INVALID_ARGUMENT', meaning: 'invalid argument (e.g. `claim_runs` without a worker, negative `tokens`)' },
  MA102: { code: 'LEASE_LOST', meaning: 'lease lost: `replay_input` with a token that is not the current lease (`load_run` answers NULL)' },
  MA103: { code: 'INVALID_ITERATION', meaning: '`complete_run` iteration is not an object with a string `id`' },
  MA104: { code: 'MISSION_UNREADABLE', meaning: 'a projected mission whose record cannot be read' },
  MA105: { code: 'EMPTY_USER_SCOPE', meaning: 'a run without a user id (would write outside any RLS scope)' },
  MA201: { code: 'LEASE_LOST', meaning: 'lease lost on `record_decrypt_audit`' },
  MA202: { code: 'INVALID_AUDIT_STATUS', meaning: 'audit status not one of `ok`, `failed`, `scope-violation`' },
  MA203: { code: 'AUDIT_FIELD_MISSING', meaning: 'audit row without table name or record id' },
  MA204: { code: 'AUDIT_WITHOUT_USER', meaning: 'audit read without a user' },
  MA205: { code: 'AUDIT_APPEND_ONLY', meaning: 'any UPDATE of `mana_ai.decrypt_audit` (append-only)' },
  MA301: { code: 'TAKEOVER_NOT_PERMITTED', meaning: 'migrate cannot take over the reference runner\'s schema `mana_ai` as this role (needs a superuser or a member of its owner, once)' },
  MA302: { code: 'TAKEOVER_STAGING_CONFLICT', meaning: 'migrate found a reference table both in `mana_ai` and in its staging schema `mana_ai_takeover`' },
  MA303: { code: 'TAKEOVER_STAGING_UNKNOWN', meaning: 'the staging schema `mana_ai_takeover` holds a table migrate does not know' },
  MA304: { code: 'DETACH_NOT_PERMITTED', meaning: '`mana-ai detach` as a role that does not own `sync_changes` (dropping a trigger needs ownership)' },
  MA305: { code: 'NOT_MIGRATED', meaning: '`mana-ai detach` on a database that was never migrated' },
} satisfies Record<string, { code: string; meaning: string }>);

/** The stable code of each of our SQLSTATEs (derived from {@link SQLSTATES}). */
export const SQLSTATE_CODES: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.entries(SQLSTATES).map(([state, { code }]) => [state, code])));

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
