/**
 * Sub-command dispatch for the `mana-ai` CLI. Kept apart from main.ts so tests can run commands
 * in-process with their own env and output sinks.
 */
import { migrateDatabase } from '../db/migrate.js';
import { coerceError, errorFields } from '../errors.js';
import { createLogger, type LogLevel } from '../log.js';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

const DEFAULT_SYNC_URL = 'postgresql://mana:devpassword@localhost:5432/mana_sync';

const commands: Record<string, Command> = {
  migrate: {
    summary: 'create or upgrade the mana_ai schema, roles, projections and pg_cron jobs (idempotent)',
    usage: `mana-ai migrate

Applies sql/bootstrap.sql, the numbered migrations and the object files to the database named by
MANA_AI_ADMIN_DATABASE_URL (falling back to SYNC_DATABASE_URL). Touches no other database.
Environment:
  MANA_AI_ADMIN_DATABASE_URL  connection with rights to create roles and schemas
  SYNC_DATABASE_URL           used when the admin URL is unset
  MANA_AI_TIMEZONE            zone for daily/weekly/cron slots (stored in the database)
  LOG_LEVEL                   debug | info | warn | error (default info)
`,
    async run(args, io) {
      if (args.length > 0) {
        io.stderr(`mana-ai migrate: unexpected argument ${args[0]}\n`);
        return 2;
      }
      const url = nonEmpty(io.env.MANA_AI_ADMIN_DATABASE_URL) ?? nonEmpty(io.env.SYNC_DATABASE_URL) ?? DEFAULT_SYNC_URL;
      const logger = createLogger({ level: logLevel(io.env.LOG_LEVEL), write: (l) => io.stdout(`${l}\n`) }, { component: 'migrate' });
      await migrateDatabase({ databaseUrl: url, timezone: nonEmpty(io.env.MANA_AI_TIMEZONE), logger });
      return 0;
    },
  },
};

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function logLevel(value: string | undefined): LogLevel {
  return value === 'debug' || value === 'warn' || value === 'error' ? value : 'info';
}

function help(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: mana-ai <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun \`mana-ai <command> --help\` for details.\n`;
}

/** Runs one CLI invocation; returns the process exit code. */
export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.stderr(`mana-ai: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const { code, message } = errorFields(coerceError(error));
    io.stderr(`mana-ai ${name}: ${message} [${code}]\n`);
    return 1;
  }
}
