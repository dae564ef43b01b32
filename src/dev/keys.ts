/**
 * The dev grant key pair of `make run`: RSA-2048, SPKI public PEM (what the auth service would hold
 * as MANA_AI_PUBLIC_KEY_PEM) and PKCS#8 private PEM (the listener's MANA_AI_PRIVATE_KEY_PEM), kept in
 * `<dev dir>/keys` with mode 0600 so later runs can still unwrap the grants seeded earlier.
 */
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The dev key pair and whether this call generated it. */
export interface DevKeys {
  readonly publicPem: string;
  readonly privatePem: string;
  readonly created: boolean;
  readonly privatePath: string;
}

/** Reads the key pair from `dir`, generating and writing it (0600, dir 0700) when absent. */
export function ensureDevKeys(dir: string): DevKeys {
  const privatePath = join(dir, 'grant-private.pem');
  const publicPath = join(dir, 'grant-public.pem');
  if (existsSync(privatePath) && existsSync(publicPath)) {
    return { publicPem: readFileSync(publicPath, 'utf8'), privatePem: readFileSync(privatePath, 'utf8'), created: false, privatePath };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  writeFileSync(privatePath, pair.privateKey, { mode: 0o600 });
  writeFileSync(publicPath, pair.publicKey, { mode: 0o600 });
  return { publicPem: pair.publicKey, privatePem: pair.privateKey, created: true, privatePath };
}
