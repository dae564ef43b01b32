/**
 * Grant unwrap (docs/crypto.md §3): the runner's PKCS#8 RSA key, parsed once at start with node-forge,
 * unwraps `grant.wrappedKey` (RSA-OAEP, SHA-256 and MGF1-SHA-256, empty label) into the mission
 * data key (MDK). Unwrap never throws; every failure is one of four stable reasons, checked in the
 * order of the spec's step table, and all cheap checks run before the (pure JS) RSA decryption.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { coerceError } from '../errors.js';
import { decodeBase64Strict } from './base64.js';
import { MDK_BYTES } from './field.js';

/** Every reason a grant could not be used, in step-table order: the one list (metrics presets
 * `mana_ai_grant_skips_total{reason}` from it). */
export const UNWRAP_REASONS = ['not-configured', 'expired', 'malformed', 'wrap-rejected'] as const;

/** Why a grant could not be used; the label of `mana_ai_grant_skips_total{reason}`. */
export type UnwrapReason = (typeof UNWRAP_REASONS)[number];

/** The runner's private key, parsed once; opaque outside this module. */
export interface GrantKey {
  readonly kind: 'grant-key';
  readonly rsa: forge.pki.rsa.PrivateKey;
}

/** No usable private key; `detail` says why (never key material). */
export interface KeyNotConfigured {
  readonly reason: 'not-configured';
  readonly detail: string;
}

/** Outcome of {@link unwrapGrant}. On success `mdk` is an AES-256 secret key (decrypt use only). */
export type UnwrapResult =
  | { ok: true; mdk: KeyObject; recordIds: Set<string> }
  | { ok: false; reason: UnwrapReason; detail: string };

const notConfigured = (detail: string): KeyNotConfigured => Object.freeze({ reason: 'not-configured', detail });

/**
 * Parses `MANA_AI_PRIVATE_KEY_PEM` (PKCS#8): drops the `-----BEGIN/END …-----` lines and all
 * whitespace, decodes the base64 body strictly to DER and imports it. Call once at start.
 * The DER bytes are zeroed after import (best effort: forge keeps its own big integers).
 */
export function loadPrivateKey(pem: string | undefined): GrantKey | KeyNotConfigured {
  if (typeof pem !== 'string' || pem.trim() === '') return notConfigured('private key PEM is not set');
  const body = pem.replace(/-----(?:BEGIN|END) [^-]*-----/g, '').replace(/\s+/g, '');
  const der = decodeBase64Strict(body);
  if (der === null || der.length === 0) return notConfigured('private key PEM body is not base64');
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
    const rsa = forge.pki.privateKeyFromAsn1(asn1);
    if (typeof rsa?.decrypt !== 'function') return notConfigured('private key is not an RSA key');
    return Object.freeze({ kind: 'grant-key', rsa });
  } catch (error) {
    return notConfigured(`private key is not importable: ${coerceError(error).message}`);
  } finally {
    der.fill(0);
  }
}

/** True for a key returned by {@link loadPrivateKey} that imported successfully. */
export function isGrantKey(key: unknown): key is GrantKey {
  return typeof key === 'object' && key !== null && (key as { kind?: unknown }).kind === 'grant-key';
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const fail = (reason: UnwrapReason, detail: string): UnwrapResult => ({ ok: false, reason, detail });

/**
 * Unwraps a mission's grant. Never throws. Steps, in order (docs/crypto.md §3):
 * key missing or unimportable → `not-configured`; `expiresAt` unparseable or earlier than `now` →
 * `expired`; grant shape wrong, `derivation.version` ≠ `v1` or `derivation.missionId` ≠
 * `missionId` (KI-15), or `wrappedKey` not strict base64 → `malformed`; RSA-OAEP fails →
 * `wrap-rejected`; plaintext not 32 bytes → `malformed`. `issuedAt` is not checked.
 * Callers skip unwrap entirely when the grant is absent or `null`.
 *
 * @returns the MDK and the allowlist (`derivation.recordIds`), or the reason with a log detail.
 */
export function unwrapGrant(
  grant: unknown,
  missionId: string,
  now: Date,
  key: GrantKey | KeyNotConfigured | null | undefined,
): UnwrapResult {
  try {
    return unwrapSteps(grant, missionId, now, key);
  } catch (error) {
    // Unreachable for JSON input; keeps the "never throws" promise for anything else (e.g. getters).
    return fail('malformed', `grant could not be read: ${coerceError(error).message}`);
  }
}

function unwrapSteps(
  grant: unknown,
  missionId: string,
  now: Date,
  key: GrantKey | KeyNotConfigured | null | undefined,
): UnwrapResult {
  if (!isGrantKey(key)) return fail('not-configured', key?.detail ?? 'no private key loaded');
  if (!isObject(grant)) return fail('malformed', 'grant is not an object');

  const expiresAt = typeof grant.expiresAt === 'string' ? Date.parse(grant.expiresAt) : Number.NaN;
  if (Number.isNaN(expiresAt)) return fail('expired', 'expiresAt is missing or unparseable');
  // Written as !(>=) so an invalid `now` also counts as expired rather than as valid forever.
  if (!(expiresAt >= now.getTime())) return fail('expired', 'grant expired');

  const d = grant.derivation;
  if (!isObject(d)) return fail('malformed', 'derivation is not an object');
  if (d.version !== 'v1') return fail('malformed', 'derivation.version is not v1');
  if (d.missionId !== missionId) return fail('malformed', 'derivation.missionId does not match the mission');
  if (!isStringList(d.tables) || !isStringList(d.recordIds)) {
    return fail('malformed', 'derivation.tables/recordIds are not lists of strings');
  }
  const wrapped = decodeBase64Strict(grant.wrappedKey);
  if (wrapped === null) return fail('malformed', 'wrappedKey is not strict base64');

  let plain: string;
  try {
    const sha256 = () => forge.md.sha256.create();
    plain = key.rsa.decrypt(wrapped.toString('binary'), 'RSA-OAEP', { md: sha256(), mgf1: { md: sha256() } });
  } catch {
    return fail('wrap-rejected', 'RSA-OAEP decryption failed');
  }
  const raw = Buffer.from(plain, 'binary');
  try {
    if (raw.length !== MDK_BYTES) return fail('malformed', `unwrapped key is ${raw.length} bytes, want ${MDK_BYTES}`);
    // KeyObject copies the bytes; node:crypto has no usage flags, so "decrypt-only" is by convention.
    return { ok: true, mdk: createSecretKey(raw), recordIds: new Set(d.recordIds) };
  } catch (error) {
    return fail('malformed', `unwrapped key not importable: ${coerceError(error).message}`);
  } finally {
    raw.fill(0);
  }
}
