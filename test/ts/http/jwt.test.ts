import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../src/log.js';
import { createJwksClient, JwksError } from '../../../src/http/jwks.js';
import { acceptedIssuers, createJwtVerifier, JwtError, jwksUrlFor } from '../../../src/http/jwt.js';
import { closeServer, goodClaims, listen, makeKey, signToken, startJwks, type JwksServer } from './support.js';

describe('createJwtVerifier', () => {
  const key = makeKey('k1');
  const other = makeKey('k2');
  let jwks: JwksServer;
  let client: ReturnType<typeof createJwksClient>;
  before(async () => {
    jwks = await startJwks([key.jwk, other.jwk]);
    client = createJwksClient({ url: jwksUrlFor(`${jwks.url}/`), logger: silentLogger });
  });
  after(async () => { await client.close(); await jwks.close(); });
  const verifier = (now = Date.now()) =>
    createJwtVerifier({ jwks: client, audience: 'mana', issuers: ['http://localhost:3001'], now: () => now });

  test('returns the claims of a valid token', async () => {
    const claims = await verifier()(signToken(key, goodClaims({ sub: 'u-1', role: 'user' })));
    assert.equal(claims.sub, 'u-1');
    assert.equal(claims.role, 'user');
  });

  test('a token without kid is tried against every key', async () => {
    assert.equal((await verifier()(signToken(other, goodClaims(), { kid: undefined }))).sub, 'user-1');
  });

  test('exp and nbf use the clock with a 5 s leeway', async () => {
    const token = signToken(key, goodClaims({ exp: 1000, nbf: 900 }));
    assert.equal((await verifier(1004_000)(token)).sub, 'user-1');
    await assert.rejects(verifier(1005_000)(token), /token expired/);
    assert.equal((await verifier(895_000)(token)).sub, 'user-1');
    await assert.rejects(verifier(894_000)(token), /not yet valid/);
  });

  test('rejections are JwtErrors with the stable code JWT_INVALID', async () => {
    const error = await verifier()(signToken(key, goodClaims({ aud: 'x' }))).catch((e: unknown) => e);
    assert.ok(error instanceof JwtError);
    assert.equal(error.code, 'JWT_INVALID');
  });

  test('crit headers, non-numeric exp and oversized tokens are refused', async () => {
    await assert.rejects(verifier()(signToken(key, goodClaims(), { crit: ['b64'] })), /critical/);
    await assert.rejects(verifier()(signToken(key, goodClaims({ exp: '9999999999' }))), /expiry/);
    await assert.rejects(verifier()(signToken(key, goodClaims({ pad: 'x'.repeat(9000) }))), /malformed/);
  });

  test('acceptedIssuers and jwksUrlFor', () => {
    assert.deepEqual(acceptedIssuers({ jwtIssuer: undefined, authUrl: 'http://localhost:3001' }),
      ['http://localhost:3001', 'https://auth.mana.how']);
    assert.deepEqual(acceptedIssuers({ jwtIssuer: 'a', authUrl: 'https://b' }),
      ['a', 'https://b', 'https://auth.mana.how', 'http://localhost:3001']);
    assert.equal(jwksUrlFor('https://auth.example//'), 'https://auth.example/api/v1/auth/jwks');
  });
});

describe('createJwksClient', () => {
  test('imports only Ed25519 signing keys and only their public part', async () => {
    const good = makeKey('good');
    const rsaLike = { kty: 'RSA', kid: 'rsa', n: 'AQAB', e: 'AQAB' };
    const encKey = { ...makeKey('enc').jwk, use: 'enc' };
    const jwks = await startJwks([rsaLike, encKey, { kty: 'OKP', crv: 'Ed25519', kid: 'broken', x: '!!' }, good.jwk]);
    const client = createJwksClient({ url: jwksUrlFor(jwks.url), logger: silentLogger, cooldownMs: 0 });
    try {
      const keys = await client.keysFor(undefined);
      assert.equal(keys.length, 1);
      assert.equal(keys[0]!.type, 'public');
      assert.deepEqual(await client.keysFor('enc'), []);
    } finally {
      await client.close();
      await jwks.close();
    }
  });

  test('a JWKS without usable keys, too large or not JSON is a JwksError', async () => {
    let body = JSON.stringify({ keys: [] });
    const server = createServer((_req, res) => { res.end(body); });
    const url = await listen(server);
    const client = () => createJwksClient({ url, logger: silentLogger, maxBytes: 1024 });
    try {
      for (const next of [JSON.stringify({ keys: [] }), JSON.stringify({ nokeys: 1 }), 'x'.repeat(4096), '{not json']) {
        body = next;
        const c = client();
        await assert.rejects(c.keysFor('a'), JwksError);
        await c.close();
      }
    } finally {
      await closeServer(server);
    }
  });

  test('cached keys outlive a failed refresh; failures are not refetched for a second', async () => {
    const key = makeKey('a');
    const jwks = await startJwks([key.jwk]);
    let now = 0;
    const client = createJwksClient({ url: jwksUrlFor(jwks.url), logger: silentLogger, maxAgeMs: 1000, now: () => now });
    try {
      assert.equal((await client.keysFor('a')).length, 1);
      jwks.status = 503;
      now = 5000; // stale: refetch fails, cached key still served
      assert.equal((await client.keysFor('a')).length, 1);
      assert.equal(jwks.requests, 2);
      now = 5500; // within the failure backoff: no new fetch
      assert.equal((await client.keysFor('a')).length, 1);
      assert.equal(jwks.requests, 2);
    } finally {
      await client.close();
      await jwks.close();
    }
  });
});
