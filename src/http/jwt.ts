/**
 * JWT verification for the audit endpoint, done by `jose`: compact JWS, EdDSA over Ed25519 with keys
 * from the remote JWKS (./jwks.ts), then `iss`, `aud`, `exp`, `nbf` and `sub`. jose checks the
 * signature before any claim, so unverified content never shapes an answer. What stays here is our
 * policy (which algorithms, which claims are required, no `crit` extensions, a size cap) and the
 * translation of jose's errors into the short messages the 401 body carries.
 */
import { decodeProtectedHeader, errors as jose, jwtVerify, type JWTVerifyOptions } from 'jose';
import { AppError } from '../errors.js';
import type { Config } from '../config.js';
import type { JwksClient, VerifyKey } from './jwks.js';
import type { JwtClaims, VerifyJwt } from './types.js';

/** A token was rejected; `message` is safe to send to the client. */
export class JwtError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('JWT_INVALID', message, options);
  }
}

/** Issuers always accepted besides JWT_ISSUER and MANA_AUTH_URL (README, "HTTP"). */
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

const MAX_TOKEN_CHARS = 8192;

/** Creates a verifier; rejects with {@link JwtError} (or the JWKS error when keys are unavailable). */
export function createJwtVerifier(options: JwtVerifierOptions): VerifyJwt {
  const now = options.now ?? Date.now;
  const verifyOptions = (): JWTVerifyOptions => ({
    algorithms: ['EdDSA', 'Ed25519'],
    issuer: [...options.issuers],
    audience: options.audience,
    // exp is required: a token that never expires is not accepted from a browser session.
    requiredClaims: ['exp', 'sub'],
    clockTolerance: options.clockToleranceSeconds ?? 5,
    currentDate: new Date(now()),
  });
  return async (token) => {
    if (token.length > MAX_TOKEN_CHARS) throw new JwtError('malformed token');
    const header = translate(() => decodeProtectedHeader(token));
    if (header.crit !== undefined) throw new JwtError('unsupported critical header');
    if (header.kid !== undefined && typeof header.kid !== 'string') throw new JwtError('malformed key id');
    // The key set is asked only once jose has accepted the header's shape and algorithm.
    let rest: VerifyKey[] = [];
    const firstKey = async (): Promise<VerifyKey> => {
      const keys = await options.jwks.keysFor(header.kid);
      if (keys.length === 0) throw new JwtError('unknown signing key');
      [, ...rest] = keys;
      return keys[0]!;
    };
    const opts = verifyOptions();
    let claims: Record<string, unknown>;
    try {
      claims = (await jwtVerify(token, firstKey, opts)).payload;
    } catch (error) {
      // A token without `kid` is tried against every key of the set; only a bad signature moves on.
      claims = await tryOthers(token, rest, opts, error);
    }
    if (typeof claims.sub !== 'string' || claims.sub === '') throw new JwtError('missing subject');
    return claims as JwtClaims;
  };
}

async function tryOthers(token: string, keys: VerifyKey[], opts: JWTVerifyOptions, error: unknown): Promise<Record<string, unknown>> {
  let last = error;
  for (const key of keys) {
    if (!(last instanceof jose.JWSSignatureVerificationFailed)) break;
    try {
      return (await jwtVerify(token, key, opts)).payload;
    } catch (next) {
      last = next;
    }
  }
  throw toJwtError(last);
}

function translate<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toJwtError(error);
  }
}

/** jose's error classes mapped to the messages a client sees; JWKS errors pass through unchanged. */
function toJwtError(error: unknown): unknown {
  if (!(error instanceof jose.JOSEError)) {
    return error instanceof AppError ? error : new JwtError('malformed token', { cause: error });
  }
  if (error instanceof jose.JWTExpired) return new JwtError('token expired', { cause: error });
  if (error instanceof jose.JWSSignatureVerificationFailed) return new JwtError('invalid signature', { cause: error });
  if (error instanceof jose.JOSEAlgNotAllowed) return new JwtError('unsupported algorithm', { cause: error });
  if (error instanceof jose.JWTClaimValidationFailed) {
    const messages: Record<string, string> = {
      iss: 'unexpected issuer', aud: 'unexpected audience', sub: 'missing subject',
      exp: 'missing expiry', nbf: error.reason === 'check_failed' ? 'token not yet valid' : 'malformed nbf',
    };
    return new JwtError(messages[error.claim] ?? `invalid ${error.claim} claim`, { cause: error });
  }
  return new JwtError('malformed token', { cause: error });
}
