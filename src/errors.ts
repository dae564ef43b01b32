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
