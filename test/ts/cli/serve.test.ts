/**
 * The real `mana-ai` command as a deployment runs it: `npx --no mana-ai <command>` from the repo
 * root (bin/mana-ai.js → dist/), with configuration only through the environment. Covers the boot
 * checks of docs/operations.md §5 (config, schema version, superuser refusal), SIGTERM → exit 0 with no
 * process left behind, and `migrate` being idempotent on a brand-new database.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { freshDatabase, type TestDb } from '../../support/db.js';
import { buildDist, distIsFresh, ROOT } from '../../support/dist.js';

function pgUrl(user: string, database: string): string {
  const host = process.env.PGHOST;
  if (!host) throw new Error('PGHOST is not set: run inside test/support/with-cluster.sh');
  return `postgresql://${user}@localhost:${process.env.PGPORT ?? '5432'}/${database}?host=${encodeURIComponent(host)}`;
}

async function asRoot(sql: string, database = 'postgres'): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client({ connectionString: pgUrl(process.env.PGUSER ?? 'postgres', database) });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

interface Cli {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the exit code (a signal name when killed by one). */
  exited: Promise<number | string>;
}

/** Process groups this file spawned (each `npx` leads its own group); killed in after(). */
const groups = new Set<number>();

/** Spawns `npx --no mana-ai <args>` in its own process group with exactly `env` on top of PATH/HOME. */
function cli(args: string[], env: Record<string, string>): Cli {
  const child = spawn('npx', ['--no', 'mana-ai', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NPM_CONFIG_LOGLEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  groups.add(child.pid!);
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => stdout.push(s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => stderr.push(s));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return { child, stdout, stderr, exited };
}

/** JSON log lines printed so far. */
const logLines = (c: Cli): Record<string, unknown>[] =>
  c.stdout.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for the `mana-ai listener started` line; returns its port. */
async function startedPort(c: Cli, ms = 15_000): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const line = logLines(c).find((l) => l.msg === 'mana-ai listener started');
    if (line) return line.port as number;
    if (c.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no "listener started" line; stdout: ${c.stdout.join('')} stderr: ${c.stderr.join('')}`);
}

/** Every descendant pid of `pid` (via /proc children lists). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    let kids: number[] = [];
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        kids.push(...readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      }
    } catch {
      kids = [];
    }
    for (const k of kids) {
      out.push(k);
      walk(k);
    }
  };
  walk(pid);
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGTERM to the whole group (like a terminal's Ctrl-C), then wait for npx to go. */
async function stopGroup(c: Cli): Promise<void> {
  const tree = descendants(c.child.pid!);
  process.kill(-c.child.pid!, 'SIGTERM');
  await within(c.exited, 10_000, 'exit after SIGTERM to the group');
  const deadline = Date.now() + 10_000;
  while (tree.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(tree.filter(alive), [], 'the server stopped');
}

describe('the mana-ai command', () => {
  let db: TestDb;
  const extraDbs: string[] = [];

  before(async () => {
    if (!distIsFresh()) buildDist();
    db = await freshDatabase();
  });
  after(async () => {
    for (const pgid of groups) {
      try {
        process.kill(-pgid, 'SIGKILL'); // only the groups this file spawned
      } catch {
        // already gone
      }
    }
    for (const name of extraDbs) await asRoot(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await db?.drop();
  });

  const serveEnv = (overrides: Record<string, string> = {}) => ({
    SYNC_DATABASE_URL: db.runnerUrl, PORT: '0', TICK_ENABLED: 'false', MANA_AI_TIMEZONE: 'Europe/Berlin',
    MANA_LLM_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'info', ...overrides,
  });

  /** Starts `serve`, checks /health, SIGTERMs the npx process only; returns what happened. */
  const serveAndTerminate = async (env: Record<string, string>) => {
    const c = cli(['serve'], env);
    const port = await startedPort(c);
    assert.ok(port > 0);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    assert.equal((await health.json() as { ok: boolean }).ok, true);
    const tree = descendants(c.child.pid!);
    c.child.kill('SIGTERM'); // the npx process only, as an orchestrator would
    const code = await within(c.exited, 10_000, 'exit after SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const orphans = tree.filter(alive).map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim());
    const portOpen = await fetch(`http://127.0.0.1:${port}/health`).then(() => true, () => false);
    const stopped = logLines(c).some((l) => l.msg === 'mana-ai listener stopped');
    for (const pid of tree.filter(alive)) process.kill(pid, 'SIGTERM'); // leave nothing behind either way
    return { code, orphans, portOpen, stopped, stderr: c.stderr.join('') };
  };

  test('serve: starts as the runner role, /health 200, SIGTERM to npx → exit 0 within 10 s, no orphan keeps the port', async () => {
    const r = await serveAndTerminate(serveEnv());
    // Known bug (see the report): npm forwards SIGTERM to its `sh -c` wrapper, dash dies without
    // passing it on, npm re-raises it (exit 143) and the node server is orphaned with its port open.
    assert.deepEqual({ code: r.code, orphans: r.orphans, portOpen: r.portOpen, stopped: r.stopped },
      { code: 0, orphans: [], portOpen: false, stopped: true }, r.stderr);
  });

  test('serve with npm\'s script shell set to bash (the proposed .npmrc fix): SIGTERM reaches node, exit 0, no orphan', async () => {
    // bash -c execs its single command, so npm's forwarded SIGTERM lands on node itself.
    const r = await serveAndTerminate(serveEnv({ npm_config_script_shell: '/bin/bash' }));
    assert.deepEqual({ code: r.code, orphans: r.orphans, portOpen: r.portOpen, stopped: r.stopped },
      { code: 0, orphans: [], portOpen: false, stopped: true }, r.stderr);
  });

  test('serve as a superuser is refused with exit 1, naming MANA_AI_ALLOW_SUPERUSER', async () => {
    const c = cli(['serve'], serveEnv({ SYNC_DATABASE_URL: db.adminUrl }));
    const code = await within(c.exited, 15_000, 'exit');
    assert.equal(code, 1);
    assert.match(c.stderr.join(''), /MANA_AI_ALLOW_SUPERUSER/);
    assert.ok(!logLines(c).some((l) => l.msg === 'mana-ai listener started'));
  });

  test('serve as a superuser with MANA_AI_ALLOW_SUPERUSER=true starts (development only)', async () => {
    const c = cli(['serve'], serveEnv({ SYNC_DATABASE_URL: db.adminUrl, MANA_AI_ALLOW_SUPERUSER: 'true' }));
    const port = await startedPort(c);
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    await stopGroup(c);
  });

  test('a bad env value exits 1 and names the variable', async () => {
    const c = cli(['serve'], serveEnv({ MANA_LLM_TIMEOUT_MS: '30s' }));
    assert.equal(await within(c.exited, 15_000, 'exit'), 1);
    const err = c.stderr.join('');
    assert.match(err, /MANA_LLM_TIMEOUT_MS/);
    assert.match(err, /"30s"/);
  });

  test('a database that was never migrated: exit 1 saying to run `mana-ai migrate`', async () => {
    const name = `t_empty_${randomBytes(4).toString('hex')}`;
    await asRoot(`create database ${name}`);
    extraDbs.push(name);
    const c = cli(['serve'], serveEnv({ SYNC_DATABASE_URL: pgUrl('mana_ai_test_listener', name) }));
    assert.equal(await within(c.exited, 15_000, 'exit'), 1);
    assert.match(c.stderr.join(''), /run `mana-ai migrate`/);
  });

  test('migrate on a fresh empty database: without sync_changes it stops and creates nothing; with --create-sync-changes twice, the second applies nothing', async () => {
    const name = `t_fresh_${randomBytes(4).toString('hex')}`;
    await asRoot(`create database ${name}`);
    extraDbs.push(name);
    const env = { MANA_AI_ADMIN_DATABASE_URL: pgUrl(process.env.PGUSER ?? 'postgres', name), MANA_AI_TIMEZONE: 'Europe/Berlin' };

    const refused = cli(['migrate'], env);
    assert.equal(await within(refused.exited, 60_000, 'migrate without the table'), 1);
    assert.match(refused.stderr.join(''), /public\.sync_changes does not exist .*belongs to the sync server.*--create-sync-changes.*\[SYNC_CHANGES_MISSING\]/);
    assert.deepEqual(await asRoot(`select (select count(*)::int from pg_namespace where nspname like 'mana_ai%') as schemas`, name),
      [{ schemas: 0 }], 'nothing was created');

    const first = cli(['migrate', '--create-sync-changes'], env);
    assert.equal(await within(first.exited, 60_000, 'first migrate'), 0, first.stderr.join(''));
    const done1 = logLines(first).find((l) => l.msg === 'migrate done');
    // (postgres-migrations also reports its own bookkeeping file, 0_create-migrations-table.sql.)
    assert.ok((done1?.migrationsApplied as string[]).includes('00001_init.sql'), JSON.stringify(done1));
    assert.equal(done1?.objectsChanged, true);

    const second = cli(['migrate'], env);
    assert.equal(await within(second.exited, 60_000, 'second migrate'), 0, second.stderr.join(''));
    const out = second.stdout.join('');
    assert.ok(out.includes('"migrationsApplied":[]'), out);
    assert.ok(out.includes('"objectsChanged":false'), out);

    // The migrated database now passes the listener's boot checks.
    const c = cli(['serve'], serveEnv({ SYNC_DATABASE_URL: pgUrl('mana_ai_test_listener', name) }));
    await startedPort(c);
    await stopGroup(c);
  });
});
