/**
 * Sub-command dispatch for the `mana-ai` CLI. Kept apart from main.ts so tests can run commands
 * in-process with their own env and output sinks.
 */
import { readFileSync } from 'node:fs';
import { createApp } from '../app.js';
import { describeConfig, loadConfig } from '../config.js';
import { migrateDatabase } from '../db/migrate.js';
import { coerceError, errorFields } from '../errors.js';
import { createLogger } from '../log.js';
import { loadAdminConfig } from '../config.js';
import { detachCommand } from './detach.js';
import { explainCommand } from './explain.js';
import { grantCommand } from './grant.js';
import { keygenCommand } from './keygen.js';
import { rebuildCommand } from './rebuild.js';
import { statusCommand } from './status.js';
import { tickCommand } from './tick.js';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Registers a one-shot handler for SIGTERM/SIGINT (long-running commands); main.ts wires process signals. */
  onStopSignal?: (handler: (signal: string) => void) => void;
}

/** The package version (reported by /health). */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

const commands: Record<string, Command> = {
  serve: {
    summary: 'run the listener: LISTEN, claim due runs, plan with the LLM, write back; HTTP on PORT',
    usage: `mana-ai serve

Runs until SIGTERM or SIGINT, then stops claiming, lets in-flight runs finish within
MANA_AI_SHUTDOWN_GRACE_MS (their slots are released otherwise) and exits 0.
Connects with SYNC_DATABASE_URL as a member of mana_ai_runner (a superuser is refused unless
MANA_AI_ALLOW_SUPERUSER=true). Every variable is listed in the README's configuration table.
`,
    async run(args, io) {
      if (args.length > 0) {
        io.stderr(`mana-ai serve: unexpected argument ${args[0]}\n`);
        return 2;
      }
      const config = loadConfig(io.env);
      const logger = createLogger({ level: config.logLevel, write: (l) => io.stdout(`${l}\n`) }, { service: 'mana-ai' });
      logger.info('configuration', describeConfig(config));
      let fatal: ((error: Error) => void) | undefined;
      const failed = new Promise<Error>((resolve) => {
        fatal = resolve;
      });
      const app = createApp({ config, logger, version: packageVersion(), onFatal: (e) => fatal?.(e) });
      const stopSignal = new Promise<string>((resolve) => io.onStopSignal?.(resolve));
      try {
        await app.start();
      } catch (error) {
        await app.stop().catch(() => undefined);
        throw error;
      }
      const reason = await Promise.race([stopSignal, failed]);
      if (reason instanceof Error) {
        logger.error('stopping after a fatal error', { message: reason.message });
        await app.stop();
        return 1;
      }
      logger.info('stopping', { signal: reason });
      await app.stop();
      return 0;
    },
  },
  migrate: {
    summary: 'create or upgrade the mana_ai schema, roles, projections and pg_cron jobs (idempotent)',
    usage: `mana-ai migrate [--create-sync-changes]

Applies sql/bootstrap.sql, the numbered migrations and the object files to the database named by
MANA_AI_ADMIN_DATABASE_URL (falling back to SYNC_DATABASE_URL). Touches no other database.
Then backfills: ai rows already in sync_changes that were never projected are queued and folded in
batches (progress on stderr; safe to interrupt and run again). Due missions among them are planned
once by the listener.
On a database the reference runner used, takes over its schema mana_ai (README, "Upgrading from
the reference runner"); a superuser is needed for that first run.

public.sync_changes belongs to the sync server, which creates it at its boot: when it is missing,
migrate stops with an error and creates nothing.
Options:
  --create-sync-changes       create the compat sync_changes table when it is missing (development,
                              tests and demo stacks only: the table is then owned by this admin)
Environment:
  MANA_AI_ADMIN_DATABASE_URL  connection with rights to create roles and schemas
  SYNC_DATABASE_URL           used when the admin URL is unset
  MANA_AI_TIMEZONE            zone for daily/weekly/cron slots (stored in the database)
  LOG_LEVEL                   debug | info | warn | error (default info)
`,
    async run(args, io) {
      const unexpected = args.find((a) => a !== '--create-sync-changes');
      if (unexpected !== undefined) {
        io.stderr(`mana-ai migrate: unexpected argument ${unexpected}\n`);
        return 2;
      }
      const config = loadAdminConfig(io.env);
      const logger = createLogger({ level: config.logLevel, write: (l) => io.stdout(`${l}\n`) }, { component: 'migrate' });
      await migrateDatabase({
        databaseUrl: config.adminDatabaseUrl, timezone: config.timezone, logger,
        createSyncChanges: args.includes('--create-sync-changes'),
        progress: (line) => io.stderr(`${line}\n`),
      });
      return 0;
    },
  },
  // The operator's surface: each command's logic and --help text live in its own module.
  status: statusCommand,
  explain: explainCommand,
  tick: tickCommand,
  rebuild: rebuildCommand,
  keygen: keygenCommand,
  grant: grantCommand,
  detach: detachCommand,
};

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
