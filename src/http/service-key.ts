/**
 * Constant-time check of the `X-Service-Key` header (KI-23). Both sides are hashed with SHA-256
 * first, so the comparison always runs over 32 bytes and neither the key's length nor its prefix
 * leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Returns a checker bound to `expected`; the expected digest is computed once. */
export function createServiceKeyCheck(expected: string): (given: string | undefined) => boolean {
  const want = sha256(expected);
  return (given) => {
    // Hash even a missing header, so "missing" and "wrong" take the same time.
    const have = sha256(given ?? '');
    return timingSafeEqual(want, have) && given !== undefined;
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
