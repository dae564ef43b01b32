import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearerToken, parseAuditLimit } from '../../../src/http/audit.js';
import { call, goodClaims, makeKey, requestCount, signToken, startApp, startJwks, type App, type JwksServer } from './support.js';

const AUDIT = '/api/v1/me/ai-audit';
const ROW = '{"id":"42","missionId":"m-1","iterationId":null,"tableName":"notes","recordId":"n-1","status":"ok",'
  + '"reason":null,"ts":"2024-01-02T03:04:05.000Z"}';

describe('GET /api/v1/me/ai-audit with a Bearer JWT', () => {
  const keyA = makeKey('key-a');
  const keyB = makeKey('key-b');
  let jwks: JwksServer;
  let app: App;
  before(async () => {
    jwks = await startJwks([keyA.jwk]);
    app = await startApp({ MANA_AUTH_URL: jwks.url, JWT_ISSUER: 'https://issuer.example' });
  });
  after(async () => { await app.close(); await jwks.close(); });

  const get = (token: string | undefined, query = '') =>
    call(`${app.base}${AUDIT}${query}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  const expect401 = async (token: string | undefined, message: RegExp) => {
    const res = await get(token);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(res.text, message);
  };

  test('a valid token returns the caller\'s rows in wire shape', async () => {
    app.auditCalls.length = 0;
    const res = await get(signToken(keyA, goodClaims({ sub: 'user-7' })));
    assert.equal(res.status, 200);
    assert.equal(res.text, `{"rows":[${ROW}]}`);
    assert.deepEqual(app.auditCalls, [['user-7', null, 200]]);
    assert.ok((await requestCount(app.metrics, { method: 'GET', path: AUDIT, status: '200' })) >= 1);
  });

  test('a missing or non-Bearer Authorization header is 401', async () => {
    await expect401(undefined, /missing bearer token/);
    const basic = await call(`${app.base}${AUDIT}`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.status, 401);
    assert.equal(await requestCount(app.metrics, { method: 'GET', path: AUDIT, status: '401' }), 2);
  });

  test('a wrong signature is 401', async () => {
    // Signed by key B but claiming key A's kid.
    await expect401(signToken({ ...keyB, kid: 'key-a' }, goodClaims()), /invalid signature/);
    const [h, , s] = signToken(keyA, goodClaims()).split('.');
    const forged = Buffer.from(JSON.stringify(goodClaims({ sub: 'someone-else' }))).toString('base64url');
    await expect401(`${h}.${forged}.${s}`, /invalid signature/);
  });

  test('an expired token is 401; a few seconds past exp are within the leeway', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect401(signToken(keyA, goodClaims({ exp: now - 60 })), /expired/);
    assert.equal((await get(signToken(keyA, goodClaims({ exp: now - 2 })))).status, 200);
    await expect401(signToken(keyA, goodClaims({ exp: undefined })), /expiry/);
    await expect401(signToken(keyA, goodClaims({ nbf: now + 120 })), /not yet valid/);
  });

  test('a wrong audience is 401; an audience list containing JWT_AUDIENCE is fine', async () => {
    await expect401(signToken(keyA, goodClaims({ aud: 'other' })), /audience/);
    await expect401(signToken(keyA, goodClaims({ aud: undefined })), /audience/);
    assert.equal((await get(signToken(keyA, goodClaims({ aud: ['x', 'mana'] })))).status, 200);
  });

  test('only the configured and built-in issuers are accepted', async () => {
    await expect401(signToken(keyA, goodClaims({ iss: 'https://evil.example' })), /issuer/);
    for (const iss of ['https://issuer.example', jwks.url, 'https://auth.mana.how', 'http://localhost:3001']) {
      assert.equal((await get(signToken(keyA, goodClaims({ iss })))).status, 200, iss);
    }
  });

  test('a token without sub is 401', async () => {
    await expect401(signToken(keyA, goodClaims({ sub: undefined })), /subject/);
    await expect401(signToken(keyA, goodClaims({ sub: '' })), /subject/);
  });

  test('other algorithms and malformed tokens are 401', async () => {
    await expect401(signToken(keyA, goodClaims(), { alg: 'none' }), /algorithm/);
    await expect401(signToken(keyA, goodClaims(), { alg: 'HS256' }), /algorithm/);
    await expect401('abc.def', /malformed/);
    await expect401('a.b.c', /malformed/);
  });

  test('an unknown kid is refused without a refetch inside the cooldown', async () => {
    const before = jwks.requests;
    await expect401(signToken(keyB, goodClaims()), /unknown signing key/);
    await expect401(signToken(keyB, goodClaims()), /unknown signing key/);
    assert.equal(jwks.requests, before);
  });
});

describe('JWKS refresh and outages', () => {
  test('an unknown kid refetches the JWKS once and then verifies (key rotation)', async () => {
    const keyA = makeKey('a');
    const keyB = makeKey('b');
    const jwks = await startJwks([keyA.jwk]);
    const app = await startApp({ MANA_AUTH_URL: jwks.url }, { jwks: { cooldownMs: 0 } });
    try {
      assert.equal((await call(`${app.base}${AUDIT}`, { headers: { authorization: `Bearer ${signToken(keyA, goodClaims())}` } })).status, 200);
      assert.equal(jwks.requests, 1);
      jwks.keys = [keyA.jwk, keyB.jwk];
      const res = await call(`${app.base}${AUDIT}`, { headers: { authorization: `Bearer ${signToken(keyB, goodClaims())}` } });
      assert.equal(res.status, 200);
      assert.equal(jwks.requests, 2);
      // Cached now: no further fetch.
      await call(`${app.base}${AUDIT}`, { headers: { authorization: `Bearer ${signToken(keyB, goodClaims())}` } });
      assert.equal(jwks.requests, 2);
    } finally {
      await app.close();
      await jwks.close();
    }
  });

  test('an unreachable or failing JWKS gives 401, never 500', async () => {
    const key = makeKey('a');
    const jwks = await startJwks([key.jwk]);
    jwks.status = 500;
    const app = await startApp({ MANA_AUTH_URL: jwks.url });
    try {
      const res = await call(`${app.base}${AUDIT}`, { headers: { authorization: `Bearer ${signToken(key, goodClaims())}` } });
      assert.equal(res.status, 401);
      assert.equal(res.text, 'Unauthorized: token could not be verified');
    } finally {
      await app.close();
      await jwks.close();
    }
  });
});

describe('audit query parameters and the dev bypass', () => {
  let app: App;
  before(async () => { app = await startApp({ NODE_ENV: 'development', DEV_BYPASS_AUTH: 'true' }); });
  after(() => app.close());

  test('the dev bypass needs no token and acts as the default dev user', async () => {
    app.auditCalls.length = 0;
    const res = await call(`${app.base}${AUDIT}`);
    assert.equal(res.status, 200);
    assert.deepEqual(app.auditCalls, [['00000000-0000-0000-0000-000000000000', null, 200]]);
  });

  for (const [raw, limit] of [['abc', 200], ['5000', 1000], ['0', 1], ['7x', 7], ['-3', 1], ['', 200], ['12', 12]] as const) {
    test(`limit=${JSON.stringify(raw)} → ${limit}`, async () => {
      app.auditCalls.length = 0;
      await call(`${app.base}${AUDIT}?limit=${encodeURIComponent(raw)}&missionId=m-9`);
      assert.deepEqual(app.auditCalls, [['00000000-0000-0000-0000-000000000000', 'm-9', limit]]);
    });
  }

  test('an empty missionId means no filter', async () => {
    app.auditCalls.length = 0;
    await call(`${app.base}${AUDIT}?missionId=`);
    assert.deepEqual(app.auditCalls, [['00000000-0000-0000-0000-000000000000', null, 200]]);
  });

  test('DEV_USER_ID picks the bypass user; without NODE_ENV=development there is no bypass', async () => {
    const custom = await startApp({ NODE_ENV: 'development', DEV_BYPASS_AUTH: 'true', DEV_USER_ID: 'dev-1' });
    const prod = await startApp({ NODE_ENV: 'production', DEV_BYPASS_AUTH: 'true' });
    try {
      await call(`${custom.base}${AUDIT}`);
      assert.deepEqual(custom.auditCalls, [['dev-1', null, 200]]);
      assert.equal((await call(`${prod.base}${AUDIT}`)).status, 401);
      assert.deepEqual(prod.auditCalls, []);
    } finally {
      await custom.close();
      await prod.close();
    }
  });

  test('a failing audit read is a 500 JSON error', async () => {
    const failing = await startApp({ NODE_ENV: 'development', DEV_BYPASS_AUTH: 'true' },
      { readAudit: async () => { throw new Error('permission denied for table decrypt_audit'); } });
    try {
      const res = await call(`${failing.base}${AUDIT}`);
      assert.equal(res.status, 500);
      assert.equal(res.text, '{"error":"internal error"}');
    } finally {
      await failing.close();
    }
  });
});

describe('helpers', () => {
  test('parseAuditLimit behaves like parseInt, then clamps', () => {
    assert.equal(parseAuditLimit(null), 200);
    assert.equal(parseAuditLimit(' 42'), 42);
    assert.equal(parseAuditLimit('1e3'), 1);
    assert.equal(parseAuditLimit('1000.9'), 1000);
    assert.equal(parseAuditLimit('Infinity'), 200);
  });

  test('bearerToken accepts any case of the scheme and nothing else', () => {
    assert.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
    assert.equal(bearerToken('bearer  abc'), 'abc');
    assert.equal(bearerToken('Basic abc'), undefined);
    assert.equal(bearerToken('Bearer'), undefined);
    assert.equal(bearerToken('Bearer a b'), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
});
