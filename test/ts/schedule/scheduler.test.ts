/**
 * schedule/scheduler.ts with in-process stand-ins for the SQL calls and the runner (the scheduler's
 * whole contract is which of them it calls, and when): which wake-ups tick, that a failed
 * next_wakeup re-arms the timer instead of dropping it, and the manual tick's stats.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SqlTickStats } from '../../../src/db/calls.js';
import { silentLogger } from '../../../src/log.js';
import { createMetrics } from '../../../src/metrics.js';
import type { RunResult } from '../../../src/run/process-run.js';
import { createScheduler, FOLD_BATCH, FOLD_WORKERS, tickStats, type SchedulerDeps } from '../../../src/schedule/scheduler.js';

const STATS = { scannedAt: '2024-01-01T00:00:00.000Z', dueMissionCount: 3 } as SqlTickStats;

function harness(overrides: Partial<SchedulerDeps> = {}) {
  const calls: string[] = [];
  let onTick = () => undefined as void;
  const deps: SchedulerDeps = {
    tick: async () => { calls.push('tick'); onTick(); return STATS; },
    nextWakeup: async () => { calls.push('next'); return null; },
    fold: async () => ({ rows: 0 }),
    runner: {
      drain: async (reason) => { calls.push(`drain:${reason}`); },
      drainAndWait: async (reason) => { calls.push(`drainAndWait:${reason}`); return []; },
    },
    metrics: createMetrics(),
    logger: silentLogger,
    tickIntervalMs: 60_000,
    tickEnabled: false,
    ...overrides,
  };
  const ticked = () => new Promise<void>((resolve) => { onTick = resolve; });
  return { calls, deps, ticked, scheduler: createScheduler(deps) };
}

describe('createScheduler', () => {
  test('a NOTIFY only drains; timer, periodic tick and (re)connect tick first', async () => {
    const { calls, scheduler } = harness();
    await scheduler.wake('notify');
    assert.deepEqual(calls, ['drain:notify', 'next']);
    for (const reason of ['timer', 'tick', 'connected'] as const) {
      calls.length = 0;
      await scheduler.wake(reason);
      assert.deepEqual(calls, ['tick', `drain:${reason}`, 'next'], reason);
    }
    scheduler.stop();
  });

  test('every wake-up folds the capture queue first, until a batch comes back short; manual ticks too', async () => {
    let queued = 7;
    const { calls, scheduler } = harness({
      fold: async (limit) => {
        const rows = Math.min(limit, queued);
        queued -= rows;
        calls.push(`fold:${rows}`);
        return { rows };
      },
    });
    await scheduler.wake('notify');
    assert.deepEqual(calls, ['fold:7', 'drain:notify', 'next'], 'a short first batch: one call, then the claim');
    calls.length = 0;
    await scheduler.tickNow();
    assert.equal(calls[0], 'fold:0', 'POST /internal/tick folds before it ticks');
    assert.equal(calls[1], 'tick');
    scheduler.stop();
  });

  test('a queue that is behind is folded by several folders at once, all of it before the claim', async () => {
    let queued = FOLD_BATCH * 10 + 3;
    let inFlight = 0;
    let maxInFlight = 0;
    const { calls, scheduler } = harness({
      fold: async (limit) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        const rows = Math.min(limit, queued);
        queued -= rows;
        inFlight -= 1;
        return { rows };
      },
    });
    await scheduler.wake('notify');
    assert.equal(queued, 0, 'everything folded');
    assert.equal(maxInFlight, FOLD_WORKERS, 'FOLD_WORKERS folders at once once the first batch came back full');
    assert.deepEqual(calls, ['drain:notify', 'next'], 'then the claim');
    scheduler.stop();
  });

  test('the periodic fold\'s own wake-up drains without folding a second time', async () => {
    let folds = 0;
    const { calls, scheduler } = harness({ fold: async () => { folds += 1; return { rows: 0 }; } });
    await scheduler.wake('fold');
    assert.equal(folds, 0);
    assert.deepEqual(calls, ['drain:fold', 'next']);
    await scheduler.wake('notify');
    assert.equal(folds, 1, 'every other wake-up folds first');
    scheduler.stop();
  });

  test('a failing fold is logged; the wake-up still re-arms the timer', async () => {
    const { calls, scheduler } = harness({ fold: async () => { throw new Error('db down'); } });
    await scheduler.wake('notify');
    assert.deepEqual(calls, ['next']);
    scheduler.stop();
  });

  test('a failing tick is logged, and the timer is still re-armed', async () => {
    const { calls, scheduler } = harness({ tick: async () => { throw new Error('db down'); } });
    await scheduler.wake('timer');
    assert.deepEqual(calls, ['next']);
    scheduler.stop();
  });

  test('a failed next_wakeup re-arms the timer instead of dropping it', { timeout: 10_000 }, async () => {
    let failures = 1;
    const { scheduler, ticked } = harness({
      tickIntervalMs: 10,
      nextWakeup: async () => { if (failures-- > 0) throw new Error('connection reset'); return null; },
    });
    const fired = ticked();
    const keepAlive = setInterval(() => undefined, 1000); // the scheduler's timers are unref'd
    try {
      await scheduler.wake('notify');
      await fired; // the retry timer woke the scheduler, which ticked
    } finally {
      clearInterval(keepAlive);
      scheduler.stop();
    }
  });

  test('after stop, wake-ups do nothing and the periodic tick is off', async () => {
    const { calls, scheduler } = harness({ tickEnabled: true });
    await scheduler.start();
    assert.equal(scheduler.tickRunning(), true);
    scheduler.stop();
    assert.equal(scheduler.tickRunning(), false);
    calls.length = 0;
    await scheduler.wake('notify');
    assert.deepEqual(calls, []);
  });

  test('tickNow ticks, drains and waits, and reports the reference stats', async () => {
    const { calls, scheduler } = harness();
    const stats = await scheduler.tickNow();
    assert.deepEqual(calls.slice(0, 2), ['tick', 'drainAndWait:manual']);
    assert.deepEqual(stats, { scannedAt: STATS.scannedAt, dueMissionCount: 3, plansProduced: 0, plansWrittenBack: 0, parseFailures: 0, errors: [] });
    scheduler.stop();
  });
});

test('tickStats counts plans, write-backs, parse failures and errors', () => {
  const results: RunResult[] = [
    { outcome: 'done', missionId: 'a' },
    { outcome: 'failed', missionId: 'b', parseFailure: true, planProduced: true, message: 'bad plan' },
    { outcome: 'dead', missionId: 'c', parseFailure: false, planProduced: false, message: 'timeout' },
    { outcome: 'superseded', missionId: 'd' },
  ];
  assert.deepEqual(tickStats(STATS, results), {
    scannedAt: STATS.scannedAt, dueMissionCount: 3, plansProduced: 2, plansWrittenBack: 1, parseFailures: 1,
    errors: ['mission=b: bad plan', 'mission=c: timeout'],
  });
});
