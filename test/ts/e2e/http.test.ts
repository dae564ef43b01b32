/**
 * The HTTP surface of the real app (docs/operations.md §1, §3, §4; docs/crypto.md §6): createApp with PORT 0,
 * requests over loopback to the port app.start() reports. No fakes behind the routes: health reads
 * the database, the tick runs the SQL tick and drains, the audit route reads through the SQL API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { packageVersion } from '../../../src/cli/commands.js';
import { freshDatabase, type TestDb } from '../../support/db.js';
import { metricValue, startRunner, type RunningApp } from '../../support/e2e-kit.js';
import { startFakeLlm, type FakeLlm } from '../../../src/dev/fake-llm.js';

const KEY = 'correct-horse-battery-staple';

/** docs/operations.md §3: every family, its type, and the buckets of the histograms. */
const FAMILIES: Record<string, { type: 'counter' | 'histogram'; buckets?: number[] }> = {
  mana_ai_http_requests_total: { type: 'counter' },
  mana_ai_http_request_duration_seconds: { type: 'histogram', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
  mana_ai_ticks_total: { type: 'counter' },
  mana_ai_tick_duration_seconds: { type: 'histogram', buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120] },
  mana_ai_plans_produced_total: { type: 'counter' },
  mana_ai_plans_written_back_total: { type: 'counter' },
  mana_ai_parse_failures_total: { type: 'counter' },
  mana_ai_mission_errors_total: { type: 'counter' },
  mana_ai_planner_request_duration_seconds: { type: 'histogram', buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60] },
  mana_ai_snapshots_new_total: { type: 'counter' },
  mana_ai_snapshots_updated_total: { type: 'counter' },
  mana_ai_snapshot_rows_applied_total: { type: 'counter' },
  mana_ai_decrypts_total: { type: 'counter' },
  mana_ai_grant_scope_violations_total: { type: 'counter' },
  mana_ai_grant_skips_total: { type: 'counter' },
  mana_ai_agent_decisions_total: { type: 'counter' },
};

describe('HTTP surface of the running app', () => {
  let db: TestDb;
  let llm: FakeLlm;
  let main: RunningApp;
  let keyless: RunningApp;

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    main = await startRunner(db, llm, {
      worker: 'http-main', version: packageVersion(),
      env: {
        MANA_SERVICE_KEY: KEY, TICK_ENABLED: 'true', TICK_INTERVAL_MS: '600000',
        NODE_ENV: 'development', DEV_BYPASS_AUTH: 'true', DEV_USER_ID: 'user-a',
      },
    });
    keyless = await startRunner(db, llm, { worker: 'http-keyless', env: { MANA_SERVICE_KEY: undefined, NODE_ENV: 'production' } });
  });
  after(async () => {
    await main?.stop();
    await keyless?.stop();
    await llm?.close();
    await db?.drop();
  });

  test('GET /health: 200 with exactly the reference fields plus db and listener state', async () => {
    const res = await fetch(`${main.base}/health`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = await res.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['db', 'lastTickAgeSeconds', 'listener', 'ok', 'service', 'tick', 'version']);
    assert.equal(body.ok, true);
    assert.equal(body.service, 'mana-ai');
    assert.equal(body.version, '0.6.0');
    assert.deepEqual(body.tick, { enabled: true, running: true });
    assert.equal(body.db, 'ok');
    assert.equal(body.listener, 'connected');
    assert.equal(typeof body.lastTickAgeSeconds, 'number', 'start ran a tick');

    const other = await (await fetch(`${keyless.base}/health`)).json() as Record<string, unknown>;
    assert.deepEqual(other.tick, { enabled: false, running: false }, 'TICK_ENABLED=false: nothing scheduled');
  });

  test('GET /metrics: prom-client content type, every family of docs/operations.md §3 with its type and buckets', async () => {
    // Traffic first, so labelled families have samples: a 401 at the gate and an unmatched path.
    await fetch(`${main.base}/internal/tick`, { method: 'POST' });
    await fetch(`${main.base}/no/such/path?x=1`);
    const res = await fetch(`${main.base}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), new Registry().contentType);
    assert.equal(res.headers.get('content-type'), Registry.PROMETHEUS_CONTENT_TYPE);
    const text = await res.text();

    for (const [name, { type, buckets }] of Object.entries(FAMILIES)) {
      assert.ok(text.includes(`\n# TYPE ${name} ${type}\n`), `${name} is a ${type}`);
      if (buckets) {
        const les = new Set<string>();
        for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"`, 'gm'))) les.add(m[1]!);
        assert.deepEqual([...les], [...buckets.map(String), '+Inf'], `${name} buckets`);
      }
    }
    for (const line of text.split('\n').filter((l) => l.startsWith('mana_ai_'))) {
      assert.ok(line.includes('service="mana-ai"'), `default label on ${line}`);
    }
    assert.ok(/^mana_ai_process_cpu_user_seconds_total\{/m.test(text), 'default process metrics carry the mana_ai_ prefix');
    assert.ok(!/^(process|nodejs)_/m.test(text), 'no unprefixed default metrics');
    for (const reason of ['not-configured', 'expired', 'malformed', 'wrap-rejected']) {
      assert.ok(text.includes(`mana_ai_grant_skips_total{reason="${reason}",service="mana-ai"} 0`), `grant skip ${reason} exported at 0`);
    }
    // Requests are labelled by route pattern, never by the raw path.
    assert.equal(metricValue(text, 'mana_ai_http_requests_total', { method: 'POST', path: '/internal/*', status: '401' }), 1);
    assert.equal(metricValue(text, 'mana_ai_http_requests_total', { method: 'GET', path: '/*', status: '404' }), 1);
    assert.ok(metricValue(text, 'mana_ai_http_requests_total', { method: 'GET', path: '/health', status: '200' }) >= 1);
    assert.ok(!text.includes('/no/such/path'));
  });

  test('POST /internal/tick: no, wrong and almost-right keys → 401; the right key → 200 with the tick stats', async () => {
    const post = (headers: Record<string, string>) => fetch(`${main.base}/internal/tick`, { method: 'POST', headers });
    // (Trailing whitespace is no case: HTTP strips it from header values before anyone compares.)
    const cases: Record<string, string>[] = [{}, { 'x-service-key': 'wrong' }, { 'x-service-key': `${KEY.slice(0, -1)}f` },
      { 'x-service-key': KEY.slice(0, -1) }, { 'x-service-key': `${KEY}x` }, { 'x-service-key': KEY.toUpperCase() },
      { authorization: `Bearer ${KEY}` }];
    for (const headers of cases) {
      const res = await post(headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.deepEqual(await res.json(), { error: 'invalid or missing service key' });
    }
    const res = await post({ 'x-service-key': KEY });
    assert.equal(res.status, 200);
    const stats = await res.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(stats).sort(), ['dueMissionCount', 'errors', 'parseFailures', 'plansProduced', 'plansWrittenBack', 'scannedAt']);
    assert.match(stats.scannedAt as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(stats.scannedAt as string) - Date.now()) < 10_000);
    assert.deepEqual({ ...stats, scannedAt: 'x' },
      { scannedAt: 'x', dueMissionCount: 0, plansProduced: 0, plansWrittenBack: 0, parseFailures: 0, errors: [] });
  });

  test('POST /internal/tick without MANA_SERVICE_KEY configured → 503, whatever the header', async () => {
    const cases: Record<string, string>[] = [{}, { 'x-service-key': '' }, { 'x-service-key': KEY }];
    for (const headers of cases) {
      const res = await fetch(`${keyless.base}/internal/tick`, { method: 'POST', headers });
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { error: 'service key not configured' });
    }
  });

  test('GET /api/v1/me/ai-audit with the development bypass returns only DEV_USER_ID\'s rows, newest first', async () => {
    await db.admin.query(`
      insert into mana_ai.decrypt_audit (user_id, mission_id, iteration_id, table_name, record_id, status, reason, ts) values
        ('user-a', 'm1', 'it-1', 'notes', 'n1', 'ok', null, '2026-03-01T10:00:00Z'),
        ('user-b', 'm1', 'it-9', 'notes', 'n9', 'ok', null, '2026-03-01T11:00:00Z'),
        ('user-a', 'm2', null, 'tasks', 't1', 'failed', 'ciphertext-malformed', '2026-03-01T12:00:00Z'),
        ('user-a', 'm1', 'it-2', 'notes', 'n2', 'scope-violation', 'record-not-in-grant-allowlist', '2026-03-01T12:00:00Z'),
        ('user-b', 'm2', 'it-8', 'tasks', 't8', 'failed', 'decrypt-failed', '2026-03-01T13:00:00Z')`);
    const { rows: ids } = await db.admin.query(`select id::text, record_id from mana_ai.decrypt_audit where user_id = 'user-a'`);
    const idOf = (record: string) => ids.find((r) => r.record_id === record)!.id as string;

    const res = await fetch(`${main.base}/api/v1/me/ai-audit`);
    assert.equal(res.status, 200);
    const body = await res.json() as { rows: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(body), ['rows']);
    assert.deepEqual(body.rows, [
      // Equal ts: id DESC breaks the tie (n2 was inserted after t1).
      { id: idOf('n2'), missionId: 'm1', iterationId: 'it-2', tableName: 'notes', recordId: 'n2', status: 'scope-violation',
        reason: 'record-not-in-grant-allowlist', ts: '2026-03-01T12:00:00.000Z' },
      { id: idOf('t1'), missionId: 'm2', iterationId: null, tableName: 'tasks', recordId: 't1', status: 'failed',
        reason: 'ciphertext-malformed', ts: '2026-03-01T12:00:00.000Z' },
      { id: idOf('n1'), missionId: 'm1', iterationId: 'it-1', tableName: 'notes', recordId: 'n1', status: 'ok',
        reason: null, ts: '2026-03-01T10:00:00.000Z' },
    ]);

    const m1 = await (await fetch(`${main.base}/api/v1/me/ai-audit?missionId=m1`)).json() as { rows: { recordId: string }[] };
    assert.deepEqual(m1.rows.map((r) => r.recordId), ['n2', 'n1']);
    const one = await (await fetch(`${main.base}/api/v1/me/ai-audit?limit=1`)).json() as { rows: { recordId: string }[] };
    assert.deepEqual(one.rows.map((r) => r.recordId), ['n2']);
    const junk = await (await fetch(`${main.base}/api/v1/me/ai-audit?limit=abc`)).json() as { rows: unknown[] };
    assert.equal(junk.rows.length, 3, 'a non-numeric limit means the default (200)');
    const other = await (await fetch(`${main.base}/api/v1/me/ai-audit?missionId=m2`)).json() as { rows: { recordId: string }[] };
    assert.deepEqual(other.rows.map((r) => r.recordId), ['t1'], 'user-b\'s m2 row stays hidden');
  });

  test('GET /api/v1/me/ai-audit without the bypass and without a token → 401 plain text', async () => {
    const res = await fetch(`${keyless.base}/api/v1/me/ai-audit`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await res.text(), /Unauthorized/);
  });
});
