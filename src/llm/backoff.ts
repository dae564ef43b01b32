/**
 * Retry delays: exponential backoff with full jitter (delay drawn uniformly from [0, cap]), and the
 * server's `Retry-After` honoured up to the same maximum.
 */

/** Backoff settings. */
export interface BackoffOptions {
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** Delay before attempt `failedAttempt + 1`: `random() * min(max, base * 2^(failedAttempt-1))`. */
export function backoffDelayMs(failedAttempt: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** Math.max(0, failedAttempt - 1));
  return Math.max(0, Math.floor(random() * ceiling));
}

/**
 * Parses a `Retry-After` header (delay-seconds or an HTTP date) into ms from `nowMs` (wall clock).
 * Returns `undefined` when absent or unusable.
 */
export function parseRetryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The delay to wait: `Retry-After` (capped at `backoffMaxMs`) when given, else jittered backoff. */
export function retryDelayMs(
  failedAttempt: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions,
  random: () => number,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, options.backoffMaxMs);
  return backoffDelayMs(failedAttempt, options, random);
}
