/**
 * `make run`: the whole product on this machine, one command. Run as
 * `node --import tsx src/dev/run.ts [--reset] [--verbose]` (the Makefile does, after installing what
 * is missing; tsx so the demo always runs the current src/, built or not). In order:
 *
 *  1. a private PostgreSQL 15 + pg_cron cluster in `<dev dir>/pg` (reused across runs; `--reset`
 *     wipes it and the keys first), database `mana_sync`;
 *  2. `mana-ai migrate --create-sync-changes` through the real CLI code (in-process), as the cluster
 *     superuser (no sync server runs here, so migrate creates the compat sync_changes table);
 *  3. a LOGIN role `mana_ai_dev` in role mana_ai_runner (the listener refuses superusers);
 *  4. the demo data as device inserts into sync_changes, skipped where present (seed.ts), with a grant
 *     key pair in `<dev dir>/keys`;
 *  5. the built-in fake LLM (fake-llm.ts) unless MANA_LLM_URL is set;
 *  6. the real `mana-ai serve` in-process, its JSON log pretty-printed (pretty.ts), ticking every 5 s;
 *  7. on SIGINT/SIGTERM: serve's graceful stop, then the fake LLM, then the cluster; exit 0.
 *
 * Environment (the only variables this entry reads; everything else is built here and handed to the
 * CLI as an env object, so src/config.ts stays the one reader of configuration):
 *  - MANA_DEV_DIR: state directory, default `<repo>/.dev` (tests point it at a temporary directory);
 *  - MANA_LLM_URL, MANA_LLM_MODEL, MANA_LLM_API_KEY, MANA_SERVICE_KEY: use a real gateway instead;
 *  - PORT: HTTP port as given; unset → 3067, or a free one when 3067 is taken;
 *  - MANA_AI_TIMEZONE: default Europe/Berlin.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runCommand } from '../cli/commands.js';
import { coerceError } from '../errors.js';
import { banner } from './banner.js';
import { destroyDevCluster, devDatabaseUrl, startDevCluster, stopDevCluster } from './cluster.js';
import { devPlanReply, startFakeLlm, type FakeLlm } from './fake-llm.js';
import { ensureDevKeys } from './keys.js';
import { createPrettyPrinter } from './pretty.js';
import { DEMO_USER_ID, seedDemo } from './seed.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The listener's LOGIN role in the dev cluster. */
const LISTENER_ROLE = 'mana_ai_dev';
const USAGE = `usage: node --import tsx src/dev/run.ts [--reset] [--verbose]   (make run [RESET=1])
  --reset    stop and remove the dev cluster and keys first, then start from scratch
  --verbose  print every listener log line, not only the pretty-printed events
`;

/** Picks the documented variables (see the file comment) from the process environment. */
function devEnv(env: NodeJS.ProcessEnv) {
  const set = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  return {
    devDir: resolve(set(env.MANA_DEV_DIR) ?? join(REPO_ROOT, '.dev')),
    llmUrl: set(env.MANA_LLM_URL),
    llmModel: set(env.MANA_LLM_MODEL),
    llmApiKey: set(env.MANA_LLM_API_KEY),
    serviceKey: set(env.MANA_SERVICE_KEY),
    port: set(env.PORT),
    timezone: set(env.MANA_AI_TIMEZONE) ?? 'Europe/Berlin',
  };
}

/** `preferred` when it can be bound on all interfaces (as the app binds), else 0 (any free port). */
function usablePort(preferred: number): Promise<number> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(0));
    probe.listen(preferred, () => probe.close(() => done(preferred)));
  });
}

/** Exclusive use of the dev dir: a pid file naming the live run. */
function claimDevDir(dir: string): string {
  const file = join(dir, 'run.pid');
  if (existsSync(file)) {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    let alive = false;
    try {
      alive = Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && (process.kill(pid, 0), true);
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`another \`make run\` (pid ${pid}) is using ${dir}; stop it first (Ctrl-C in its terminal)`);
  }
  writeFileSync(file, `${process.pid}\n`);
  return file;
}

const say = (text: string) => process.stdout.write(`▸ ${text}\n`);
const secs = (started: number) => `${((performance.now() - started) / 1000).toFixed(1)} s`;

async function main(argv: string[]): Promise<number> {
  if (argv.some((a) => a === '--help' || a === '-h')) return (process.stdout.write(USAGE), 0);
  const unknown = argv.find((a) => a !== '--reset' && a !== '--verbose');
  if (unknown) return (process.stderr.write(`unknown argument ${unknown}\n${USAGE}`), 2);
  const env = devEnv(process.env);
  const pgDir = join(env.devDir, 'pg');
  const cleanups: (() => Promise<unknown>)[] = [];
  let stopSignal: string | null = null;
  let stopServe: ((signal: string) => void) | null = null;
  const onSignal = (signal: string) => {
    if (stopSignal) return say(`${signal} again: still stopping, please wait`);
    stopSignal = signal;
    if (stopServe) stopServe(signal);
    else say(`${signal}: stopping after the current step`);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const interrupted = () => stopSignal !== null;

  try {
    mkdirSync(env.devDir, { recursive: true, mode: 0o755 });
    const lock = claimDevDir(env.devDir);
    cleanups.push(async () => rmSync(lock, { force: true }));
    if (argv.includes('--reset')) {
      await destroyDevCluster(REPO_ROOT, pgDir);
      rmSync(join(env.devDir, 'keys'), { recursive: true, force: true });
      say(`reset: removed ${pgDir} and the grant keys`);
    }

    let t = performance.now();
    const cluster = await startDevCluster(REPO_ROOT, pgDir);
    cleanups.push(async () => {
      await stopDevCluster(REPO_ROOT, pgDir);
      say(`dev cluster stopped (data kept in ${pgDir}; \`make run RESET=1\` starts over)`);
    });
    say(`PostgreSQL 15 + pg_cron in ${pgDir}: ${cluster.adopted ? 'already running, reused' : 'started'} (pid ${cluster.pid}, ${secs(t)})`);
    const adminUrl = devDatabaseUrl(pgDir, 'postgres');
    // Filled in below, shown by the banner once the listener reports its port.
    let llmLabel = '';
    let serviceKey = '';
    const admin = new pg.Pool({ connectionString: adminUrl, max: 3 });
    admin.on('error', () => undefined);
    const printer = createPrettyPrinter({
      out: (s) => process.stdout.write(s), db: admin, timezone: env.timezone, verbose: argv.includes('--verbose'),
      color: process.stdout.isTTY === true,
      onStarted: (f) => process.stdout.write(banner({ port: Number(f['port']), llm: llmLabel, serviceKey, pgDir, timezone: env.timezone })),
    });
    cleanups.push(async () => {
      await printer.flush();
      await admin.end();
    });
    if (interrupted()) return 0;

    t = performance.now();
    const migrated = await runCommand(['migrate', '--create-sync-changes'], {
      env: { MANA_AI_ADMIN_DATABASE_URL: adminUrl, SYNC_DATABASE_URL: adminUrl, MANA_AI_TIMEZONE: env.timezone, LOG_LEVEL: 'warn' },
      stdout: (s) => printer.write(s), stderr: (s) => process.stderr.write(s),
    });
    await printer.flush();
    if (migrated !== 0) return migrated;
    await admin.query(`do $$ begin
      if not exists (select from pg_roles where rolname = '${LISTENER_ROLE}') then create role ${LISTENER_ROLE} login in role mana_ai_runner; end if;
      end $$`);
    say(`mana-ai migrate (as postgres): done; listener role ${LISTENER_ROLE} (LOGIN, member of mana_ai_runner) ready (${secs(t)})`);

    const keys = ensureDevKeys(join(env.devDir, 'keys'));
    const seeded = await seedDemo(admin, keys.publicPem);
    say(`demo data for user ${DEMO_USER_ID} as device inserts into sync_changes: ${seeded.inserted.length} inserted, ` +
      `${seeded.present.length} already present${keys.created ? `; new grant key pair in ${join(env.devDir, 'keys')}` : ''}`);
    if (interrupted()) return 0;

    let llmUrl = env.llmUrl;
    llmLabel = `MANA_LLM_URL ${env.llmUrl ?? ''}`;
    if (llmUrl === undefined) {
      const fake: FakeLlm = await startFakeLlm({ defaultReply: devPlanReply() });
      cleanups.push(() => fake.close());
      llmUrl = fake.url;
      llmLabel = `built-in fake LLM at ${fake.url} (deterministic plans from the real tool list; set MANA_LLM_URL for a real gateway)`;
    }
    serviceKey = env.serviceKey ?? `dev-${randomBytes(12).toString('hex')}`;
    // An explicit PORT is used as given (serve validates it); the default falls back to a free port.
    const port = env.port ?? String(await usablePort(3067));
    const serveEnv: Record<string, string> = {
      SYNC_DATABASE_URL: devDatabaseUrl(pgDir, LISTENER_ROLE), MANA_LLM_URL: llmUrl, PORT: port,
      TICK_INTERVAL_MS: '5000', MANA_AI_TIMEZONE: env.timezone, MANA_AI_PRIVATE_KEY_PEM: keys.privatePem,
      MANA_SERVICE_KEY: serviceKey, NODE_ENV: 'development', DEV_BYPASS_AUTH: 'true', DEV_USER_ID: DEMO_USER_ID,
      LOG_LEVEL: argv.includes('--verbose') ? 'debug' : 'info',
      ...(env.llmUrl === undefined ? { MANA_LLM_TIMEOUT_MS: '10000' } : {}),
      ...(env.llmModel ? { MANA_LLM_MODEL: env.llmModel } : {}),
      ...(env.llmApiKey ? { MANA_LLM_API_KEY: env.llmApiKey } : {}),
    };
    return await runCommand(['serve'], {
      env: serveEnv,
      stdout: (s) => printer.write(s),
      stderr: (s) => process.stderr.write(s),
      onStopSignal: (handler) => {
        stopServe = handler;
        if (stopSignal) handler(stopSignal);
      },
    });
  } catch (error) {
    process.stderr.write(`mana-ai dev: ${coerceError(error).message}\n`);
    return 1;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((e) => process.stderr.write(`mana-ai dev: cleanup: ${coerceError(e).message}\n`));
    }
  }
}

const exitCode = await main(process.argv.slice(2));
process.exit(exitCode);
