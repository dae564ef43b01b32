/**
 * Faults end to end: a flaky, a broken, a hanging and a slow LLM, and a plan the parser rejects,
 * each against the real listener and ledger. One database for the file; each case starts its own
 * app with the env it needs (timeouts, lease) and stops it. The fake LLM answers by mission title.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, type TestDb } from '../../support/db.js';
import {
  metricValue, missionRow, missionTitleOf, requestsFor, runsOf, scrape, sleep, startRunner, waitForRun, writeBacksOf,
  type RunningApp, type StartOptions,
} from '../../support/e2e-kit.js';
import { planText, startFakeLlm, type FakeLlm, type FakeLlmReplySpec } from '../../../src/dev/fake-llm.js';

const EMPTY = { content: planText({ summary: 'Nichts', steps: [] }) };

describe('LLM and plan faults', () => {
  let db: TestDb;
  let llm: FakeLlm;
  const apps: RunningApp[] = [];
  /** Title → answer for the n-th request (0-based) of that mission. */
  const scripts = new Map<string, (n: number) => FakeLlmReplySpec>();
  const seen = new Map<string, number>();

  const start = async (options: StartOptions) => {
    const app = await startRunner(db, llm, options);
    apps.push(app);
    return app;
  };

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    llm.setDefault((request) => {
      const title = missionTitleOf(request) ?? '';
      const n = seen.get(title) ?? 0;
      seen.set(title, n + 1);
      return scripts.get(title)?.(n) ?? EMPTY;
    });
  });
  after(async () => {
    for (const app of apps) await app.stop();
    await llm?.close();
    await db?.drop();
  });

  test('LLM 500 then 200: retried inside one attempt, written once', async () => {
    const app = await start({ worker: 'flaky' });
    scripts.set('Flaky', (n) => (n === 0 ? { status: 500, text: 'upstream hiccup' } : EMPTY));
    const before = await scrape(app.base);
    await db.sync(missionRow('u-faults', 'm-flaky', { title: 'Flaky' }));
    const run = await waitForRun(db, 'u-faults', 'm-flaky', ['done']);
    assert.equal(run.attempts, 1, 'one ledger attempt: the retry happened inside the LLM client');
    assert.equal(run.last_error, null);
    assert.equal(requestsFor(llm, 'Flaky').length, 2);
    assert.equal((await writeBacksOf(db, 'u-faults', 'm-flaky')).length, 1);
    const after = await scrape(app.base);
    const delta = (name: string, labels: Record<string, string> = {}) => metricValue(after, name, labels) - metricValue(before, name, labels);
    assert.equal(delta('mana_ai_llm_attempts_total', { outcome: 'http-5xx' }), 1);
    assert.equal(delta('mana_ai_llm_attempts_total', { outcome: 'ok' }), 1);
    assert.equal(delta('mana_ai_planner_request_duration_seconds_count'), 2, 'every LLM call is observed');
    assert.equal(delta('mana_ai_mission_errors_total'), 0);
    assert.equal(delta('mana_ai_plans_written_back_total'), 1);
    await app.stop();
  });

  test('mana_ai_llm_retries_total counts the retry of a flaky call', async () => {
    const app = await start({ worker: 'flaky-2' });
    scripts.set('Flaky again', (n) => (n === 0 ? { status: 503, text: 'busy' } : EMPTY));
    const before = await scrape(app.base);
    await db.sync(missionRow('u-faults', 'm-flaky-2', { title: 'Flaky again' }));
    await waitForRun(db, 'u-faults', 'm-flaky-2', ['done']);
    const after = await scrape(app.base);
    await app.stop();
    // Known bug: the family is registered (src/metrics.ts) but nothing ever increments it.
    assert.equal(metricValue(after, 'mana_ai_llm_retries_total') - metricValue(before, 'mana_ai_llm_retries_total'), 1);
  });

  test('LLM always 500: failed with a classified error, then dead after max attempts with a schedule-only row', async () => {
    await db.admin.query('update mana_ai_private.settings set max_attempts = 2, retry_base_ms = 60000');
    try {
      // One HTTP attempt per ledger attempt keeps the circuit breaker (5 in a row) out of the picture.
      const app = await start({ worker: 'broken', env: { MANA_LLM_MAX_ATTEMPTS: '1' } });
      scripts.set('Broken', () => ({ status: 500, text: 'upstream exploded' }));
      const before = await scrape(app.base);
      await db.sync(missionRow('u-faults', 'm-broken', { title: 'Broken' }));

      const failed = await waitForRun(db, 'u-faults', 'm-broken', ['failed', 'dead']);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.attempts, 1);
      assert.equal(failed.error_class, 'llm:http-5xx');
      assert.equal(failed.last_error, 'mana-llm 500: upstream exploded');
      assert.deepEqual(await writeBacksOf(db, 'u-faults', 'm-broken'), [], 'nothing written on a failed attempt');

      // Make the retry due now instead of in a minute, then advance with a manual tick.
      await db.admin.query(`update mana_ai.runs set retry_at = now() where mission_id = 'm-broken'`);
      const stats = await app.app.tickNow();
      assert.deepEqual(stats.errors, ['mission=m-broken: mana-llm 500: upstream exploded']);
      assert.equal(stats.plansWrittenBack, 0);

      const [dead, ...others] = await runsOf(db, 'u-faults', 'm-broken');
      assert.equal(others.length, 0);
      assert.equal(dead!.status, 'dead');
      assert.equal(dead!.attempts, 2);
      assert.equal(dead!.error_class, 'llm:http-5xx', 'the last error is kept');
      assert.equal(requestsFor(llm, 'Broken').length, 2);

      const rows = await writeBacksOf(db, 'u-faults', 'm-broken');
      assert.equal(rows.length, 1, 'one schedule-only row');
      const row = rows[0]!;
      assert.equal(row.op, 'update');
      assert.deepEqual(Object.keys(row.data).sort(), ['nextRunAt', 'updatedAt']);
      assert.deepEqual(row.field_timestamps, { nextRunAt: row.data.updatedAt, updatedAt: row.data.updatedAt });
      assert.deepEqual(row.actor, { kind: 'system', principalId: 'system:mission-runner', displayName: 'Mission-Runner' });
      const next = Date.parse(row.data.nextRunAt as string);
      assert.ok(Math.abs(next - (Date.parse(row.data.updatedAt as string) + 3_600_000)) < 5_000, 'the schedule moved one interval on');

      const after = await scrape(app.base);
      const delta = (name: string, labels: Record<string, string> = {}) => metricValue(after, name, labels) - metricValue(before, name, labels);
      assert.equal(delta('mana_ai_mission_errors_total'), 2);
      assert.equal(delta('mana_ai_runs_total', { outcome: 'failed' }), 1);
      assert.equal(delta('mana_ai_runs_total', { outcome: 'dead' }), 1);
      assert.equal(delta('mana_ai_plans_written_back_total'), 0);

      // Dead is final: another tick plans nothing for that slot.
      await app.app.tickNow();
      assert.equal(requestsFor(llm, 'Broken').length, 2);
      await app.stop();
    } finally {
      await db.admin.query('update mana_ai_private.settings set max_attempts = 3, retry_base_ms = 30000');
    }
  });

  test('a hanging LLM with MANA_LLM_TIMEOUT_MS=300: "mana-llm timeout" in runs.last_error, a mission error', async () => {
    const app = await start({ worker: 'hang', env: { MANA_LLM_TIMEOUT_MS: '300' } });
    scripts.set('Hang', () => ({ hang: true }));
    const before = await scrape(app.base);
    const t0 = Date.now();
    await db.sync(missionRow('u-faults', 'm-hang', { title: 'Hang' }));
    const run = await waitForRun(db, 'u-faults', 'm-hang', ['failed', 'dead'], 15_000);
    assert.equal(run.status, 'failed');
    assert.equal(run.last_error, 'mana-llm timeout');
    assert.equal(run.error_class, 'llm:timeout');
    const attempts = requestsFor(llm, 'Hang').length;
    assert.equal(attempts, 3, 'MANA_LLM_MAX_ATTEMPTS (default 3) timed-out HTTP attempts');
    assert.ok(Date.now() - t0 < 6_000, 'each attempt was cut at its deadline');
    const after = await scrape(app.base);
    assert.equal(metricValue(after, 'mana_ai_mission_errors_total') - metricValue(before, 'mana_ai_mission_errors_total'), 1);
    assert.equal(metricValue(after, 'mana_ai_llm_attempts_total', { outcome: 'timeout' })
      - metricValue(before, 'mana_ai_llm_attempts_total', { outcome: 'timeout' }), 3);
    assert.deepEqual(await writeBacksOf(db, 'u-faults', 'm-hang'), []);
    await app.stop();
  });

  test('a plan with an unknown tool: parse failure counted, run failed with the reason', async () => {
    const app = await start({ worker: 'parse' });
    scripts.set('Bad plan', () => ({
      content: planText({ summary: 'Raketen', steps: [{ summary: 'Start', toolName: 'launch_rockets', params: {}, rationale: 'weil' }] }),
    }));
    const before = await scrape(app.base);
    await db.sync(missionRow('u-faults', 'm-parse', { title: 'Bad plan' }));
    const run = await waitForRun(db, 'u-faults', 'm-parse', ['failed', 'dead']);
    assert.equal(run.status, 'failed');
    assert.equal(run.error_class, 'parse');
    assert.equal(run.last_error, 'step[0].toolName "launch_rockets" is not in the allowed tool set');
    assert.deepEqual(await writeBacksOf(db, 'u-faults', 'm-parse'), []);
    const after = await scrape(app.base);
    const delta = (name: string) => metricValue(after, name) - metricValue(before, name);
    assert.equal(delta('mana_ai_parse_failures_total'), 1);
    assert.equal(delta('mana_ai_plans_produced_total'), 0);
    assert.equal(delta('mana_ai_plans_written_back_total'), 0);
    await app.stop();
  });

  test('heartbeat: a 600 ms lease outlives a 2 s LLM answer; the run completes once, never claimed twice', async () => {
    const env = { MANA_AI_LEASE_MS: '600', MANA_LLM_TIMEOUT_MS: '5000' };
    // Two listeners: the second would take the run over the moment its lease lapsed.
    const a = await start({ worker: 'hb-a', env });
    const b = await start({ worker: 'hb-b', env });
    scripts.set('Slow', () => ({ ...EMPTY, delayMs: 2_000 }));
    await db.sync(missionRow('u-faults', 'm-slow', { title: 'Slow' }));

    const leases: number[] = [];
    const deadline = Date.now() + 10_000;
    let final;
    while (Date.now() < deadline) {
      const [run] = await runsOf(db, 'u-faults', 'm-slow');
      if (run?.status === 'running' && run.lease_until) leases.push(new Date(run.lease_until).getTime());
      if (run && run.status !== 'running' && run.status !== 'queued') {
        final = run;
        break;
      }
      await sleep(100);
    }
    assert.equal(final?.status, 'done');
    assert.equal(final?.attempts, 1, 'claimed exactly once');
    assert.ok(leases.length >= 10, `sampled the lease while running (${leases.length} samples)`);
    assert.ok(leases.at(-1)! - leases[0]! >= 1_000, 'the lease end moved forward by heartbeats');
    assert.equal(requestsFor(llm, 'Slow').length, 1);
    assert.equal((await writeBacksOf(db, 'u-faults', 'm-slow')).length, 1);
    assert.equal((await runsOf(db, 'u-faults', 'm-slow')).length, 1);
    const [ma, mb] = [await scrape(a.base), await scrape(b.base)];
    const ext = (result: string) => metricValue(ma, 'mana_ai_lease_extensions_total', { result }) + metricValue(mb, 'mana_ai_lease_extensions_total', { result });
    assert.ok(ext('ok') >= 4, `heartbeats extended the lease (${ext('ok')})`);
    assert.equal(ext('lost'), 0);
    await a.stop();
    await b.stop();
  });
});
