/**
 * `mana-ai keygen`: the RSA-2048 key pair of grant wrapping (docs/crypto.md §3), made with node:crypto:
 * the PKCS#8 private PEM for the runner (MANA_AI_PRIVATE_KEY_PEM) and the SPKI public PEM for the auth
 * service (MANA_AI_PUBLIC_KEY_PEM). Never overwrites: both files are checked first and created with
 * O_EXCL, the private one readable by its owner only.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppError } from '../errors.js';
import { parseOptions, stringOption, withUsage } from './args.js';
import type { CliIo } from './commands.js';
import { jsonLine } from './format.js';

/** File names inside --out-dir. */
export const KEY_FILES = { privateKey: 'mana-ai-private.pem', publicKey: 'mana-ai-public.pem' } as const;

/** A key file already exists; nothing was written. */
export class KeyFileExistsError extends AppError {
  readonly path: string;
  constructor(path: string) {
    super('KEY_FILE_EXISTS', `${path} already exists: refusing to overwrite a key (move it away or choose another --out-dir)`);
    this.path = path;
  }
}

const USAGE = `mana-ai keygen [--out-dir DIR] [--json]

Generates the RSA-2048 key pair that wraps mission grants (RSA-OAEP, SHA-256) with node:crypto:
  DIR/${KEY_FILES.privateKey}  PKCS#8 private key, mode 0600: the runner's MANA_AI_PRIVATE_KEY_PEM
  DIR/${KEY_FILES.publicKey}   SPKI public key: the auth service's MANA_AI_PUBLIC_KEY_PEM
Refuses to overwrite either file. DIR defaults to the current directory and is created if missing.

Options:
  --out-dir DIR   where to write the two files (default .)
  --json          {"privateKey": "<path>", "publicKey": "<path>"}
`;

/** Writes a new key pair into `outDir`; returns the two absolute paths. @throws KeyFileExistsError */
export function writeKeyPair(outDir: string): { privateKey: string; publicKey: string } {
  const dir = resolve(outDir);
  const paths = { privateKey: join(dir, KEY_FILES.privateKey), publicKey: join(dir, KEY_FILES.publicKey) };
  for (const path of [paths.privateKey, paths.publicKey]) {
    if (existsSync(path)) throw new KeyFileExistsError(path);
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  mkdirSync(dir, { recursive: true });
  // 'wx' = O_CREAT | O_EXCL: a file that appeared since the check above is still never overwritten.
  writeFileSync(paths.privateKey, privateKey, { flag: 'wx', mode: 0o600 });
  writeFileSync(paths.publicKey, publicKey, { flag: 'wx', mode: 0o644 });
  return paths;
}

/** The `keygen` command. */
export const keygenCommand = {
  summary: 'write a new RSA-2048 grant key pair (PKCS#8 private, SPKI public PEM); never overwrites',
  usage: USAGE,
  run(args: string[], io: CliIo): Promise<number> {
    return withUsage('keygen', io, async () => {
      const parsed = parseOptions(args, { 'out-dir': { type: 'string' }, json: { type: 'boolean' } });
      const paths = writeKeyPair(stringOption(parsed, 'out-dir') ?? '.');
      io.stdout(parsed.values.json ? jsonLine(paths) : [
        'wrote a new RSA-2048 key pair:',
        `  private key (PKCS#8, keep secret; the runner's MANA_AI_PRIVATE_KEY_PEM):  ${paths.privateKey}`,
        `  public key  (SPKI; the auth service's MANA_AI_PUBLIC_KEY_PEM):            ${paths.publicKey}`,
        '',
      ].join('\n'));
      return 0;
    });
  },
};
