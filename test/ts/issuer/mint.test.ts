import assert from 'node:assert/strict';
import { createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { decryptField } from '../../../src/crypto/field.js';
import { loadPrivateKey, unwrapGrant } from '../../../src/crypto/grant.js';
import {
  deriveMdk, encryptField, GRANT_TTL, grantInfo, GrantRequestError, hkdfSha256, MasterKeyError, mintGrant,
} from '../../../src/issuer/mint.js';
import { hkdfMdk, loadVectors, rsaPair } from '../crypto/fixtures.js';

const vectors = loadVectors();
const master = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1)); // 0x01…0x20

describe('HKDF MDK derivation (docs/crypto.md §2)', () => {
  test('golden vector from docs/crypto.md', () => {
    const info = grantInfo(['notes', 'tasks'], ['notes:n1', 'tasks:t1']);
    assert.equal(info, 'mana-ai-mission-grant:v1:tables=notes,tasks:ids=notes:n1,tasks:t1');
    const mdk = deriveMdk(master, { missionId: 'mission-abc', tables: ['notes', 'tasks'], recordIds: ['notes:n1', 'tasks:t1'] });
    assert.equal(mdk.toString('hex'), '7538df66c51d3ddb667c0135feb4ac7c2800ba372babc7e61e9423d6a9a65628');
  });

  test('golden vector from the vectors file', () => {
    assert.equal(master.toString('hex'), vectors.masterKeyHex);
    const d = vectors.derivation;
    assert.equal(grantInfo(d.tables, d.recordIds, d.version), vectors.infoString);
    assert.equal(deriveMdk(Buffer.from(vectors.masterKeyHex, 'hex'), d).toString('hex'), vectors.mdkHex);
  });

  test('lists are sorted first, in JS default (UTF-16 code unit) order', () => {
    assert.equal(grantInfo(['b', 'a', 'B', 'ä'], ['z:1', 'A:2']), 'mana-ai-mission-grant:v1:tables=B,a,b,ä:ids=A:2,z:1');
    const input = { missionId: 'mission-abc', tables: ['tasks', 'notes'], recordIds: ['tasks:t1', 'notes:n1'] };
    assert.equal(deriveMdk(master, input).toString('hex'), vectors.mdkHex);
    assert.deepEqual(input.tables, ['tasks', 'notes'], 'the caller’s lists are not sorted in place');
  });

  test('matches an independent node:crypto HKDF for random inputs', () => {
    const key = randomBytes(32);
    const args = { missionId: 'm-ü', tables: ['x', 'events'], recordIds: ['x:1', 'events:9', 'events:10'] };
    assert.deepEqual(deriveMdk(key, args), hkdfMdk(key, args.missionId, args.tables, args.recordIds));
  });

  test('hkdfSha256: RFC 5869 test case 1', () => {
    const okm = hkdfSha256(Buffer.alloc(22, 0x0b), Buffer.from('000102030405060708090a0b0c', 'hex'),
      Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'), 42);
    assert.equal(okm.toString('hex'),
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  test('hkdfSha256 equals node:crypto hkdfSync up to its 1024-byte info limit', () => {
    for (const n of [0, 1, 100, 1023, 1024]) {
      const [ikm, salt, info] = [randomBytes(32), randomBytes(n % 40), randomBytes(n)];
      for (const len of [32, 33, 64, 100]) {
        assert.deepEqual(hkdfSha256(ikm, salt, info, len), Buffer.from(hkdfSync('sha256', ikm, salt, info, len)), `${n}/${len}`);
      }
    }
    assert.throws(() => hkdfSync('sha256', randomBytes(32), randomBytes(4), randomBytes(1025), 32), RangeError);
  });

  test('a grant info over 1024 bytes (many record ids) still derives', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `tasks:${i}`);
    assert.equal(deriveMdk(master, { missionId: 'm', tables: ['tasks'], recordIds: ids }).length, 32);
  });

  test('salt is the mission id: another mission gives another MDK', () => {
    const a = deriveMdk(master, { missionId: 'a', tables: ['t'], recordIds: ['t:1'] });
    const b = deriveMdk(master, { missionId: 'b', tables: ['t'], recordIds: ['t:1'] });
    assert.notDeepEqual(a, b);
  });

  test('a master key that is not 32 bytes is an error', () => {
    for (const n of [0, 16, 31, 33, 64]) {
      assert.throws(() => deriveMdk(Buffer.alloc(n, 1), { missionId: 'm', tables: ['t'], recordIds: ['t:1'] }),
        (e: unknown) => e instanceof MasterKeyError && e instanceof AppError && e.code === 'MASTER_KEY_INVALID');
    }
  });
});

describe('mintGrant (auth service behaviour)', () => {
  const pair = rsaPair();
  const key = loadPrivateKey(pair.privatePem);
  const now = new Date('2030-01-01T00:00:00.000Z');
  const base = { publicKeyPem: pair.publicPem, masterKey: master, missionId: 'mission-abc', now };

  test('a minted grant unwraps to the derived MDK; lists sorted; v1', () => {
    const { grant, mdk } = mintGrant({ ...base, tables: ['tasks', 'notes'], recordIds: ['tasks:t1', 'notes:n1'] });
    assert.deepEqual(grant.derivation, {
      version: 'v1', missionId: 'mission-abc', tables: ['notes', 'tasks'], recordIds: ['notes:n1', 'tasks:t1'],
    });
    assert.equal(mdk.export().toString('hex'), vectors.mdkHex);
    const r = unwrapGrant(grant, 'mission-abc', now, key);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.mdk.export().toString('hex'), vectors.mdkHex);
    assert.deepEqual([...r.recordIds], ['notes:n1', 'tasks:t1']);
  });

  test('the vectors’ public key wraps for the vectors’ private key', () => {
    const { grant } = mintGrant({ ...base, publicKeyPem: vectors.rsa.publicSpkiPem, tables: ['notes'], recordIds: ['notes:n1'] });
    const r = unwrapGrant(grant, 'mission-abc', now, loadPrivateKey(vectors.rsa.privatePkcs8Pem));
    assert.equal(r.ok, true);
  });

  test('TTL: default 7 days, clamped to [1 h, 30 days]', () => {
    const expiry = (ttlMs?: number) =>
      Date.parse(mintGrant({ ...base, tables: ['t'], recordIds: ['t:1'], ttlMs }).grant.expiresAt) - now.getTime();
    assert.equal(expiry(), GRANT_TTL.defaultMs);
    assert.equal(GRANT_TTL.defaultMs, 7 * 86_400_000);
    assert.equal(expiry(60_000), 3_600_000);
    assert.equal(expiry(-5), 3_600_000);
    assert.equal(expiry(2 * 3_600_000), 2 * 3_600_000);
    assert.equal(expiry(60 * 86_400_000), 30 * 86_400_000);
    const { grant } = mintGrant({ ...base, tables: ['t'], recordIds: ['t:1'] });
    assert.equal(grant.issuedAt, '2030-01-01T00:00:00.000Z');
  });

  test('bad requests are GrantRequestError (BAD_REQUEST)', () => {
    const bad = (extra: Record<string, unknown>) =>
      assert.throws(() => mintGrant({ ...base, tables: ['t'], recordIds: ['t:1'], ...extra } as never),
        (e: unknown) => e instanceof GrantRequestError && e.code === 'BAD_REQUEST', JSON.stringify(extra).slice(0, 80));
    bad({ tables: [] });
    bad({ recordIds: [] });
    bad({ tables: 'notes' });
    bad({ recordIds: [1] });
    bad({ missionId: '' });
    bad({ ttlMs: Number.NaN });
    bad({ ttlMs: '1h' });
    bad({ recordIds: Array.from({ length: 1001 }, (_, i) => `t:${i}`) });
  });

  test('1000 record ids is still allowed', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `t:${i}`);
    assert.equal(mintGrant({ ...base, tables: ['t'], recordIds: ids }).grant.derivation.recordIds.length, 1000);
  });
});

describe('encryptField (fixtures only)', () => {
  const mdk = createSecretKey(randomBytes(32));

  test('round-trips JSON values through decryptField', () => {
    for (const v of ['text', '', 'Äpfel 🍎', 0, 42.5, true, false, [1, 'a'], { t: 'Belege', done: false }]) {
      const enc = encryptField(v, mdk);
      assert.match(enc, /^enc:1:[A-Za-z0-9+/]{16}\.[A-Za-z0-9+/=]+$/);
      assert.deepEqual(decryptField(enc, mdk), v);
    }
  });

  test('a fresh IV each time', () => {
    assert.notEqual(encryptField('x', mdk), encryptField('x', mdk));
  });

  test('refuses null and undefined (never encrypted)', () => {
    assert.throws(() => encryptField(null, mdk), TypeError);
    assert.throws(() => encryptField(undefined, mdk), TypeError);
  });
});
