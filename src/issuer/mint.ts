/**
 * The issuing side of grants, for tests, fixtures, the demo and the `grant` command: MDK derivation,
 * minting a grant the way the auth service does and encrypting a field the way the web app does. The
 * runner itself never derives an MDK or encrypts, so this lives outside crypto/ (the runtime path):
 * nothing `serve` loads imports it (test/ts/build/shipped.test.ts checks the import graph).
 *
 * Design note (KI-2): real records are encrypted with the master key, not the MDK, so in
 * production every decrypt with an unwrapped MDK fails authentication. Fixtures built here are
 * encrypted with the MDK on purpose; do not "fix" this by decrypting with anything else.
 */
import {
  constants, createCipheriv, createHmac, createPublicKey, createSecretKey, publicEncrypt, randomBytes, type KeyObject,
} from 'node:crypto';
import { AppError } from '../errors.js';
import { encodeBase64 } from '../crypto/base64.js';
import { ENC_V1_PREFIX, IV_BYTES, MDK_BYTES } from '../crypto/field.js';

/** The only derivation version that exists. */
export const GRANT_VERSION = 'v1';
/** TTL bounds of the auth service: default 7 days, clamped to [1 h, 30 days]. */
export const GRANT_TTL = { defaultMs: 7 * 24 * 3600_000, minMs: 3600_000, maxMs: 30 * 24 * 3600_000 } as const;
/** Most record ids one grant may carry. */
export const MAX_GRANT_RECORD_IDS = 1000;

/** The master key given to HKDF is not 32 bytes. */
export class MasterKeyError extends AppError {
  constructor(length: number) {
    super('MASTER_KEY_INVALID', `master key must be ${MDK_BYTES} bytes, got ${length}`);
  }
}

/** A grant request the auth service would answer with 400 BAD_REQUEST. */
export class GrantRequestError extends AppError {
  constructor(message: string) {
    super('BAD_REQUEST', message);
  }
}

/** `mission.grant` as stored in the mission record (docs/crypto.md §1). */
export interface Grant {
  wrappedKey: string;
  derivation: { version: string; missionId: string; tables: string[]; recordIds: string[] };
  issuedAt: string;
  expiresAt: string;
}

/** What an MDK is derived from. Lists may come unsorted; they are sorted before use. */
export interface DerivationInput {
  missionId: string;
  tables: readonly string[];
  recordIds: readonly string[];
}

/** JavaScript default sort order (UTF-16 code units), on a copy. */
const sorted = (list: readonly string[]): string[] => [...list].sort();

/** The HKDF info string: `mana-ai-mission-grant:v1:tables=<a,b>:ids=<x,y>` with both lists sorted. */
export function grantInfo(tables: readonly string[], recordIds: readonly string[], version = GRANT_VERSION): string {
  return `mana-ai-mission-grant:${version}:tables=${sorted(tables).join(',')}:ids=${sorted(recordIds).join(',')}`;
}

/**
 * HKDF-SHA-256 (RFC 5869) on HMAC directly. Node's `hkdfSync` and WebCrypto (OpenSSL) refuse an
 * info longer than 1024 bytes, while a grant's info grows with up to 1000 record ids.
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Buffer {
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) throw new RangeError('HKDF length out of range');
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; blocks.length * 32 < length; i++) {
    previous = createHmac('sha256', prk).update(previous).update(info).update(Buffer.from([i])).digest();
    blocks.push(previous);
  }
  prk.fill(0);
  const okm = Buffer.concat(blocks);
  for (const b of blocks) b.fill(0);
  return okm.subarray(0, length);
}

/**
 * HKDF-SHA-256 of the 32-byte master key; salt = UTF-8 `missionId`, info = {@link grantInfo},
 * 32 bytes out. The caller owns (and should zero) the returned bytes.
 *
 * @throws MasterKeyError when `masterKey` is not 32 bytes.
 */
export function deriveMdk(masterKey: Uint8Array, input: DerivationInput): Buffer {
  if (masterKey.length !== MDK_BYTES) throw new MasterKeyError(masterKey.length);
  const info = Buffer.from(grantInfo(input.tables, input.recordIds), 'utf8');
  return hkdfSha256(masterKey, Buffer.from(input.missionId, 'utf8'), info, MDK_BYTES);
}

/** Arguments of {@link mintGrant}; `ttlMs` defaults to 7 days, `now` to the current time. */
export interface MintGrantInput extends DerivationInput {
  publicKeyPem: string;
  masterKey: Uint8Array;
  ttlMs?: number;
  now?: Date;
}

const isStringList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0);

/**
 * Mints a grant like `POST /api/v1/me/ai-mission-grant`: validates the request, derives the MDK,
 * wraps it with RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) under the SPKI public key, and
 * returns the grant (lists sorted, TTL clamped) together with the MDK as an AES-256 key.
 *
 * @throws GrantRequestError for a bad shape, empty lists or more than 1000 record ids;
 *   MasterKeyError for a master key that is not 32 bytes.
 */
export function mintGrant(input: MintGrantInput): { grant: Grant; mdk: KeyObject } {
  const { missionId, tables, recordIds, ttlMs } = input;
  if (typeof missionId !== 'string' || missionId.length === 0) throw new GrantRequestError('missionId must be a non-empty string');
  if (!isStringList(tables) || tables.length === 0) throw new GrantRequestError('tables must be a non-empty list of strings');
  if (!isStringList(recordIds) || recordIds.length === 0) throw new GrantRequestError('recordIds must be a non-empty list of strings');
  if (recordIds.length > MAX_GRANT_RECORD_IDS) throw new GrantRequestError(`at most ${MAX_GRANT_RECORD_IDS} recordIds`);
  if (ttlMs !== undefined && (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs))) {
    throw new GrantRequestError('ttlMs must be a finite number of milliseconds');
  }
  const ttl = Math.min(GRANT_TTL.maxMs, Math.max(GRANT_TTL.minMs, ttlMs ?? GRANT_TTL.defaultMs));
  const now = input.now ?? new Date();

  const raw = deriveMdk(input.masterKey, input);
  try {
    const wrapped = publicEncrypt(
      { key: createPublicKey(input.publicKeyPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      raw,
    );
    const grant: Grant = {
      wrappedKey: encodeBase64(wrapped),
      derivation: { version: GRANT_VERSION, missionId, tables: sorted(tables), recordIds: sorted(recordIds) },
      issuedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttl).toISOString(),
    };
    return { grant, mdk: createSecretKey(raw) };
  } finally {
    raw.fill(0);
  }
}

/**
 * Encrypts one value as `enc:1:` under `key` (the MDK for fixtures), with a fresh random IV.
 * For fixtures and dev tooling only; the runner never encrypts. `null`/`undefined` are never
 * encrypted by the web app, so they are refused here too.
 */
export function encryptField(value: unknown, key: KeyObject, iv: Uint8Array = randomBytes(IV_BYTES)): string {
  if (value === null || value === undefined) throw new TypeError('null and absent values are never encrypted');
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${ENC_V1_PREFIX}${encodeBase64(iv)}.${encodeBase64(ct)}`;
}
