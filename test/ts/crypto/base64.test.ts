import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { decodeBase64Strict, encodeBase64 } from '../../../src/crypto/base64.js';

describe('decodeBase64Strict', () => {
  test('decodes canonical padded base64 of every length 0..40', () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = randomBytes(n);
      assert.deepEqual(decodeBase64Strict(bytes.toString('base64')), bytes, `length ${n}`);
    }
  });

  test('decodes the empty string to an empty buffer', () => {
    assert.deepEqual(decodeBase64Strict(''), Buffer.alloc(0));
  });

  test('accepts + and / (standard alphabet)', () => {
    assert.deepEqual(decodeBase64Strict('+/+/'), Buffer.from([0xfb, 0xff, 0xbf]));
  });

  const rejected: [string, string][] = [
    ['missing padding', 'QQ'],
    ['one = short', 'QQ='],
    ['extra padding', 'QQ==='],
    ['padding after a full group', 'QUJD='],
    ['a whole group of padding', 'QUJD===='],
    ['padding in the middle', 'QQ==QUJD'],
    ['three = in the last group', 'Q==='],
    ['url-safe minus', 'ab-d'],
    ['url-safe underscore', 'ab_d'],
    ['a space', 'QU JD'],
    ['a trailing newline', 'QUJD\n'],
    ['a leading space', ' QUJD'],
    ['non-zero unused bits (QR== is not canonical)', 'QR=='],
    ['non-zero unused bits (QUJ= vs QUI=)', 'QUJ='],
    ['invalid characters', '!!!!'],
    ['length not a multiple of 4', 'QUJDR'],
  ];
  for (const [what, text] of rejected) {
    test(`rejects ${what}`, () => assert.equal(decodeBase64Strict(text), null));
  }

  test('rejects non-strings', () => {
    for (const v of [undefined, null, 42, ['QUJD'], Buffer.from('QUJD')]) assert.equal(decodeBase64Strict(v), null);
  });

  test('encodeBase64 round-trips, including a subarray view', () => {
    const bytes = randomBytes(33);
    const view = bytes.subarray(5, 20);
    assert.deepEqual(decodeBase64Strict(encodeBase64(view)), Buffer.from(view));
  });
});
