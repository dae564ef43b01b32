/**
 * `make run` end to end: the real dev entry (src/dev/run.ts, what the Makefile's `run` target starts)
 * in a temporary MANA_DEV_DIR: its own cluster, migrate, seed, built-in fake LLM and the real serve.
 * Within 60 s the interval, daily, cron and encrypted missions are written back (the encrypted one
 * with the decrypted note in its plan) and the paused one is not; SIGINT to the process group (a
 * terminal's Ctrl-C) exits 0 with the postmaster gone. A second run reuses the cluster and seeds
 * nothing.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { devDatabaseUrl } from '../../../src/dev/cluster.js';
import { DEMO_CLIENT_ID, DEMO_MISSIONS, DEMO_NOTE, DEMO_USER_ID } from '../../../src/dev/seed.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mana-dev-'));
chmodSync(dir, 0o755); // initdb runs as postgres and must enter it
const pgDir = join(dir, 'pg');

interface Run { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: string | null }> }

/** Starts the dev entry in its own process group, as `make run` does, with the temporary dev dir. */
function startRun(): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, MANA_DEV_DIR: dir, PORT: '0' };
  delete env.MANA_LLM_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/dev/run.ts'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

async function waitForOutput(run: Run, what: string, predicate: (out: string) => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(run.output())) {
    if (run.child.exitCode !== null) assert.fail(`run exited (${run.child.exitCode}) before ${what}:\n${run.output()}`);
    if (Date.now() > deadline) assert.fail(`no ${what} within ${timeoutMs} ms:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SIGINT to the whole process group, like Ctrl-C; resolves with the exit. */
async function interrupt(run: Run) {
  process.kill(-run.child.pid!, 'SIGINT');
  const timeout = setTimeout(() => process.kill(-run.child.pid!, 'SIGKILL'), 30_000);
  const exit = await run.exited;
  clearTimeout(timeout);
  return exit;
}

const writtenBack = (title: string) => `✔ written back  "${title}"`;
const postmasterPid = () => Number.parseInt(readFileSync(join(pgDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]!, 10);
/** True while `pid` exists and is not a zombie (pg_ctl stop returns once the pid file is gone). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
async function gone(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return !alive(pid);
}

/** Superuser look-ups in the dev cluster while a run is up. */
async function inspect<T>(fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: devDatabaseUrl(pgDir, 'postgres') });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}
const seedRows = () => inspect(async (db) => Number((await db.query(
  'select count(*) as n from public.sync_changes where client_id = $1', [DEMO_CLIENT_ID])).rows[0].n));
const pausedRuns = () => inspect(async (db) => Number((await db.query(
  'select count(*) as n from mana_ai.runs where user_id = $1 and mission_id = $2', [DEMO_USER_ID, DEMO_MISSIONS.paused.id])).rows[0].n));

describe('make run (src/dev/run.ts)', { timeout: 180_000 }, () => {
  const runs: Run[] = [];
  after(() => {
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) process.kill(-r.child.pid!, 'SIGKILL');
    spawnSync(join(ROOT, 'test/support/cluster.sh'), ['destroy', pgDir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });

  test('fresh dev dir: written-back iterations for the due missions within 60 s, none for the paused one; Ctrl-C exits 0', async () => {
    const started = Date.now();
    const run = startRun();
    runs.push(run);
    const due = [DEMO_MISSIONS.interval, DEMO_MISSIONS.daily, DEMO_MISSIONS.cron, DEMO_MISSIONS.encrypted];
    await waitForOutput(run, 'written-back iterations', (out) => due.every((m) => out.includes(writtenBack(m.title))), 60_000);
    const firstRoundMs = Date.now() - started;
    const out = run.output();
    assert.ok(!out.includes(writtenBack(DEMO_MISSIONS.paused.title)), 'the paused mission is never planned');
    assert.equal(await pausedRuns(), 0, 'no ledger row for the paused mission');
    assert.equal(await seedRows(), 7, 'agent, note and five missions, each one device insert');

    // The encrypted mission's block: the decrypted note reached the planner, and the audit says ok.
    const block = out.slice(out.indexOf(writtenBack(DEMO_MISSIONS.encrypted.title))).split(/\n(?=\S)/)[0]!;
    assert.match(block, new RegExp(`Grundlage: ${DEMO_NOTE.title}`));
    assert.match(block, /title: "Torte bestellen"/);
    assert.match(block, new RegExp(`input notes/${DEMO_NOTE.id}: decrypt ok`));
    assert.match(out, /cron "\*\/15 \* \* \* \*"\)/);
    assert.match(out, /psql "host=.*\/pg dbname=mana_sync user=postgres"/);

    const port = /HTTP {7}http:\/\/localhost:(\d+)\/health/.exec(out)?.[1];
    assert.ok(port, 'the banner names the HTTP port');
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /mana_ai_plans_written_back_total/);

    const pid = postmasterPid();
    assert.ok(alive(pid));
    const exit = await interrupt(run);
    assert.deepEqual(exit, { code: 0, signal: null }, run.output());
    assert.ok(await gone(pid), 'the postmaster is gone');
    assert.ok(!existsSync(join(pgDir, 'data', 'postmaster.pid')));
    assert.match(run.output(), /listener stopped[\s\S]*dev cluster stopped/);
    assert.ok(firstRoundMs < 60_000);
  });

  test('a second run reuses the cluster, seeds nothing and still never plans the paused mission', async () => {
    const run = startRun();
    runs.push(run);
    await waitForOutput(run, 'the banner', (out) => out.includes('mana-ai is running'), 60_000);
    const out = run.output();
    assert.match(out, /0 inserted, 7 already present/);
    assert.doesNotMatch(out, /new grant key pair/);
    assert.equal(await seedRows(), 7);
    assert.equal(await pausedRuns(), 0);
    const exit = await interrupt(run);
    assert.deepEqual(exit, { code: 0, signal: null }, run.output());
    assert.ok(!existsSync(join(pgDir, 'data', 'postmaster.pid')));
  });
});
