/**
 * Reads the SQL sources the way psql would: a file's `\ir path` lines are replaced by the referenced
 * file (relative to the including file), recursively. Only `\ir` is understood; any other backslash
 * command is an error, so a manifest cannot silently depend on psql features the migrator lacks.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AppError } from '../errors.js';

/** A SQL file could not be expanded (missing include, include cycle, unsupported meta-command). */
export class SqlFileError extends AppError {
  constructor(message: string) {
    super('SQL_FILE', message);
  }
}

/** Returns the text of `path` with every `\ir` include expanded in place. */
export function expandSqlFile(path: string, seen: readonly string[] = []): string {
  const abs = resolve(path);
  if (seen.includes(abs)) throw new SqlFileError(`include cycle: ${[...seen, abs].join(' -> ')}`);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (cause) {
    throw new SqlFileError(`cannot read ${abs}: ${(cause as Error).message}`);
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const meta = /^\s*\\(\S+)\s*(.*?)\s*$/.exec(line);
    if (!meta) {
      out.push(line);
      continue;
    }
    const [, command, argument] = meta;
    if (command !== 'ir' || !argument) throw new SqlFileError(`${abs}: unsupported psql meta-command: ${line.trim()}`);
    out.push(`-- begin ${argument}`, expandSqlFile(resolve(dirname(abs), argument), [...seen, abs]), `-- end ${argument}`);
  }
  return out.join('\n');
}
