/**
 * `mana-ai grant`: mints a mission grant exactly like the auth service (mintGrant: HKDF-SHA-256 MDK from
 * the master key, RSA-OAEP/SHA-256 wrap under the SPKI public key, sorted lists, TTL clamped to
 * [1 h, 30 d]) and prints the grant JSON. For development and tests: it needs the user's master key.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Grant } from '../issuer/mint.js';
import { listOption, parseOptions, requiredOption, stringOption, UsageError, withUsage } from './args.js';
import type { CliIo } from './commands.js';
import { jsonLine } from './format.js';

const USAGE = `mana-ai grant --mission <id> --public-key <file> --master-key <hex|file>
              --tables a,b --record-ids table:id,... [--ttl-ms N] [--json]

Mints a grant the way the auth service's POST /api/v1/me/ai-mission-grant does and prints it as
JSON on stdout (store it as the mission's "grant" field). Development and test tool: it needs the
user's 32-byte master key, which production never hands out.

Options:
  --mission <id>        the mission id (HKDF salt and derivation.missionId)
  --public-key <file>   SPKI PEM (mana-ai keygen writes one)
  --master-key <k>      64 hex characters, or a file holding 64 hex characters or 32 raw bytes
  --tables a,b          tables the grant covers (sorted; at least one)
  --record-ids t:id,…   records the grant covers, as table:id (sorted; 1 to 1000)
  --ttl-ms N            lifetime in ms (default 7 days, clamped to 1 h … 30 days)
  --json                compact one-line JSON (default: indented)
`;

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/** The master key from `--master-key`: hex text, or a file with hex text or 32 raw bytes. */
export function readMasterKey(value: string): Buffer {
  if (HEX_KEY.test(value)) return Buffer.from(value, 'hex');
  if (!existsSync(value)) throw new UsageError('--master-key must be 64 hex characters or the path of a key file');
  const raw = readFileSync(value);
  const text = raw.toString('utf8').trim();
  if (HEX_KEY.test(text)) {
    raw.fill(0);
    return Buffer.from(text, 'hex');
  }
  if (raw.length === 32) return raw;
  raw.fill(0);
  throw new UsageError(`--master-key file ${value} must hold 64 hex characters or exactly 32 raw bytes`);
}

/** Parses the options and mints the grant (the issuer is loaded only here, never by `serve`). */
export async function mintFromArgs(args: string[]): Promise<{ grant: Grant; json: boolean }> {
  const parsed = parseOptions(args, {
    mission: { type: 'string' }, 'public-key': { type: 'string' }, 'master-key': { type: 'string' },
    tables: { type: 'string' }, 'record-ids': { type: 'string' }, 'ttl-ms': { type: 'string' }, json: { type: 'boolean' },
  });
  const missionId = requiredOption(parsed, 'mission');
  const publicKeyFile = requiredOption(parsed, 'public-key');
  const tables = listOption(parsed, 'tables');
  const recordIds = listOption(parsed, 'record-ids');
  const ttl = stringOption(parsed, 'ttl-ms');
  if (ttl !== undefined && !/^[0-9]+$/.test(ttl)) throw new UsageError(`--ttl-ms must be a whole number of milliseconds, got ${JSON.stringify(ttl)}`);
  if (!existsSync(publicKeyFile)) throw new UsageError(`--public-key ${publicKeyFile} does not exist`);
  const publicKeyPem = readFileSync(publicKeyFile, 'utf8');
  const { mintGrant } = await import('../issuer/mint.js');
  const masterKey = readMasterKey(requiredOption(parsed, 'master-key'));
  try {
    const { grant } = mintGrant({
      missionId, tables, recordIds, publicKeyPem, masterKey, ...(ttl === undefined ? {} : { ttlMs: Number(ttl) }),
    });
    return { grant, json: parsed.values.json === true };
  } finally {
    masterKey.fill(0);
  }
}

/** The `grant` command. */
export const grantCommand = {
  summary: 'mint a mission grant like the auth service (dev/test: needs the master key) and print its JSON',
  usage: USAGE,
  run(args: string[], io: CliIo): Promise<number> {
    return withUsage('grant', io, async () => {
      const { grant, json } = await mintFromArgs(args);
      io.stdout(json ? jsonLine(grant) : `${JSON.stringify(grant, null, 2)}\n`);
      return 0;
    });
  },
};
