import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCircuitBreaker, type BreakerState } from '../../../src/llm/breaker.js';

const setup = (failureThreshold = 3, cooldownMs = 100) => {
  let clock = 0;
  const changes: string[] = [];
  const breaker = createCircuitBreaker({ failureThreshold, cooldownMs }, () => clock, (from: BreakerState, to: BreakerState) =>
    changes.push(`${from}->${to}`),
  );
  const fail = () => {
    const permit = breaker.acquire();
    assert.ok(permit.ok);
    breaker.release(permit, 'transient-failure');
  };
  return { breaker, changes, fail, tick: (ms: number) => void (clock += ms) };
};

describe('circuit breaker', () => {
  test('opens after N consecutive transient failures; fails fast with the remaining cooldown', () => {
    const { breaker, changes, fail, tick } = setup(3, 100);
    fail();
    fail();
    assert.equal(breaker.state(), 'closed');
    fail();
    assert.equal(breaker.state(), 'open');
    assert.equal(breaker.isOpen(), true);
    tick(40);
    assert.deepEqual(breaker.acquire(), { ok: false, retryInMs: 60 });
    assert.deepEqual(changes, ['closed->open']);
  });

  test('a success or a non-transient failure resets the count', () => {
    const { breaker, fail } = setup(2);
    fail();
    const ok = breaker.acquire();
    assert.ok(ok.ok);
    breaker.release(ok, 'success');
    fail();
    const other = breaker.acquire();
    assert.ok(other.ok);
    breaker.release(other, 'other-failure');
    fail();
    assert.equal(breaker.state(), 'closed');
    fail();
    assert.equal(breaker.state(), 'open');
  });

  test('half-open lets exactly one probe through; success closes', () => {
    const { breaker, changes, fail, tick } = setup(1, 100);
    fail();
    tick(100);
    assert.equal(breaker.state(), 'half-open');
    assert.equal(breaker.isOpen(), false);
    const probe = breaker.acquire();
    assert.deepEqual(probe, { ok: true, probe: true });
    assert.equal(breaker.isOpen(), true);
    assert.deepEqual(breaker.acquire(), { ok: false, retryInMs: 0 });
    breaker.release(probe as { probe: boolean }, 'success');
    assert.equal(breaker.state(), 'closed');
    assert.deepEqual(breaker.acquire(), { ok: true, probe: false });
    assert.deepEqual(changes, ['closed->open', 'half-open->closed']);
  });

  test('a failed probe reopens for a full cooldown; a cancelled probe frees the slot', () => {
    const { breaker, fail, tick } = setup(5, 100);
    for (let i = 0; i < 5; i += 1) fail();
    tick(150);
    const cancelled = breaker.acquire();
    assert.ok(cancelled.ok && cancelled.probe);
    breaker.release(cancelled, 'cancelled');
    assert.equal(breaker.state(), 'half-open');
    const probe = breaker.acquire();
    assert.ok(probe.ok && probe.probe);
    breaker.release(probe, 'transient-failure');
    assert.equal(breaker.state(), 'open');
    tick(99);
    assert.equal(breaker.state(), 'open');
    tick(1);
    assert.equal(breaker.state(), 'half-open');
  });

  test('a late success of a request granted before opening does not close the breaker', () => {
    const { breaker, fail } = setup(1);
    const early = breaker.acquire();
    assert.ok(early.ok);
    fail();
    breaker.release(early, 'success');
    assert.equal(breaker.state(), 'open');
  });
});
