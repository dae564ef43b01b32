/**
 * Structured JSON-lines logger. One line per event: `{"ts","level","msg","component",...fields}`.
 * The sink is passed in (tests collect lines; production writes to stdout).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` (e.g. `{component: 'runner'}`). */
  child(fields: LogFields): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  /** Receives one complete JSON line (without newline). Default: process.stdout. */
  write?: (line: string) => void;
  /** Lowest level written. Default `info`. */
  level?: LogLevel;
  /** Clock for the `ts` field (tests pin it). */
  now?: () => Date;
}

/** Creates a logger; `base` fields are added to every line. */
export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const min = ORDER[options.level ?? 'info'];
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < min) return;
    let line: string;
    try {
      line = JSON.stringify({ ts: now().toISOString(), level, msg, ...base, ...fields }, replacer);
    } catch {
      line = JSON.stringify({ ts: now().toISOString(), level, msg, ...base, note: 'fields not serialisable' });
    }
    write(line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { code: (value as { code?: unknown }).code ?? 'ERROR', message: value.message };
  return value;
}

/** A logger that drops everything (for tests that do not look at logs). */
export const silentLogger: Logger = createLogger({ write: () => undefined });
