/**
 * Scenario 7: the HTTP surface of the real `mana-ai serve` process under hostile clients.
 *   - /internal/tick with missing, wrong and almost-right keys: one byte off at every position of the
 *     key (same length), prefixes and extensions, other case, doubled header, key in the query or in
 *     Authorization, non-ASCII, 8 KB — all 401; the right key (header name in any case) 200;
 *   - bodies over the 64 KB cap: declared, chunked without a length, and a lying Content-Length — 413,
 *     after the key gate (a wrong key is 401 whatever the body);
 *   - (slow clients: test/chaos/07b-http-slow-clients.test.ts, make test-chaos only: it takes 16 s);
 *   - the audit endpoint with a real JWT (loopback JWKS): the user comes from `sub` only, other users'
 *     ids in the query are ignored, limit > 1000 is clamped, and odd limits are parsed like parseInt.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { killAll, recordResult, serveEnv, spawnServe, terminate, type ServeProcess } from '../../support/chaos-kit.js';
import { freshDatabase, type TestDb } from '../../support/db.js';
import { startFakeLlm, type FakeLlm } from '../../../src/dev/fake-llm.js';
import { makeKey, signToken, startJwks, type JwksServer, type TestKey } from '../http/support.js';

const KEY = randomBytes(24).toString('base64url'); // 32 characters

interface Raw { status: number; body: string }

/** One request on its own connection; `chunks` are written one by one (no Content-Length unless given). */
function raw(port: number, path: string, options: { method?: string; headers?: Record<string, string | string[]>; chunks?: Buffer[] } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'POST', headers: { connection: 'close', ...options.headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

describe('scenario 7: HTTP under hostile clients', () => {
  let db: TestDb;
  let llm: FakeLlm;
  let jwks: JwksServer;
  let signer: TestKey;
  let serve: ServeProcess;
  let port: number;
  const results: string[] = [];

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    signer = makeKey('chaos-key');
    jwks = await startJwks([signer.jwk]);
    serve = spawnServe('http', serveEnv(db.runnerUrl, llm.url, { MANA_SERVICE_KEY: KEY, MANA_AUTH_URL: jwks.url, TICK_INTERVAL_MS: '600000', NODE_ENV: 'production' }));
    port = await serve.started();
  });
  after(async () => {
    if (serve) await terminate(serve).catch(() => undefined);
    await killAll();
    await jwks?.close();
    await llm?.close();
    await db?.drop();
    recordResult({
      scenario: '7 HTTP hostile clients',
      inputs: 'service key: missing, 32 one-byte-off, prefix/extension, case, doubled, query, bearer, non-ASCII, 8 KB; 413 bodies (declared, chunked, lying length); audit with foreign ids, odd limits, forged tokens',
      outcome: results.join('; '),
      lost: 'n/a',
      duplicated: 'n/a',
    });
  });

  test('/internal/tick: only the exact key passes', async () => {
    const tick = (headers: Record<string, string | string[]>, path = '/internal/tick') => raw(port, path, { headers });
    const flipAt = (i: number) => `${KEY.slice(0, i)}${String.fromCharCode(KEY.charCodeAt(i) ^ 1)}${KEY.slice(i + 1)}`;
    const wrong: [string, Record<string, string | string[]>, string?][] = [
      ['missing', {}], ['empty', { 'x-service-key': '' }], ['wrong', { 'x-service-key': 'wrong' }],
      ...Array.from({ length: KEY.length }, (_, i): [string, Record<string, string>] => [`byte ${i} off`, { 'x-service-key': flipAt(i) }]),
      ['prefix', { 'x-service-key': KEY.slice(0, -1) }], ['half', { 'x-service-key': KEY.slice(0, 16) }], ['extended', { 'x-service-key': `${KEY}a` }],
      ['twice', { 'x-service-key': KEY + KEY }], ['upper case', { 'x-service-key': KEY.toUpperCase() }], ['lower case', { 'x-service-key': KEY.toLowerCase() }],
      ['doubled header', { 'x-service-key': [KEY, KEY] }], ['doubled, one wrong', { 'x-service-key': [KEY, 'x'] }],
      ['bearer', { authorization: `Bearer ${KEY}` }], ['other header', { 'x-api-key': KEY }],
      ['non-ASCII', { 'x-service-key': Buffer.from(`${KEY.slice(0, -1)}é`, 'utf8').toString('latin1') }],
      ['8 KB', { 'x-service-key': 'k'.repeat(8 * 1024) }],
      ['query', {}, `/internal/tick?x-service-key=${KEY}&key=${KEY}`],
    ].map((c) => c as [string, Record<string, string | string[]>, string?]);
    const statuses: Record<string, number> = {};
    for (const [label, headers, path] of wrong) statuses[label] = (await tick(headers, path)).status;
    assert.deepEqual(Object.entries(statuses).filter(([, s]) => s !== 401), [], 'every wrong key is 401');
    const ok = await tick({ 'X-SERVICE-KEY': KEY });
    assert.equal(ok.status, 200, 'header names are case-insensitive: the right key passes');
    assert.ok('dueMissionCount' in JSON.parse(ok.body));
    assert.equal((await tick({ 'x-service-key': KEY }, '/internal/nothing-here')).status, 404);
    assert.equal((await tick({ 'x-service-key': flipAt(3) }, '/internal/nothing-here')).status, 401, 'unknown internal paths are behind the gate too');
    results.push(`${wrong.length + 1} wrong keys → 401, right key 200`);
  });

  test('bodies over the cap: 413 after the key gate, and the server stays up', async () => {
    const big = Buffer.alloc(100 * 1024, 'a');
    const declared = await raw(port, '/internal/tick', { headers: { 'x-service-key': KEY, 'content-length': String(big.length) }, chunks: [big] });
    const chunked = await raw(port, '/internal/tick', { headers: { 'x-service-key': KEY }, chunks: Array.from({ length: 20 }, () => Buffer.alloc(8 * 1024, 'b')) });
    const lying = await raw(port, '/internal/tick', { headers: { 'x-service-key': KEY, 'content-length': String(10 * 1024 ** 3) }, chunks: [Buffer.from('tiny')] })
      .catch((e: Error) => ({ status: -1, body: e.message }));
    const publicRoute = await raw(port, '/health', { method: 'GET', headers: { 'content-length': String(big.length) }, chunks: [big] });
    const gated = await raw(port, '/internal/tick', { headers: { 'x-service-key': 'wrong', 'content-length': String(big.length) }, chunks: [big] });
    assert.deepEqual({ declared: declared.status, chunked: chunked.status, lying: lying.status, publicRoute: publicRoute.status, gated: gated.status },
      { declared: 413, chunked: 413, lying: 413, publicRoute: 413, gated: 401 });
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    results.push('100 KB declared/chunked, 10 GB declared → 413 (wrong key → 401 first)');
  });

  test('audit endpoint: the user is the JWT subject, foreign ids in the query are ignored, limit is clamped', async () => {
    const [me, other] = ['http-user-a', 'http-user-b'];
    await db.admin.query(`insert into mana_ai.decrypt_audit (user_id, mission_id, iteration_id, table_name, record_id, status, reason, ts)
      select $1, 'm-a', 'it', 'notes', 'n' || g, 'ok', null, now() - g * interval '1 second' from generate_series(1, 1200) g`, [me]);
    await db.admin.query(`insert into mana_ai.decrypt_audit (user_id, mission_id, iteration_id, table_name, record_id, status, reason)
      values ($1, 'm-b', 'it-b', 'notes', 'secret-of-b', 'failed', 'decrypt-failed')`, [other]);
    const now = Math.floor(Date.now() / 1000);
    const token = (sub: string, extra: Record<string, unknown> = {}, key = signer) =>
      signToken(key, { iss: jwks.url, aud: 'mana', sub, iat: now, exp: now + 600, ...extra });
    const audit = async (query: string, bearer = token(me)) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/me/ai-audit${query}`, { headers: { authorization: `Bearer ${bearer}` } });
      return { status: res.status, rows: res.status === 200 ? ((await res.json()) as { rows: { recordId: string; missionId: string }[] }).rows : [] };
    };
    const foreign = await audit(`?userId=${other}&user_id=${other}&sub=${other}&missionId=m-b&limit=10`);
    assert.deepEqual(foreign, { status: 200, rows: [] }, 'only the caller\'s rows: B\'s mission filter finds none of them');
    const mine = await audit(`?userId=${other}&limit=3`);
    assert.deepEqual(mine.rows.map((r) => r.recordId), ['n1', 'n2', 'n3']);
    const limits: Record<string, number> = {};
    for (const limit of ['5000', '1001', '1000', '0', '-5', '1e3', '7.9', 'abc', '', '99999999999999999999']) {
      limits[limit] = (await audit(`?limit=${encodeURIComponent(limit)}`)).rows.length;
    }
    assert.deepEqual(limits, { '5000': 1000, '1001': 1000, '1000': 1000, '0': 1, '-5': 1, '1e3': 1, '7.9': 7, abc: 200, '': 200, '99999999999999999999': 1000 });
    const stranger = makeKey('chaos-key'); // same kid, another key
    assert.equal((await audit('', token(other, {}, stranger))).status, 401, 'a token for B signed by another key');
    assert.equal((await audit('', token(other, { exp: now - 60 }))).status, 401, 'an expired token for B');
    assert.equal((await audit('', token(other, { aud: 'someone-else' }))).status, 401, 'a token for another audience');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: jwks.url, aud: 'mana', sub: other, exp: now + 600 })).toString('base64url')}.`;
    assert.equal((await audit('', unsigned)).status, 401, 'alg none');
    const asB = await audit('?limit=1000', token(other));
    assert.deepEqual(asB.rows.map((r) => r.recordId), ['secret-of-b'], 'B sees exactly B\'s row');
    results.push(`foreign userId/sub/missionId in the query ignored; limit 5000 → 1000, 0/-5 → 1, abc → 200; forged/expired/foreign-audience/alg-none tokens 401`);
  });
});
