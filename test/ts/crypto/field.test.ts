import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { DecryptError, decryptField, decryptRecordFields, type DecryptReason } from '../../../src/crypto/field.js';
import { encV1, flipBase64, hkdfMdk, loadVectors } from './fixtures.js';

const vectors = loadVectors();
const vectorMdk = createSecretKey(Buffer.from(vectors.mdkHex, 'hex'));

/** The reason decryptField throws with, or 'ok'. */
function reasonOf(value: string, key = vectorMdk): DecryptReason | 'ok' {
  try {
    decryptField(value, key);
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof DecryptError, `not a DecryptError: ${String(error)}`);
    return error.reason;
  }
}

describe('decryptField with the spec vectors', () => {
  test('both records decrypt to their plaintexts', () => {
    for (const [id, { plaintext, encrypted }] of Object.entries(vectors.records)) {
      for (const [field, value] of Object.entries(encrypted)) {
        assert.deepEqual(decryptField(value, vectorMdk), plaintext[field], `${id}.${field}`);
      }
    }
  });

  test('tampered tag → ciphertext-tampered-or-wrong-key', () => {
    assert.equal(reasonOf(vectors.negative.tamperedTag.value), 'ciphertext-tampered-or-wrong-key');
  });

  test('a value encrypted with another key → ciphertext-tampered-or-wrong-key', () => {
    assert.equal(reasonOf(vectors.negative.wrongKey.value), 'ciphertext-tampered-or-wrong-key');
  });

  test('unknown version enc:2: is not decrypted: decrypt-failed here, left alone by decryptRecordFields', () => {
    assert.equal(reasonOf(vectors.negative.wrongPrefix.value), 'decrypt-failed');
    const record = { title: vectors.negative.wrongPrefix.value };
    assert.equal(decryptRecordFields(record, vectorMdk), 0);
    assert.equal(record.title, vectors.negative.wrongPrefix.value);
  });
});

describe('decryptField with values built here', () => {
  const master = randomBytes(32);
  const mdkBytes = hkdfMdk(master, 'm1', ['notes'], ['notes:n1']);
  const mdk = createSecretKey(mdkBytes);
  const good = encV1(mdkBytes, { a: [1, 'zwei'], b: null });
  const [ivPart, ctPart] = good.slice('enc:1:'.length).split('.');

  test('round trip with an independently built ciphertext', () => {
    assert.deepEqual(decryptField(good, mdk), { a: [1, 'zwei'], b: null });
    assert.equal(decryptField(encV1(mdkBytes, 'Milch, Brot, 3 Äpfel'), mdk), 'Milch, Brot, 3 Äpfel');
  });

  test('tampered tag or ciphertext → ciphertext-tampered-or-wrong-key', () => {
    assert.equal(reasonOf(`enc:1:${ivPart}.${flipBase64(ctPart!, -1)}`, mdk), 'ciphertext-tampered-or-wrong-key');
    assert.equal(reasonOf(`enc:1:${ivPart}.${flipBase64(ctPart!, 0)}`, mdk), 'ciphertext-tampered-or-wrong-key');
    assert.equal(reasonOf(`enc:1:${flipBase64(ivPart!, 3)}.${ctPart}`, mdk), 'ciphertext-tampered-or-wrong-key');
  });

  test('encrypted with the master key instead of the MDK (KI-2) → ciphertext-tampered-or-wrong-key', () => {
    assert.equal(reasonOf(encV1(master, 'secret'), mdk), 'ciphertext-tampered-or-wrong-key');
  });

  test('structural damage → ciphertext-malformed', () => {
    const cases: Record<string, string> = {
      'the "." removed': `enc:1:${ivPart}${ctPart}`,
      'an 8-byte IV': encV1(mdkBytes, 'x', { iv: randomBytes(8) }),
      'a 16-byte IV': encV1(mdkBytes, 'x', { iv: randomBytes(16) }),
      'an empty IV': `enc:1:.${ctPart}`,
      'payload shorter than the tag': `enc:1:${ivPart}.${randomBytes(15).toString('base64')}`,
      'an empty payload': `enc:1:${ivPart}.`,
      'IV not base64': `enc:1:${ivPart!.slice(1)}!.${ctPart}`,
      'payload without its padding': `enc:1:${ivPart}.${ctPart!.replace(/=+$/, '')}`,
      'payload with url-safe characters': `enc:1:${ivPart}.-${ctPart!.slice(1)}`,
      'whitespace in the payload': `enc:1:${ivPart}.${ctPart!.slice(0, 8)} ${ctPart!.slice(8)}`,
      'nothing after the prefix': 'enc:1:',
      'a second "."': `enc:1:${ivPart}.${ctPart}.${ctPart}`,
    };
    for (const [what, value] of Object.entries(cases)) assert.equal(reasonOf(value, mdk), 'ciphertext-malformed', what);
  });

  test('payload of exactly the tag length is structurally fine (empty plaintext → decrypt-failed)', () => {
    assert.equal(reasonOf(encV1(mdkBytes, null, { plaintext: Buffer.alloc(0) }), mdk), 'decrypt-failed');
  });

  test('plaintext that is not JSON or not UTF-8 → decrypt-failed', () => {
    assert.equal(reasonOf(encV1(mdkBytes, null, { plaintext: Buffer.from('not json {') }), mdk), 'decrypt-failed');
    assert.equal(reasonOf(encV1(mdkBytes, null, { plaintext: Buffer.from([0x22, 0xff, 0xfe, 0x22]) }), mdk), 'decrypt-failed');
  });

  test('unknown or missing version → decrypt-failed', () => {
    for (const v of [`enc:2:${ivPart}.${ctPart}`, `enc:${ivPart}.${ctPart}`, 'plain text', `ENC:1:${ivPart}.${ctPart}`]) {
      assert.equal(reasonOf(v, mdk), 'decrypt-failed', v);
    }
  });

  test('a key that is not 32 bytes → decrypt-failed', () => {
    assert.equal(reasonOf(good, createSecretKey(randomBytes(16))), 'decrypt-failed');
  });

  test('DecryptError is an AppError with a stable code per reason', () => {
    try {
      decryptField(`enc:1:${ivPart}${ctPart}`, mdk);
      assert.fail('should throw');
    } catch (error) {
      assert.ok(error instanceof AppError);
      assert.ok(error instanceof DecryptError);
      assert.equal(error.code, 'CIPHERTEXT_MALFORMED');
      assert.equal(error.name, 'DecryptError');
    }
    assert.throws(() => decryptField(encV1(master, 1), mdk), { code: 'CIPHERTEXT_AUTH_FAILED' });
    assert.throws(() => decryptField('enc:2:x', mdk), { code: 'DECRYPT_FAILED' });
  });
});

describe('decryptRecordFields', () => {
  const mdkBytes = randomBytes(32);
  const mdk = createSecretKey(mdkBytes);

  test('decrypts every top-level enc:1: string in place and counts them', () => {
    const record: Record<string, unknown> = {
      id: 'n1', title: encV1(mdkBytes, 'Titel'), content: encV1(mdkBytes, { x: 1 }), plain: 'enc-ish but plain',
      nested: { deep: encV1(mdkBytes, 'stays') }, list: [encV1(mdkBytes, 'stays too')], n: 5, nothing: null,
    };
    const nested = record.nested;
    assert.equal(decryptRecordFields(record, mdk), 2);
    assert.equal(record.title, 'Titel');
    assert.deepEqual(record.content, { x: 1 });
    assert.equal(record.plain, 'enc-ish but plain');
    assert.equal(record.nested, nested);
    assert.match((record.nested as { deep: string }).deep, /^enc:1:/);
    assert.equal(record.n, 5);
  });

  test('returns 0 for a record without ciphertext', () => {
    assert.equal(decryptRecordFields({ id: 'x', title: 'plain' }, mdk), 0);
  });

  test('the first failure throws with its reason and leaves the record unchanged', () => {
    const record = { a: encV1(mdkBytes, 'ok'), b: encV1(randomBytes(32), 'wrong key'), c: 'enc:1:nodot' };
    const before = { ...record };
    assert.throws(() => decryptRecordFields(record, mdk), { reason: 'ciphertext-tampered-or-wrong-key' });
    assert.deepEqual(record, before);
  });
});
