/**
 * src/run/lease.ts: heartbeats, losing the lease once, and the final call that stops the heartbeats.
 * The SQL side (extend_lease's fencing) is tested in pgTAP and through processRun against a real
 * database (process-run.test.ts); here the call is a stand-in so the timing is in the test's hands.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromPgError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { createMetrics } from '../../../src/metrics.js';
import { holdLease } from '../../../src/run/lease.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(answer: () => Date | null) {
  const lines: Array<Record<string, unknown>> = [];
  const metrics = createMetrics();
  const lost: string[] = [];
  let sent = 0;
  const lease = holdLease({
    calls: { extendLease: async () => { sent += 1; return answer(); } },
    metrics, log: createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) }),
    runId: '1', token: 't', leaseMs: 60_000, heartbeatMs: 5, onLost: (why) => lost.push(why),
  });
  const count = async (result: string) =>
    (await metrics.leaseExtensions.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  return { lease, lost, lines, count, sent: () => sent };
}

describe('holdLease', () => {
  test('heartbeats extend the lease and are counted ok', async () => {
    const { lease, lost, count } = setup(() => new Date());
    await sleep(40);
    lease.stop();
    assert.ok((await count('ok')) >= 2);
    assert.deepEqual(lost, []);
    assert.equal(lease.lost, false);
  });

  test('a heartbeat answered NULL loses the lease once, counted and logged', async () => {
    const { lease, lost, lines, count } = setup(() => null);
    await sleep(40);
    lease.stop();
    assert.deepEqual(lost, ['heartbeat'], 'told once');
    assert.equal(lease.lost, true);
    assert.ok((await count('lost')) >= 1);
    assert.equal(lines.filter((l) => String(l.msg).startsWith('lease lost')).length, 1);
  });

  test('a leased call refused with the lease-lost SQLSTATE loses the lease and rethrows', async () => {
    const { lease, lost } = setup(() => new Date());
    const refused = fromPgError(Object.assign(new Error('lease lost'), { code: 'MA102' }));
    await assert.rejects(lease.leased(Promise.reject(refused)), refused);
    lease.stop();
    assert.deepEqual(lost, ['MA102']);
  });

  test('after the final call is sent no heartbeat is sent, and none counts', async () => {
    const { lease, lost, count, sent } = setup(() => null);
    await lease.settle(async () => 'done');
    const before = sent();
    await sleep(30);
    lease.stop();
    assert.equal(sent(), before, 'no heartbeat once the final call was sent');
    assert.deepEqual(lost, []);
    assert.equal(await count('lost'), 0);
  });
});
