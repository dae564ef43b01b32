/**
 * Grant and field-encryption fixtures built with node:crypto only (docs/crypto.md §2–4, §7), for the
 * crypto abuse scenario: RSA-OAEP-SHA-256 wrapping, the HKDF-SHA-256 mission data key, `enc:1:` fields,
 * and helpers that damage them (flip a byte, re-encode an IV, …).
 */
import { constants, createCipheriv, generateKeyPairSync, hkdfSync, publicEncrypt, randomBytes } from 'node:crypto';

export interface RsaPair { publicKey: string; privateKey: string }

/** A 2048-bit RSA pair: SPKI and PKCS#8 PEM. */
export const rsaPair = (): RsaPair => generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

/** docs/crypto.md §2: HKDF-SHA-256, salt = mission id, info over the sorted lists, 32 bytes. */
export function deriveMdk(master: Buffer, missionId: string, tables: string[], recordIds: string[]): Buffer {
  const info = `mana-ai-mission-grant:v1:tables=${[...tables].sort().join(',')}:ids=${[...recordIds].sort().join(',')}`;
  return Buffer.from(hkdfSync('sha256', master, Buffer.from(missionId, 'utf8'), Buffer.from(info, 'utf8'), 32));
}

/** docs/crypto.md §3: RSA-OAEP with SHA-256 (and MGF1-SHA-256), standard base64. */
export const wrapKey = (publicPem: string, key: Buffer): string =>
  publicEncrypt({ key: publicPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key).toString('base64');

/** AES-256-GCM of `plain` under `key`: [iv, ciphertext ‖ tag]. */
export function seal(key: Buffer, plain: Buffer, iv = randomBytes(12)): [Buffer, Buffer] {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  return [iv, Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()])];
}

/** docs/crypto.md §4: `enc:1:` + base64(iv) + '.' + base64(ct ‖ tag) of JSON.stringify(value). */
export function enc(key: Buffer, value: unknown): string {
  const [iv, body] = seal(key, Buffer.from(JSON.stringify(value), 'utf8'));
  return `enc:1:${iv.toString('base64')}.${body.toString('base64')}`;
}

/** A copy of `bytes` with byte `index` (negative: from the end) XOR 0x01. */
export function flip(bytes: Buffer, index: number): Buffer {
  const out = Buffer.from(bytes);
  const i = index < 0 ? out.length + index : index;
  out[i] = out[i]! ^ 0x01;
  return out;
}

/** A grant as the auth service mints it (docs/crypto.md §1), valid for an hour unless overridden. */
export function grant(wrappedKey: string, missionId: string, tables: string[], recordIds: string[],
  overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    wrappedKey,
    derivation: { version: 'v1', missionId, tables: [...tables].sort(), recordIds: [...recordIds].sort() },
    issuedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    ...overrides,
  };
}
