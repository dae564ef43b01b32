import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelayMs, parseRetryAfterMs, retryDelayMs } from '../../../src/llm/backoff.js';

const opts = { backoffBaseMs: 100, backoffMaxMs: 1000 };

describe('backoff', () => {
  test('full jitter below an exponential, capped ceiling', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(a, opts, () => 0.999999)), [99, 199, 399, 799, 999, 999]);
    assert.equal(backoffDelayMs(3, opts, () => 0), 0);
  });

  test('Retry-After: seconds, HTTP date, garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfterMs('2', now), 2000);
    assert.equal(parseRetryAfterMs(['3'], now), 3000);
    assert.equal(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfterMs('soon', now), undefined);
    assert.equal(parseRetryAfterMs(undefined, now), undefined);
  });

  test('Retry-After wins but is capped', () => {
    assert.equal(retryDelayMs(1, 500, opts, () => 0), 500);
    assert.equal(retryDelayMs(1, 60_000, opts, () => 0), 1000);
    assert.equal(retryDelayMs(2, undefined, opts, () => 0.5), 100);
  });
});
