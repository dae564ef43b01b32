/**
 * processRun against a real database and the loopback fake LLM, for what the end-to-end suites cannot
 * time deterministically: a heartbeat that is still in flight when the run's own final SQL call
 * commits must not be counted (or logged) as a lost lease; and the prompt's input size limit with
 * the metric and log line it leaves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadPrivateKey } from '../../../src/crypto/grant.js';
import { createCalls, type Calls } from '../../../src/db/calls.js';
import { createLlmClient } from '../../../src/llm/client.js';
import { createLogger } from '../../../src/log.js';
import { createMetrics } from '../../../src/metrics.js';
import { processRun } from '../../../src/run/process-run.js';
import { freshDatabase, type TestDb } from '../../support/db.js';
import { missionRow, recordRow, sleep, userMessage } from '../../support/e2e-kit.js';
import { startFakeLlm, type FakeLlm } from '../../../src/dev/fake-llm.js';

const HEARTBEAT_MS = 20;

describe('processRun', () => {
  let db: TestDb;
  let llm: FakeLlm;
  let pool: pg.Pool;
  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    pool = new pg.Pool({ connectionString: db.runnerUrl, max: 4 });
  });
  after(async () => {
    await pool.end();
    await llm.close();
    await db.drop();
  });

  test('heartbeats that meet the run\'s own completion are neither counted nor treated as a lost lease', async () => {
    await db.sync(missionRow('u-pr', 'm-pr', { title: 'Heartbeat race' }));
    const real = createCalls(pool);
    let sentAfterFinalStarted = 0;
    let finalStarted = false;
    // The real calls, except that completeRun holds its answer back for several heartbeat periods after
    // the commit: every heartbeat in that window finds the run already done (extend_lease → NULL).
    const calls: Calls = {
      ...real,
      extendLease: async (...args: Parameters<Calls['extendLease']>) => {
        // judged when sent: a heartbeat sent just before the final call may still be answered after the
        // commit (it waits for the run row complete_run holds), and must then not count as a lost lease
        if (finalStarted) sentAfterFinalStarted += 1;
        return real.extendLease(...args);
      },
      completeRun: async (...args: Parameters<Calls['completeRun']>) => {
        finalStarted = true;
        const result = await real.completeRun(...args);
        await sleep(HEARTBEAT_MS * 6);
        return result;
      },
    };
    const [run] = await real.claimRuns('w-pr', 1, 60_000);
    assert.ok(run, 'the mission is due and claimed');
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) });
    const metrics = createMetrics();
    const result = await processRun(run, {
      calls, metrics, logger, leaseMs: 60_000, heartbeatMs: HEARTBEAT_MS, grantKey: loadPrivateKey(undefined),
      llm: createLlmClient({ baseUrl: llm.url, model: 'm', timeoutMs: 5_000, backoffBaseMs: 1, backoffMaxMs: 1,
        breaker: { failureThreshold: 5, cooldownMs: 1_000 }, logger }),
    });
    assert.deepEqual(result, { outcome: 'done', missionId: 'm-pr' });
    assert.equal(sentAfterFinalStarted, 0, 'no heartbeat was sent once the final call had started');
    const lease = await metrics.leaseExtensions.get();
    assert.equal(lease.values.find((v) => v.labels.result === 'lost')?.value ?? 0, 0, 'no lost lease counted');
    assert.ok(!lines.some((l) => String(l.msg).startsWith('lease lost')), 'no lease-lost warning');
  });

  test('an input over the prompt input size limit is cut, noted in the prompt, counted and logged', async () => {
    // A goal (the plaintext resolver) whose period is 5,000 characters: its content line is that long.
    await db.sync(recordRow('u-lim', 'companion', 'companionGoals', 'g-huge', { title: 'Lang', period: 'p'.repeat(5000) }));
    await db.sync(missionRow('u-lim', 'm-lim', { title: 'Limit', inputs: [{ module: 'goals', table: 'companionGoals', id: 'g-huge' }] }));
    const calls = createCalls(pool);
    const [run] = await calls.claimRuns('w-lim', 1, 60_000);
    assert.ok(run, 'the mission is due and claimed');
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) });
    const metrics = createMetrics();
    const before = llm.requests.length;
    const result = await processRun(run, {
      calls, metrics, logger, leaseMs: 60_000, grantKey: loadPrivateKey(undefined), promptMaxChars: 1000,
      llm: createLlmClient({ baseUrl: llm.url, model: 'm', timeoutMs: 5_000, backoffBaseMs: 1, backoffMaxMs: 1,
        breaker: { failureThreshold: 5, cooldownMs: 1_000 }, logger }),
    });
    assert.deepEqual(result, { outcome: 'done', missionId: 'm-lim' });
    const user = userMessage(llm.requests[before]!);
    assert.match(user, /<user_data>\nFortschritt: 0 \/ \? \(p{979}…\n<\/user_data>/, 'the content is cut to 1,000 characters');
    assert.match(user, /mehr als 1000 Zeichen haben \(die längsten zuerst\): goals\/companionGoals: Lang \(5021 → 1000 Zeichen\)/);
    assert.equal((await metrics.promptInputsCut.get()).values[0]?.value, 1, 'mana_ai_prompt_inputs_cut_total');
    const warned = lines.find((l) => l.msg === 'inputs cut to the prompt input size limit');
    assert.deepEqual(warned?.cuts, [{ module: 'goals', table: 'companionGoals', id: 'g-huge', from: 5021, to: 1000 }]);
    assert.equal(warned?.limit_chars, 1000);
  });
});
