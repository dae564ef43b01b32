/**
 * Field decryption for the web app's `enc:1:` format (docs/crypto.md §4):
 * `enc:1:` + base64(IV) + `.` + base64(ciphertext ‖ tag), AES-256-GCM, 12-byte IV, 16-byte tag,
 * no additional data, plaintext = UTF-8 of `JSON.stringify(value)`.
 *
 * Failures are classified by where they happen, never by matching error messages (the reference
 * matches messages and so reports e.g. a wrong IV length as `decrypt-failed`; docs/crypto.md §5).
 */
import { createDecipheriv, type KeyObject } from 'node:crypto';
import { AppError } from '../errors.js';
import { decodeBase64Strict } from './base64.js';

/** The only field-encryption prefix this runner understands. */
export const ENC_V1_PREFIX = 'enc:1:';
/** AES-GCM IV length in bytes. */
export const IV_BYTES = 12;
/** AES-GCM authentication tag length in bytes (appended to the ciphertext). */
export const TAG_BYTES = 16;
/** AES-256 key length in bytes (the MDK). */
export const MDK_BYTES = 32;

/** Why a field could not be decrypted; these strings go into `decrypt_audit.reason` as they are. */
export type DecryptReason = 'ciphertext-malformed' | 'ciphertext-tampered-or-wrong-key' | 'decrypt-failed';

/** Every {@link DecryptReason}, e.g. for tests and metric label lists. */
export const DECRYPT_REASONS: readonly DecryptReason[] = [
  'ciphertext-malformed',
  'ciphertext-tampered-or-wrong-key',
  'decrypt-failed',
];

const CODES: Record<DecryptReason, string> = {
  'ciphertext-malformed': 'CIPHERTEXT_MALFORMED',
  'ciphertext-tampered-or-wrong-key': 'CIPHERTEXT_AUTH_FAILED',
  'decrypt-failed': 'DECRYPT_FAILED',
};

/** A field that could not be decrypted. `reason` is the audit reason; the message never holds data. */
export class DecryptError extends AppError {
  readonly reason: DecryptReason;
  constructor(reason: DecryptReason, message: string, options?: ErrorOptions) {
    super(CODES[reason], message, options);
    this.reason = reason;
  }
}

/** True when `value` is a string the runner should decrypt (it starts with `enc:1:`). */
export function isEncryptedV1(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENC_V1_PREFIX);
}

/**
 * Decrypts one `enc:1:` value with the MDK and returns the original JSON value.
 *
 * Reasons: `ciphertext-malformed` (no `.`, bad base64, IV not 12 bytes, payload shorter than the
 * tag); `ciphertext-tampered-or-wrong-key` (GCM authentication fails); `decrypt-failed` for
 * anything else: plaintext not UTF-8 or not JSON, an unusable key, or a value that is not
 * `enc:1:` at all. An unknown version such as `enc:2:` is therefore `decrypt-failed` here; note that
 * {@link decryptRecordFields} never passes such a value in, since only `enc:1:` strings are
 * ciphertext for the runner (the vectors expect `enc:2:` to be "not decrypted").
 *
 * @throws DecryptError
 */
export function decryptField(value: string, mdk: KeyObject): unknown {
  if (!isEncryptedV1(value)) {
    throw new DecryptError('decrypt-failed', 'value is not an enc:1: ciphertext (unknown or missing version)');
  }
  const body = value.slice(ENC_V1_PREFIX.length);
  const dot = body.indexOf('.');
  if (dot < 0) throw new DecryptError('ciphertext-malformed', 'no "." between IV and ciphertext');
  const iv = decodeBase64Strict(body.slice(0, dot));
  if (iv === null) throw new DecryptError('ciphertext-malformed', 'IV is not strict base64');
  if (iv.length !== IV_BYTES) throw new DecryptError('ciphertext-malformed', `IV is ${iv.length} bytes, want ${IV_BYTES}`);
  const payload = decodeBase64Strict(body.slice(dot + 1));
  if (payload === null) throw new DecryptError('ciphertext-malformed', 'ciphertext is not strict base64');
  if (payload.length < TAG_BYTES) {
    throw new DecryptError('ciphertext-malformed', `payload is ${payload.length} bytes, shorter than the tag`);
  }
  if (mdk?.type !== 'secret' || mdk.symmetricKeySize !== MDK_BYTES) {
    throw new DecryptError('decrypt-failed', 'key is not a 32-byte secret key');
  }

  let head: Buffer;
  let decipher;
  try {
    decipher = createDecipheriv('aes-256-gcm', mdk, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(payload.subarray(payload.length - TAG_BYTES));
    head = decipher.update(payload.subarray(0, payload.length - TAG_BYTES));
  } catch (cause) {
    throw new DecryptError('decrypt-failed', 'cipher setup failed', { cause });
  }
  let tail: Buffer;
  try {
    // With the inputs validated above, the only way final() fails is the GCM tag check.
    tail = decipher.final();
  } catch (cause) {
    head.fill(0);
    throw new DecryptError('ciphertext-tampered-or-wrong-key', 'authentication failed (tampered or wrong key)', { cause });
  }
  const plain = tail.length === 0 ? head : Buffer.concat([head, tail]);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain));
  } catch (cause) {
    throw new DecryptError('decrypt-failed', 'plaintext is not UTF-8 JSON', { cause });
  } finally {
    plain.fill(0); // best effort: the parsed value lives on in JS strings we cannot wipe
    head.fill(0);
  }
}

/**
 * Decrypts, in place, every top-level field of `record` whose value is a string starting with
 * `enc:1:` (other strings, including `enc:2:…`, are plaintext). All-or-nothing: on the first
 * failure the record is left unchanged and the error propagates.
 *
 * @returns the number of decrypted fields (0 when nothing was encrypted).
 * @throws DecryptError with the first failing field's reason.
 */
export function decryptRecordFields(record: Record<string, unknown>, mdk: KeyObject): number {
  const decrypted: [string, unknown][] = [];
  for (const [key, value] of Object.entries(record)) {
    if (isEncryptedV1(value)) decrypted.push([key, decryptField(value, mdk)]);
  }
  for (const [key, value] of decrypted) record[key] = value;
  return decrypted.length;
}
