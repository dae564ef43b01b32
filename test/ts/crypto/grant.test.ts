import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { isGrantKey, loadPrivateKey, unwrapGrant, UNWRAP_REASONS, type UnwrapResult } from '../../../src/crypto/grant.js';
import { flipBase64, grantJson, hkdfMdk, loadVectors, rsaPair, wrap } from './fixtures.js';

const vectors = loadVectors();
const NOW = new Date('2030-06-01T12:00:00.000Z');

const reasonOf = (r: UnwrapResult): string => (r.ok ? 'ok' : r.reason);

describe('unwrapGrant with the spec vectors', () => {
  const key = loadPrivateKey(vectors.rsa.privatePkcs8Pem);

  test('the vectors’ PKCS#8 key loads', () => assert.ok(isGrantKey(key)));

  test('the valid grant unwraps to the vectors’ MDK and allowlist', () => {
    const r = unwrapGrant(vectors.grant, 'mission-abc', NOW, key);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.mdk.type, 'secret');
    assert.equal(r.mdk.symmetricKeySize, 32);
    assert.equal(r.mdk.export().toString('hex'), vectors.mdkHex);
    assert.deepEqual(r.recordIds, new Set(['notes:n1', 'tasks:t1']));
  });

  test('expired grant → expired', () => {
    assert.equal(reasonOf(unwrapGrant(vectors.negative.expiredGrant.grant, 'mission-abc', NOW, key)), 'expired');
  });

  test('grant for another mission → malformed (KI-15)', () => {
    const { grant, forMission } = vectors.negative.otherMissionGrant;
    assert.equal(reasonOf(unwrapGrant(grant, forMission, NOW, key)), 'malformed');
    // The same grant is fine for the mission it was made for.
    assert.equal(reasonOf(unwrapGrant(grant, 'mission-other', NOW, key)), 'ok');
  });

  test('non-base64 wrappedKey → malformed', () => {
    assert.equal(reasonOf(unwrapGrant(vectors.negative.notBase64.grant, 'mission-abc', NOW, key)), 'malformed');
  });
});

describe('unwrapGrant with vectors built here', () => {
  const pair = rsaPair();
  const other = rsaPair();
  const key = loadPrivateKey(pair.privatePem);
  const master = randomBytes(32);
  const mdk = hkdfMdk(master, 'm1', ['notes', 'tasks'], ['notes:n1', 'tasks:t1']);
  const wrapped = wrap(pair.publicPem, mdk);
  const future = new Date(NOW.getTime() + 3600_000).toISOString();
  const valid = () => grantJson({ wrappedKey: wrapped, missionId: 'm1', issuedAt: NOW.toISOString(), expiresAt: future });
  const unwrap = (grant: unknown, k: unknown = key) => reasonOf(unwrapGrant(grant, 'm1', NOW, k as never));

  test('valid grant → ok with the HKDF MDK', () => {
    const r = unwrapGrant(valid(), 'm1', NOW, key);
    assert.ok(r.ok);
    assert.deepEqual(r.mdk.export(), mdk);
  });

  test('expiresAt in the past, unparseable or missing → expired; exactly now is still valid', () => {
    assert.equal(unwrap({ ...valid(), expiresAt: new Date(NOW.getTime() - 1).toISOString() }), 'expired');
    assert.equal(unwrap({ ...valid(), expiresAt: 'next tuesday' }), 'expired');
    assert.equal(unwrap({ ...valid(), expiresAt: undefined }), 'expired');
    assert.equal(unwrap({ ...valid(), expiresAt: 1_900_000_000_000 }), 'expired');
    assert.equal(unwrap({ ...valid(), expiresAt: NOW.toISOString() }), 'ok');
    assert.equal(reasonOf(unwrapGrant(valid(), 'm1', new Date(Number.NaN), key)), 'expired');
  });

  test('issuedAt is not checked', () => {
    assert.equal(unwrap({ ...valid(), issuedAt: 'garbage' }), 'ok');
    assert.equal(unwrap({ ...valid(), issuedAt: '2999-01-01T00:00:00.000Z' }), 'ok');
  });

  test('wrong mission id or version v2 → malformed', () => {
    assert.equal(reasonOf(unwrapGrant(valid(), 'm2', NOW, key)), 'malformed');
    assert.equal(unwrap(grantJson({ wrappedKey: wrapped, missionId: 'm1', version: 'v2', expiresAt: future })), 'malformed');
  });

  test('wrappedKey with bad padding, url-safe chars or whitespace → malformed', () => {
    assert.ok(wrapped.endsWith('=='), 'a 256-byte block always ends in ==');
    assert.equal(unwrap({ ...valid(), wrappedKey: wrapped.slice(0, -2) }), 'malformed');
    assert.equal(unwrap({ ...valid(), wrappedKey: wrapped.slice(0, -1) }), 'malformed');
    assert.equal(unwrap({ ...valid(), wrappedKey: `${wrapped}==` }), 'malformed');
    assert.equal(unwrap({ ...valid(), wrappedKey: `-${wrapped.slice(1)}` }), 'malformed');
    assert.equal(unwrap({ ...valid(), wrappedKey: `_${wrapped.slice(1)}` }), 'malformed');
    assert.equal(unwrap({ ...valid(), wrappedKey: `${wrapped.slice(0, 64)}\n${wrapped.slice(64)}` }), 'malformed');
    assert.equal(unwrap({ ...valid(), wrappedKey: 'not base64!' }), 'malformed');
  });

  test('wrapped with another public key → wrap-rejected', () => {
    assert.equal(unwrap({ ...valid(), wrappedKey: wrap(other.publicPem, mdk) }), 'wrap-rejected');
  });

  test('tampered wrapped key → wrap-rejected', () => {
    assert.equal(unwrap({ ...valid(), wrappedKey: flipBase64(wrapped, 100) }), 'wrap-rejected');
    assert.equal(unwrap({ ...valid(), wrappedKey: flipBase64(wrapped, -1) }), 'wrap-rejected');
  });

  test('wrapped key of the wrong length (valid base64) → wrap-rejected', () => {
    assert.equal(unwrap({ ...valid(), wrappedKey: '' }), 'wrap-rejected');
    assert.equal(unwrap({ ...valid(), wrappedKey: randomBytes(255).toString('base64') }), 'wrap-rejected');
  });

  test('unwrapped plaintext of 31 or 33 bytes → malformed', () => {
    assert.equal(unwrap({ ...valid(), wrappedKey: wrap(pair.publicPem, randomBytes(31)) }), 'malformed');
    assert.equal(unwrap({ ...valid(), wrappedKey: wrap(pair.publicPem, randomBytes(33)) }), 'malformed');
  });

  test('PEM unset, empty or garbage → not-configured', () => {
    for (const pem of [undefined, '', '   \n', 'garbage', '-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----',
      '-----BEGIN PRIVATE KEY-----\nnot*base64\n-----END PRIVATE KEY-----']) {
      const k = loadPrivateKey(pem);
      assert.ok(!isGrantKey(k), String(pem));
      assert.equal(k.reason, 'not-configured');
      assert.equal(unwrap(valid(), k), 'not-configured');
    }
    assert.equal(reasonOf(unwrapGrant(valid(), 'm1', NOW, undefined)), 'not-configured');
    assert.equal(reasonOf(unwrapGrant(valid(), 'm1', NOW, null)), 'not-configured');
  });

  test('a public key PEM in place of the private key → not-configured', () => {
    assert.ok(!isGrantKey(loadPrivateKey(pair.publicPem)));
  });

  test('PEM with CRLF or flattened onto one line still loads', () => {
    assert.ok(isGrantKey(loadPrivateKey(pair.privatePem.replace(/\n/g, '\r\n'))));
    const k = loadPrivateKey(pair.privatePem.replace(/\n/g, ' '));
    assert.equal(unwrap(valid(), k), 'ok');
  });

  test('steps run in the spec’s order', () => {
    const expiredOtherMission = grantJson({ wrappedKey: 'bad!', missionId: 'mX', version: 'v9', expiresAt: '2000-01-01T00:00:00Z' });
    assert.equal(unwrap(expiredOtherMission, loadPrivateKey(undefined)), 'not-configured');
    assert.equal(unwrap(expiredOtherMission), 'expired');
    assert.equal(unwrap(grantJson({ wrappedKey: wrap(other.publicPem, mdk), missionId: 'mX', expiresAt: future })), 'malformed');
  });

  test('a wrong JSON shape → malformed, never a throw', () => {
    const g = valid();
    const d = g.derivation as Record<string, unknown>;
    const cases: unknown[] = [
      null, 'grant', 42, [g],
      { ...g, derivation: undefined }, { ...g, derivation: [] },
      { ...g, derivation: { ...d, tables: 'notes' } },
      { ...g, derivation: { ...d, recordIds: ['notes:n1', 7] } },
      { ...g, derivation: { ...d, recordIds: undefined } },
      { ...g, wrappedKey: undefined }, { ...g, wrappedKey: 123 },
      Object.defineProperty({ ...g }, 'derivation', { get() { throw new Error('boom'); } }),
    ];
    for (const c of cases) assert.equal(unwrap(c), 'malformed');
  });

  test('reasons are exactly the four of docs/crypto.md §3', () => {
    assert.deepEqual([...UNWRAP_REASONS], ['not-configured', 'expired', 'malformed', 'wrap-rejected']);
  });
});
