/**
 * Test fixtures for the crypto and resolver tests: the fixed vector set in test/fixtures/crypto-v1.json
 * (described in docs/crypto.md, *Vectors*) and vectors built here with node:crypto only, so they do
 * not depend on the code under test (docs/crypto.md §7).
 */
import {
  constants, createCipheriv, createSecretKey, generateKeyPairSync, hkdfSync, publicEncrypt, randomBytes, type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The shape of test/fixtures/crypto-v1.json (only what the tests read). */
export interface SpecVectors {
  rsa: { privatePkcs8Pem: string; publicSpkiPem: string };
  masterKeyHex: string;
  derivation: { version: string; missionId: string; tables: string[]; recordIds: string[] };
  infoString: string;
  mdkHex: string;
  grant: Record<string, unknown>;
  records: Record<string, { plaintext: Record<string, unknown>; encrypted: Record<string, string> }>;
  negative: {
    tamperedTag: { value: string };
    wrongKey: { value: string };
    wrongPrefix: { value: string };
    expiredGrant: { grant: Record<string, unknown> };
    otherMissionGrant: { grant: Record<string, unknown>; forMission: string };
    notBase64: { grant: Record<string, unknown> };
  };
}

/** test/ts/crypto → test/fixtures. */
export const VECTORS_URL = new URL('../../fixtures/crypto-v1.json', import.meta.url);

export function loadVectors(): SpecVectors {
  return JSON.parse(readFileSync(VECTORS_URL, 'utf8')) as SpecVectors;
}

/** A fresh 2048-bit RSA pair as SPKI / PKCS#8 PEM. */
export function rsaPair(): { publicPem: string; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicPem: publicKey, privatePem: privateKey };
}

/** RSA-OAEP SHA-256 (MGF1-SHA-256) wrap with node:crypto, base64. */
export function wrap(publicPem: string, bytes: Uint8Array): string {
  return publicEncrypt({ key: publicPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, bytes)
    .toString('base64');
}

/** HKDF exactly as docs/crypto.md §2, written independently of src/issuer/mint.ts. */
export function hkdfMdk(master: Uint8Array, missionId: string, tables: string[], ids: string[]): Buffer {
  const info = `mana-ai-mission-grant:v1:tables=${[...tables].sort().join(',')}:ids=${[...ids].sort().join(',')}`;
  return Buffer.from(hkdfSync('sha256', master, Buffer.from(missionId), Buffer.from(info), 32));
}

/** A grant JSON object as the auth service would store it. */
export function grantJson(opts: {
  wrappedKey: string; missionId: string; tables?: string[]; recordIds?: string[];
  version?: string; issuedAt?: string; expiresAt?: string;
}): Record<string, unknown> {
  return {
    wrappedKey: opts.wrappedKey,
    derivation: {
      version: opts.version ?? 'v1', missionId: opts.missionId,
      tables: opts.tables ?? ['notes', 'tasks'], recordIds: opts.recordIds ?? ['notes:n1', 'tasks:t1'],
    },
    issuedAt: opts.issuedAt ?? new Date().toISOString(),
    expiresAt: opts.expiresAt ?? new Date(Date.now() + 3600_000).toISOString(),
  };
}

/** `enc:1:` with node:crypto directly; `iv` and `plaintext` overridable to build broken values. */
export function encV1(key: Uint8Array | KeyObject, value: unknown, opts: { iv?: Buffer; plaintext?: Buffer } = {}): string {
  const iv = opts.iv ?? randomBytes(12);
  const k = key instanceof Uint8Array ? createSecretKey(key) : key;
  const cipher = createCipheriv('aes-256-gcm', k, iv);
  const pt = opts.plaintext ?? Buffer.from(JSON.stringify(value), 'utf8');
  const ct = Buffer.concat([cipher.update(pt), cipher.final(), cipher.getAuthTag()]);
  return `enc:1:${iv.toString('base64')}.${ct.toString('base64')}`;
}

/** Flips one bit of the byte at `index` (negative counts from the end) of a base64 string. */
export function flipBase64(b64: string, index: number): string {
  const bytes = Buffer.from(b64, 'base64');
  const i = index < 0 ? bytes.length + index : index;
  bytes[i] ^= 0x01;
  return bytes.toString('base64');
}
