/**
 * Option parsing for the CLI commands, on node:util `parseArgs` (strict: unknown options and missing
 * values are usage errors). A usage error exits 2 with a pointer to `--help`; everything else a command
 * throws exits 1 through `runCommand`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AppError, coerceError } from '../errors.js';
import type { CliIo } from './commands.js';

/** The command line is wrong (unknown option, missing value, bad argument count or format). */
export class UsageError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('USAGE', message, options);
  }
}

/** What {@link parseOptions} returns; values are `string`, `boolean` or `string[]` per option type. */
export interface ParsedOptions {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * Parses `args` against `options`, allowing at most `maxPositionals` positional arguments.
 * @throws UsageError for unknown options, missing values or too many positionals.
 */
export function parseOptions(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  maxPositionals = 0,
): ParsedOptions {
  let parsed: ParsedOptions;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: maxPositionals > 0 }) as ParsedOptions;
  } catch (error) {
    throw new UsageError(coerceError(error).message, { cause: error });
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument ${parsed.positionals[maxPositionals]}`);
  }
  return parsed;
}

/** A string option's value, or undefined. */
export function stringOption(parsed: ParsedOptions, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A required string option's value. @throws UsageError when it is missing or empty. */
export function requiredOption(parsed: ParsedOptions, name: string): string {
  const v = stringOption(parsed, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** A comma-separated list option (`a,b,c`), trimmed, empty items dropped. */
export function listOption(parsed: ParsedOptions, name: string): string[] {
  return requiredOption(parsed, name).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Runs a command body; a {@link UsageError} becomes exit code 2 with one line on stderr that points
 * to `mana-ai <name> --help`. Other errors propagate to `runCommand` (exit 1).
 */
export async function withUsage(name: string, io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`mana-ai ${name}: ${error.message}\nRun \`mana-ai ${name} --help\` for usage.\n`);
    return 2;
  }
}
