/**
 * Remote JWKS: Ed25519 keys from `${MANA_AUTH_URL}/api/v1/auth/jwks`, fetched with
 * undici on an Agent of our own and cached. An unknown `kid` triggers a refetch (key rotation), but
 * at most once per cooldown, so a stream of forged kids cannot turn into a stream of fetches.
 */
import { importJWK } from 'jose';
import { Agent, request } from 'undici';
import { AppError, errorFields } from '../errors.js';
import type { Logger } from '../log.js';

/** The key set could not be fetched or holds no usable key. */
export class JwksError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('JWKS_UNAVAILABLE', message, options);
  }
}

export interface JwksOptions {
  url: string;
  logger: Logger;
  /** Whole fetch (connect, headers, body); default 5000. */
  timeoutMs?: number;
  /** Least time between two fetches triggered by unknown kids; default 30 000. */
  cooldownMs?: number;
  /** Cached keys are refetched when older than this; default 600 000. */
  maxAgeMs?: number;
  /** Largest accepted JWKS document; default 64 KiB. */
  maxBytes?: number;
  now?: () => number;
}

/** A public key as jose imports it (a WebCrypto key on Node). */
export type VerifyKey = CryptoKey;

/** A cached remote key set. */
export interface JwksClient {
  /** Keys for `kid` (every key when the token names none); refetches on an unknown kid. */
  keysFor(kid: string | undefined): Promise<VerifyKey[]>;
  close(): Promise<void>;
}

const FAILURE_BACKOFF_MS = 1000;

interface CachedKey { readonly kid: string | undefined; readonly key: VerifyKey }

/** Creates a JWKS client; nothing is fetched until the first token arrives. */
export function createJwksClient(options: JwksOptions): JwksClient {
  const timeoutMs = options.timeoutMs ?? 5000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const maxAgeMs = options.maxAgeMs ?? 600_000;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const now = options.now ?? Date.now;
  const agent = new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  let keys: CachedKey[] = [];
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;

  let failure: { at: number; error: unknown } | undefined;

  const refresh = (): Promise<void> => {
    // After a failed fetch, callers within the next second share its error instead of refetching.
    if (failure !== undefined && now() - failure.at < FAILURE_BACKOFF_MS) return Promise.reject(failure.error);
    inflight ??= (async () => {
      attemptedAt = now();
      try {
        keys = await parseJwks(await fetchJson(agent, options.url, timeoutMs, maxBytes));
        fetchedAt = now();
        failure = undefined;
      } catch (error) {
        failure = { at: now(), error };
        throw error;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };

  const matching = (kid: string | undefined) => keys.filter((k) => kid === undefined || k.kid === kid).map((k) => k.key);

  return {
    async keysFor(kid) {
      if (now() - fetchedAt > maxAgeMs) {
        try {
          await refresh();
        } catch (error) {
          if (keys.length === 0) throw error;
          options.logger.warn('jwks refresh failed; using cached keys', { error: errorFields(error) });
        }
      }
      let found = matching(kid);
      if (found.length === 0 && kid !== undefined && now() - attemptedAt >= cooldownMs) {
        await refresh();
        found = matching(kid);
      }
      return found;
    },
    close: () => agent.close(),
  };
}

async function fetchJson(agent: Agent, url: string, timeoutMs: number, maxBytes: number): Promise<unknown> {
  let text = '';
  try {
    const res = await request(url, {
      dispatcher: agent, method: 'GET', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new JwksError(`JWKS fetch answered HTTP ${res.statusCode}`);
    }
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new JwksError(`JWKS larger than ${maxBytes} bytes`);
      }
      text += chunk.toString('utf8');
    }
  } catch (error) {
    if (error instanceof JwksError) throw error;
    throw new JwksError(`JWKS fetch failed: ${errorFields(error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new JwksError('JWKS is not JSON', { cause: error });
  }
}

/** Usable Ed25519 signing keys of a JWKS document; only public members are ever imported. */
async function parseJwks(doc: unknown): Promise<CachedKey[]> {
  const list = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new JwksError('JWKS has no "keys" array');
  const out: CachedKey[] = [];
  for (const jwk of list as Record<string, unknown>[]) {
    if (jwk === null || typeof jwk !== 'object' || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') continue;
    if (typeof jwk.x !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
    if (jwk.alg !== undefined && jwk.alg !== 'EdDSA' && jwk.alg !== 'Ed25519') continue;
    try {
      const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'Ed25519') as CryptoKey;
      out.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, key });
    } catch {
      // A malformed key is skipped; the others stay usable.
    }
  }
  if (out.length === 0) throw new JwksError('JWKS holds no usable Ed25519 key');
  return out;
}
