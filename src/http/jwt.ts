/**
 * JWT verification for the audit endpoint (docs/operations.md §1) with node:crypto only: compact JWS,
 * EdDSA over Ed25519, keys from the remote JWKS, then `iss`, `aud`, `exp`, `nbf` and `sub`.
 * The signature is checked before any claim, so unverified content never shapes an answer.
 */
import { verify as verifySignature } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Config } from '../config.js';
import type { JwksClient } from './jwks.js';
import type { JwtClaims, VerifyJwt } from './types.js';

/** A token was rejected; `message` is safe to send to the client. */
export class JwtError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('JWT_INVALID', message, options);
  }
}

/** Issuers always accepted besides JWT_ISSUER and MANA_AUTH_URL (docs/operations.md §1). */
export const BUILTIN_ISSUERS = ['https://auth.mana.how', 'http://localhost:3001'] as const;

export interface JwtVerifierOptions {
  jwks: Pick<JwksClient, 'keysFor'>;
  audience: string;
  issuers: readonly string[];
  /** Leeway for `exp` and `nbf`; default 5 s. */
  clockToleranceSeconds?: number;
  now?: () => number;
}

/** The JWKS address for an auth base URL (trailing slashes ignored). */
export function jwksUrlFor(authUrl: string): string {
  return `${authUrl.replace(/\/+$/, '')}/api/v1/auth/jwks`;
}

/** Accepted issuers: JWT_ISSUER (if set), MANA_AUTH_URL and the two built-in ones, without duplicates. */
export function acceptedIssuers(config: Pick<Config, 'jwtIssuer' | 'authUrl'>): string[] {
  const list = [config.jwtIssuer, config.authUrl, ...BUILTIN_ISSUERS].filter((v): v is string => v !== undefined);
  return [...new Set(list)];
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const MAX_TOKEN_CHARS = 8192;

/** Creates a verifier; rejects with {@link JwtError} (or the JWKS error when keys are unavailable). */
export function createJwtVerifier(options: JwtVerifierOptions): VerifyJwt {
  const leeway = options.clockToleranceSeconds ?? 5;
  const now = options.now ?? Date.now;
  return async (token) => {
    const parts = token.split('.');
    if (token.length > MAX_TOKEN_CHARS || parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) {
      throw new JwtError('malformed token');
    }
    const [h, p, s] = parts as [string, string, string];
    const header = decodeObject(h, 'header');
    if (header.alg !== 'EdDSA' && header.alg !== 'Ed25519') throw new JwtError('unsupported algorithm');
    if (header.crit !== undefined) throw new JwtError('unsupported critical header');
    if (header.kid !== undefined && typeof header.kid !== 'string') throw new JwtError('malformed key id');
    const signature = Buffer.from(s, 'base64url');
    const keys = await options.jwks.keysFor(header.kid as string | undefined);
    if (keys.length === 0) throw new JwtError('unknown signing key');
    const data = Buffer.from(`${h}.${p}`, 'ascii');
    if (signature.length !== 64 || !keys.some((key) => verifySignature(null, data, key, signature))) {
      throw new JwtError('invalid signature');
    }
    const claims = decodeObject(p, 'payload');
    checkClaims(claims, options.audience, options.issuers, now() / 1000, leeway);
    return claims as JwtClaims;
  };
}

function checkClaims(claims: Record<string, unknown>, audience: string, issuers: readonly string[],
  nowSeconds: number, leeway: number): void {
  if (typeof claims.iss !== 'string' || !issuers.includes(claims.iss)) throw new JwtError('unexpected issuer');
  const aud = claims.aud;
  if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) throw new JwtError('unexpected audience');
  // exp is required: a token that never expires is not accepted from a browser session.
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw new JwtError('missing expiry');
  if (nowSeconds - leeway >= claims.exp) throw new JwtError('token expired');
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number' || !Number.isFinite(claims.nbf)) throw new JwtError('malformed nbf');
    if (nowSeconds + leeway < claims.nbf) throw new JwtError('token not yet valid');
  }
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new JwtError('missing subject');
}

function decodeObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (error) {
    throw new JwtError(`malformed ${what}`, { cause: error });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new JwtError(`malformed ${what}`);
  return value as Record<string, unknown>;
}
