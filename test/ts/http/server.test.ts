import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { call, requestCount, startApp, TICK_STATS, type App } from './support.js';

const KEY = 'service-key-0123456789';

describe('GET /health', () => {
  let app: App;
  before(async () => { app = await startApp({ MANA_SERVICE_KEY: KEY }); });
  after(() => app.close());

  test('200 with the reference fields exact, plus the project fields', async () => {
    app.healthInfo = { db: 'ok', listener: 'connected', lastTickAgeSeconds: 12, tick: { enabled: true, running: false } };
    const res = await call(`${app.base}/health`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.text, '{"ok":true,"service":"mana-ai","version":"0.6.0","tick":{"enabled":true,"running":false},'
      + '"db":"ok","listener":"connected","lastTickAgeSeconds":12}');
  });

  test('503 with ok:false when the database is unreachable', async () => {
    app.healthInfo = { db: 'unreachable', listener: 'reconnecting', lastTickAgeSeconds: null, tick: { enabled: false, running: false } };
    const res = await call(`${app.base}/health`);
    assert.equal(res.status, 503);
    assert.deepEqual(JSON.parse(res.text), { ok: false, service: 'mana-ai', version: '0.6.0',
      tick: { enabled: false, running: false }, db: 'unreachable', listener: 'reconnecting', lastTickAgeSeconds: null });
  });

  test('503 without a stack trace when the probe itself throws', async () => {
    app.healthInfo = new Error('pool exploded');
    const res = await call(`${app.base}/health`);
    assert.equal(res.status, 503);
    assert.deepEqual(JSON.parse(res.text), { ok: false, service: 'mana-ai', version: '0.6.0', error: 'health check failed' });
  });

  test('a hanging probe is cut off by healthTimeoutMs', async () => {
    const slow = await startApp({}, { health: () => new Promise(() => undefined), limits: { healthTimeoutMs: 50 } });
    try {
      assert.equal((await call(`${slow.base}/health`)).status, 503);
    } finally {
      await slow.close();
    }
  });
});

describe('GET /metrics and routing', () => {
  let app: App;
  before(async () => { app = await startApp({ MANA_SERVICE_KEY: KEY }); });
  after(() => app.close());

  test('serves the registry in its own content type', async () => {
    const res = await call(`${app.base}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), app.metrics.registry.contentType);
    assert.match(res.text, /^# HELP /m);
    assert.match(res.text, /mana_ai_ticks_total\{service="mana-ai"\} 0/);
  });

  test('unknown routes are 404 {"error":"not found"}, wrong methods 405 with Allow', async () => {
    const missing = await call(`${app.base}/nope/123?x=1`);
    assert.equal(missing.status, 404);
    assert.equal(missing.text, '{"error":"not found"}');
    const wrong = await call(`${app.base}/health`, { method: 'POST' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD');
    assert.equal((await call(`${app.base}/health`, { method: 'HEAD' })).status, 200);
  });

  test('path labels are route patterns, never raw paths', async () => {
    await call(`${app.base}/health?probe=1`);
    await call(`${app.base}/does/not/exist`);
    await call(`${app.base}/internal/tick`, { method: 'POST' });
    await call(`${app.base}/internal/secret-thing`, { method: 'POST' });
    await call(`${app.base}/internal/tick`, { method: 'POST', headers: { 'x-service-key': KEY } });
    await call(`${app.base}/internal/other`, { method: 'GET', headers: { 'x-service-key': KEY } });
    await call(`${app.base}/metrics`);
    await call(`${app.base}/api/v1/me/ai-audit`);
    const count = (method: string, path: string, status: string) => requestCount(app.metrics, { method, path, status });
    assert.ok((await count('GET', '/health', '200')) >= 1);
    assert.equal(await count('GET', '/*', '404'), 2); // with /nope/123 of the test above
    assert.equal(await count('POST', '/internal/*', '401'), 2);
    assert.equal(await count('POST', '/internal/tick', '200'), 1);
    assert.equal(await count('GET', '/internal/*', '404'), 1);
    assert.ok((await count('GET', '/metrics', '200')) >= 1);
    assert.equal(await count('GET', '/api/v1/me/ai-audit', '401'), 1);
    const { values } = await app.metrics.httpRequests.get();
    const paths = new Set(values.map((v) => v.labels.path));
    for (const p of paths) assert.ok(['/health', '/metrics', '/internal/tick', '/api/v1/me/ai-audit', '/internal/*', '/*'].includes(String(p)), String(p));
    const { values: durations } = await app.metrics.httpRequestDuration.get();
    assert.ok(durations.some((v) => v.labels.path === '/internal/tick' && v.metricName?.endsWith('_count') && v.value === 1));
  });

  test('a body above the limit is refused with 413', async () => {
    const small = await startApp({ MANA_SERVICE_KEY: KEY }, { limits: { bodyBytes: 1024 } });
    try {
      // Declared too large: refused before reading.
      const declared = await call(`${small.base}/internal/tick`, { method: 'POST', headers: { 'x-service-key': KEY },
        body: 'x'.repeat(2048) });
      assert.equal(declared.status, 413);
      assert.equal(declared.text, '{"error":"payload too large"}');
      // Chunked (no Content-Length): refused once the stream passes the limit.
      const chunked = await rawPost(`${small.base}/internal/tick`, KEY, ['x'.repeat(800), 'x'.repeat(800)]);
      assert.equal(chunked, 413);
      assert.equal(small.tickCalls, 0);
      assert.equal(await requestCount(small.metrics, { method: 'POST', path: '/internal/tick', status: '413' }), 2);
      // Within the limit the request goes through.
      const ok = await call(`${small.base}/internal/tick`, { method: 'POST', headers: { 'x-service-key': KEY }, body: '{}' });
      assert.equal(ok.status, 200);
    } finally {
      await small.close();
    }
  });
});

describe('POST /internal/tick and the /internal/* gate', () => {
  let app: App;
  before(async () => { app = await startApp({ MANA_SERVICE_KEY: KEY }); });
  after(() => app.close());
  const tick = (headers: Record<string, string> = {}) => call(`${app.base}/internal/tick`, { method: 'POST', headers });
  const denied = '{"error":"invalid or missing service key"}';

  test('a missing key is 401', async () => {
    const res = await tick();
    assert.equal(res.status, 401);
    assert.equal(res.text, denied);
  });

  test('a wrong key is 401', async () => {
    assert.equal((await tick({ 'x-service-key': 'nope' })).text, denied);
    assert.equal((await tick({ 'x-service-key': '' })).status, 401);
  });

  test('an almost-right key (same length, one byte off) is 401', async () => {
    const almost = `${KEY.slice(0, -1)}${KEY.endsWith('9') ? '8' : '9'}`;
    assert.equal(almost.length, KEY.length);
    assert.equal((await tick({ 'x-service-key': almost })).status, 401);
    assert.equal((await tick({ 'x-service-key': `${KEY}x` })).status, 401);
    assert.equal((await tick({ 'x-service-key': KEY.slice(0, -1) })).status, 401);
    assert.equal(app.tickCalls, 0);
  });

  test('the right key runs one tick and returns its stats', async () => {
    const res = await tick({ 'x-service-key': KEY });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text), TICK_STATS);
    assert.equal(app.tickCalls, 1);
  });

  test('an unknown /internal path is 404 with a valid key, 401 without', async () => {
    assert.equal((await call(`${app.base}/internal/users/u1`, { headers: { 'x-service-key': KEY } })).status, 404);
    assert.equal((await call(`${app.base}/internal/users/u1`)).status, 401);
    assert.equal((await call(`${app.base}/internal`)).status, 401);
  });

  test('GET on the tick route is 405 (after the key check)', async () => {
    assert.equal((await call(`${app.base}/internal/tick`, { headers: { 'x-service-key': KEY } })).status, 405);
    assert.equal((await call(`${app.base}/internal/tick`)).status, 401);
  });

  test('a failing tick is a 500 JSON error without internals', async () => {
    const failing = await startApp({ MANA_SERVICE_KEY: KEY }, { runTick: async () => { throw new Error('db password=x'); } });
    try {
      const res = await call(`${failing.base}/internal/tick`, { method: 'POST', headers: { 'x-service-key': KEY } });
      assert.equal(res.status, 500);
      assert.equal(res.text, '{"error":"internal error"}');
    } finally {
      await failing.close();
    }
  });

  test('with no key configured every /internal/* path answers 503', async () => {
    const open = await startApp({});
    try {
      for (const path of ['/internal/tick', '/internal/anything', '/internal']) {
        const res = await call(`${open.base}${path}`, { method: 'POST', headers: { 'x-service-key': 'dev-service-key' } });
        assert.equal(res.status, 503, path);
        assert.deepEqual(Object.keys(JSON.parse(res.text)), ['error']);
      }
      assert.equal(open.tickCalls, 0);
      assert.equal(await requestCount(open.metrics, { method: 'POST', path: '/internal/*', status: '503' }), 3);
    } finally {
      await open.close();
    }
  });
});

describe('slow clients and close()', () => {
  test('a client that never finishes its headers is cut off', async () => {
    const app = await startApp({}, { limits: { headersTimeoutMs: 200, requestTimeoutMs: 300, connectionsCheckingIntervalMs: 50 } });
    try {
      const started = Date.now();
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(app.base).port), '127.0.0.1');
        let data = '';
        socket.on('data', (d) => { data += d.toString(); });
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
        socket.write('GET /health HTTP/1.1\r\nHost: x\r\n'); // no final CRLF
      });
      assert.match(answer, /^HTTP\/1\.1 408/);
      assert.ok(Date.now() - started < 2000);
    } finally {
      await app.close();
    }
  });

  test('a client that disconnects mid-request is counted as 499 and the late answer is harmless', async () => {
    let release: (stats: typeof TICK_STATS) => void = () => undefined;
    let entered: () => void = () => undefined;
    const inTick = new Promise<void>((resolve) => { entered = resolve; });
    const app = await startApp({ MANA_SERVICE_KEY: KEY }, {
      runTick: () => new Promise((resolve) => { release = resolve; entered(); }),
    });
    try {
      const req = request(`${app.base}/internal/tick`, { method: 'POST', headers: { 'x-service-key': KEY }, agent: false });
      req.on('error', () => undefined);
      req.end();
      await inTick;
      req.destroy();
      await delay(50);
      release(TICK_STATS);
      await delay(20);
      assert.equal(await requestCount(app.metrics, { method: 'POST', path: '/internal/tick', status: '499' }), 1);
      assert.equal((await call(`${app.base}/health`)).status, 200);
    } finally {
      await app.close();
    }
  });

  test('close() stops accepting and ends idle keep-alive sockets promptly', async () => {
    const app = await startApp({});
    const socket = connect(Number(new URL(app.base).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => socket.once('data', resolve)); // response received; socket now idle
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const started = Date.now();
    await app.close();
    await closed;
    assert.ok(Date.now() - started < 1000);
    await assert.rejects(fetch(`${app.base}/health`));
  });
});

/** POSTs `chunks` with chunked transfer encoding and returns the status. */
function rawPost(url: string, key: string, chunks: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'x-service-key': key, 'transfer-encoding': 'chunked' }, agent: false },
      (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
