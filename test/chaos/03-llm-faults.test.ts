/**
 * Scenario 3: LLM faults the e2e suite does not cover yet, against the real listener process. The fake
 * LLM answers by mission title: headers after 5 s (past MANA_LLM_TIMEOUT_MS), a 200 whose body drips
 * forever, invalid JSON, a body over the 1 MiB cap, a 400, a 429, a socket destroyed mid-request, and
 * valid answers carrying bad plans (prose, truncated JSON, steps not an array, six steps, params as an
 * array, no content at all). A second listener points at a closed loopback port (connection refused).
 *
 * Bounds: 2 HTTP attempts per call, 2 ledger attempts (settings), retries after 0.5–1 s. Every faulty
 * run must end `dead` with its classified runs.error_class and a last_error, after exactly 2 ledger
 * attempts and with the schedule-only row; nothing stays queued/running/failed. Meanwhile another
 * user's 20 missions, due at the same time, must flow: planned exactly once each while the faulty ones
 * are still failing.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  checkIntegrity, insertRows, killAll, recordResult, serveEnv, spawnServe, terminate, until, type Expected,
} from '../support/chaos-kit.js';
import { freshDatabase, type TestDb } from '../support/db.js';
import { metricValue, missionRow, missionTitleOf } from '../support/e2e-kit.js';
import { chatCompletion, planText, startFakeLlm, type FakeLlm, type FakeLlmReplySpec } from '../../src/dev/fake-llm.js';

const OK = { content: planText({ summary: 'Alles gut', steps: [] }), delayMs: 100 };
const step = (i: number) => ({ summary: `Schritt ${i}`, toolName: 'create_task', params: { title: `T${i}` }, rationale: 'weil' });

/** title → [reply, expected runs.error_class, LLM attempt outcome label or null]. */
const FAULTS: Record<string, [FakeLlmReplySpec, string, string | null]> = {
  'Fault header-timeout': [{ ...OK, delayMs: 5_000 }, 'llm:timeout', 'timeout'],
  'Fault drip': [{ status: 200, text: '{"choices": [', drip: { everyMs: 100 } }, 'llm:timeout', 'timeout'],
  'Fault bad-json': [{ status: 200, text: '{"choices": [{"message": {"content": "```json', headers: { 'content-type': 'application/json' } }, 'llm:bad-json', 'bad-json'],
  'Fault huge': [{ status: 200, text: `{"x": "${'a'.repeat(2 * 1024 * 1024)}"}`, headers: { 'content-type': 'application/json' } }, 'llm:too-large', 'too-large'],
  'Fault 400': [{ status: 400, text: 'model not found' }, 'llm:http-4xx', 'http-4xx'],
  'Fault 429': [{ status: 429, text: 'slow down', headers: { 'retry-after': '0' } }, 'llm:http-429', 'http-429'],
  'Fault reset': [{ destroy: true }, 'llm:connect', 'connect'],
  'Plan prose': [{ content: 'Ich kann dabei leider nicht helfen.' }, 'parse', null],
  'Plan truncated': [{ content: '```json\n{"summary": "Halb", "steps": [{"summary": "x", "toolName": "create_task"' }, 'parse', null],
  'Plan steps-object': [{ content: planText({ summary: 'Objekt', steps: { a: 1 } }) }, 'parse', null],
  'Plan six-steps': [{ content: planText({ summary: 'Zu viel', steps: [1, 2, 3, 4, 5, 6].map(step) }) }, 'parse', null],
  'Plan params-array': [{ content: planText({ summary: 'Liste', steps: [{ ...step(1), params: ['x'] }] }) }, 'parse', null],
  'Plan no-content': [{ json: { ...(chatCompletion('') as object), choices: [] } }, 'parse', null],
};

/** A loopback port nobody listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('scenario 3: LLM faults', () => {
  let db: TestDb;
  let refusedDb: TestDb;
  let llm: FakeLlm;

  before(async () => {
    [db, refusedDb] = await Promise.all([freshDatabase(), freshDatabase()]);
    llm = await startFakeLlm();
    llm.setDefault((request) => {
      const title = missionTitleOf(request) ?? '';
      return FAULTS[title]?.[0] ?? OK;
    });
    const bounds = 'update mana_ai_private.settings set max_attempts = 2, retry_base_ms = 500, retry_max_ms = 1000';
    await Promise.all([db.admin.query(bounds), refusedDb.admin.query(bounds)]);
  });
  after(async () => {
    await killAll();
    await llm?.close();
    await db?.drop();
    await refusedDb?.drop();
  });

  test('every fault ends dead with its class after bounded retries; the healthy user flows meanwhile', async (t) => {
    const env = serveEnv(db.runnerUrl, llm.url, {
      MANA_LLM_TIMEOUT_MS: '800', MANA_LLM_MAX_ATTEMPTS: '2', MANA_AI_CONCURRENCY: '4', TICK_INTERVAL_MS: '1000',
    });
    const refusedEnv = serveEnv(refusedDb.runnerUrl, `http://127.0.0.1:${await closedPort()}`, {
      MANA_LLM_TIMEOUT_MS: '800', MANA_LLM_MAX_ATTEMPTS: '2', TICK_INTERVAL_MS: '1000',
    });
    const listener = spawnServe('faults', env);
    const refused = spawnServe('refused', refusedEnv);
    const [port] = await Promise.all([listener.started(), refused.started()]);

    // Faulty missions hold the oldest slot, so they are claimed first (the worst case for the others).
    const titles = Object.keys(FAULTS);
    const bad = titles.map((title, i) => missionRow('llm-bad', `bad-${i}`, { title, nextRunAt: '2026-01-01T00:00:00.000Z' }));
    const good = Array.from({ length: 20 }, (_, i) => missionRow('llm-good', `good-${i}`, { title: `Healthy ${i}`, nextRunAt: '2026-01-01T00:00:01.000Z' }));
    const t0 = Date.now();
    await insertRows(db.admin, [...bad, ...good], 100);
    await insertRows(refusedDb.admin, [missionRow('llm-refused', 'refused-1', { title: 'Refused 1' }), missionRow('llm-refused', 'refused-2', { title: 'Refused 2' })]);

    const statusOf = async (pool: TestDb, user: string) => (await pool.admin.query<{ status: string; n: number }>(
      `select status, count(*)::int n from mana_ai.runs where user_id = $1 group by 1 order by 1`, [user])).rows
      .map((r) => `${r.status}:${r.n}`).join(' ');
    await until(async () => (await statusOf(db, 'llm-good')) === 'done:20', 30_000, () => statusOf(db, 'llm-good'));
    const goodMs = Date.now() - t0;
    const badWhenGoodDone = await statusOf(db, 'llm-bad');
    t.diagnostic(`healthy user: 20/20 done after ${goodMs} ms; faulty user then: ${badWhenGoodDone}`);
    assert.notEqual(badWhenGoodDone, `dead:${titles.length}`, 'the healthy missions did not wait for the faulty ones to finish');

    await until(async () => (await statusOf(db, 'llm-bad')) === `dead:${titles.length}`, 60_000, () => statusOf(db, 'llm-bad'));
    await until(async () => (await statusOf(refusedDb, 'llm-refused')) === 'dead:2', 30_000, () => statusOf(refusedDb, 'llm-refused'));
    const badMs = Date.now() - t0;

    const { rows: runs } = await db.admin.query<{ mission_id: string; attempts: number; error_class: string; last_error: string; schedule_advanced: boolean }>(
      `select mission_id, attempts, error_class, last_error, schedule_advanced from mana_ai.runs where user_id = 'llm-bad'`);
    const { rows: refusedRuns } = await refusedDb.admin.query<{ attempts: number; error_class: string; last_error: string }>(
      `select attempts, error_class, last_error from mana_ai.runs where user_id = 'llm-refused'`);
    const classes: Record<string, string> = {};
    for (const r of runs) {
      const title = bad.find((b) => b.recordId === r.mission_id)!.data as { title: string };
      classes[title.title] = r.error_class;
      assert.equal(r.attempts, 2, `${title.title}: two ledger attempts`);
      assert.ok(r.last_error && r.last_error.length > 0, `${title.title}: last_error kept`);
      assert.equal(r.schedule_advanced, true, `${title.title}: the schedule moved on`);
    }
    assert.deepEqual(classes, Object.fromEntries(titles.map((title) => [title, FAULTS[title]![1]])));
    for (const r of refusedRuns) {
      assert.equal(r.error_class, 'llm:connect');
      assert.match(r.last_error, /^mana-llm connection failed: .*ECONNREFUSED/);
      assert.equal(r.attempts, 2);
    }
    const { rows: [wb] } = await db.admin.query<{ iterations: number; schedule_only: number }>(
      `select count(*) filter (where data ? 'iterations')::int iterations, count(*) filter (where not data ? 'iterations')::int schedule_only
         from public.sync_changes where user_id = 'llm-bad' and client_id = 'mana-ai-runner'`);
    assert.deepEqual(wb, { iterations: 0, schedule_only: titles.length }, 'no iteration for a fault; one schedule-only row each');

    const expected: Expected[] = good.map((g) => ({ userId: g.userId, missionId: g.recordId }));
    const result = await checkIntegrity(db.admin, expected);
    assert.deepEqual(result.problems, []);

    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const [, [, , outcome]] of Object.entries(FAULTS)) {
      if (outcome) assert.ok(metricValue(text, 'mana_ai_llm_attempts_total', { outcome }) >= 2, `attempts with outcome ${outcome} counted`);
    }
    assert.equal(metricValue(text, 'mana_ai_parse_failures_total'), 2 * titles.filter((x) => x.startsWith('Plan ')).length);
    assert.equal(metricValue(text, 'mana_ai_runs_total', { outcome: 'dead' }), titles.length);
    const open = metricValue(text, 'mana_ai_llm_circuit_open');
    t.diagnostic(`faults dead after ${badMs} ms; circuit open now: ${open}; attempts by outcome: ${['ok', 'timeout', 'bad-json', 'too-large', 'http-4xx', 'http-429', 'connect']
      .map((o) => `${o}=${metricValue(text, 'mana_ai_llm_attempts_total', { outcome: o })}`).join(' ')}`);

    // Five transient failures in a row open the process-wide breaker for 30 s: claims pause (released
    // runs keep their attempts), which is what stretches the tail of the faulty runs.
    const opened = (p: typeof listener) => p.logs().filter((l) => l.msg === 'llm circuit breaker opened').length;
    const breaker = opened(listener) + opened(refused);
    t.diagnostic(`circuit breaker opened ${opened(listener)}x in the faults listener, ${opened(refused)}x in the connection-refused one`);

    assert.equal(await terminate(listener), 0);
    assert.equal(await terminate(refused), 0);
    recordResult({
      scenario: '3 LLM faults',
      inputs: `${titles.length - 6} transport faults (header timeout, endless drip, bad JSON, 2 MiB body, 400, 429, reset) + 6 bad plans + connection refused (2 runs); 20 healthy missions of another user`,
      outcome: `every fault dead after 2 attempts with its class (${[...new Set([...Object.values(classes), 'llm:connect'])].join(', ')}) in ${(badMs / 1000).toFixed(1)} s (breaker opened ${breaker}x, 30 s cooldown); healthy 20/20 done once in ${(goodMs / 1000).toFixed(1)} s`,
      lost: result.lost,
      duplicated: result.duplicated,
    });
  });
});
