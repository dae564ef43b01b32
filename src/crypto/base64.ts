/**
 * Strict standard base64 (RFC 4648 §4, with padding). Node's decoder is lenient: it skips
 * whitespace and invalid characters, accepts the url-safe alphabet and missing padding, so every
 * wire value (wrapped keys, IVs, ciphertexts, the PEM body) is validated here before decoding.
 */

// Groups of four, then optionally one padded group ("xx==" or "xxx="). Rejects whitespace,
// '-' and '_', a lone trailing character, missing or extra '='.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes `text` only if it is canonical standard base64: the standard alphabet, length a multiple
 * of 4, correct `=` padding, and zero unused bits in the last group (so every byte string has
 * exactly one accepted encoding, the one Node, WebCrypto-based `btoa` and the auth service emit).
 * The empty string decodes to an empty buffer.
 *
 * @returns the decoded bytes, or `null` when `text` is not strict base64 (or not a string).
 */
export function decodeBase64Strict(text: unknown): Buffer | null {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !STRICT_BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Non-zero padding bits ("QR==" instead of "QQ==") survive the regex; re-encoding catches them.
  if (bytes.toString('base64') !== text) return null;
  return bytes;
}

/** Standard base64 with padding (the encoding every `enc:1:` and `wrappedKey` value uses). */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
