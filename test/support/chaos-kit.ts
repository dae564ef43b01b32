/**
 * Helpers for the reliability suite (test/chaos): the real `mana-ai serve` as a child process that a
 * test may SIGKILL and restart like a supervisor, a private cluster that a test may stop and start
 * (cluster.sh), multi-row INSERTs into sync_changes, the lost/duplicated oracle over the ledger and the
 * write-back rows, a seeded PRNG, and the result rows the final summary test prints.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { SyncRow } from './db.js';
import { buildDist, distIsFresh, ROOT } from './dist.js';

export { ROOT };

// ---- building and spawning the real command ------------------------------------------------------

let built: boolean | undefined;

/**
 * How `serve` is started: `node bin/mana-ai.js serve`, the deployed entry point, when dist/ is at least
 * as new as src/ (`make test-chaos` builds first); otherwise `node --import tsx src/cli/main.ts serve`,
 * so test files running side by side in `make test` never race to rebuild dist/. CHAOS_SERVE=dist
 * builds when stale, CHAOS_SERVE=tsx always runs the sources. Both are one node process, so its pid is
 * what a `kill -9` hits.
 */
export function serveCommand(): string[] {
  const tsx = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve'];
  if (process.env.CHAOS_SERVE === 'tsx') return tsx;
  built ??= distIsFresh();
  if (!built && process.env.CHAOS_SERVE === 'dist') {
    buildDist();
    built = true;
  }
  return built ? [join(ROOT, 'bin/mana-ai.js'), 'serve'] : tsx;
}

/** A `mana-ai serve` child process. */
export interface ServeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Raw stdout chunks (JSON log lines) and stderr chunks. */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Exit code, or the signal name when killed by one. */
  readonly exited: Promise<number | string>;
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  /** Resolves with the HTTP port from the "listener started" line (rejects if the process exits first). */
  started(timeoutMs?: number): Promise<number>;
  alive(): boolean;
}

const children = new Set<ServeProcess>();

/** Starts `mana-ai serve` with exactly PATH, HOME and `env`. The caller or {@link killAll} ends it. */
export function spawnServe(name: string, env: Record<string, string>): ServeProcess {
  const child = spawn(process.execPath, serveCommand(), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => stdout.push(s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => stderr.push(s));
  let exitValue: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      exitValue = code ?? signal ?? -1;
      resolve(exitValue);
    });
  });
  const logs = () => stdout.join('').split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  const proc: ServeProcess = {
    name, child, pid: child.pid!, stdout, stderr, exited, logs,
    alive: () => exitValue === undefined,
    async started(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const line = logs().find((l) => l.msg === 'mana-ai listener started');
        if (line) return line.port as number;
        if (exitValue !== undefined) break;
        await sleep(25);
      }
      throw new Error(`${name}: no "listener started" line (exit ${String(exitValue)}); stderr: ${stderr.join('').slice(-2000)}`);
    },
  };
  children.add(proc);
  void exited.then(() => children.delete(proc));
  return proc;
}

/** The env every chaos listener starts from: runner role, loopback LLM, port 0, info logs (the port line). */
export function serveEnv(databaseUrl: string, llmUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SYNC_DATABASE_URL: databaseUrl, MANA_LLM_URL: llmUrl, MANA_SERVICE_KEY: 'chaos-service-key', PORT: '0',
    MANA_AI_TIMEZONE: 'Europe/Berlin', LOG_LEVEL: 'info', MANA_LLM_TIMEOUT_MS: '5000', ...extra,
  };
}

/** SIGKILL, then wait for the exit. */
export async function kill9(proc: ServeProcess): Promise<void> {
  if (proc.alive()) proc.child.kill('SIGKILL');
  await within(proc.exited, 10_000, `${proc.name} exit after SIGKILL`);
}

/** SIGTERM (graceful stop), then wait for the exit code. */
export async function terminate(proc: ServeProcess, timeoutMs = 20_000): Promise<number | string> {
  if (proc.alive()) proc.child.kill('SIGTERM');
  return within(proc.exited, timeoutMs, `${proc.name} exit after SIGTERM`);
}

/** Kills every child this process spawned that is still running (after() hooks). */
export async function killAll(): Promise<void> {
  await Promise.all([...children].map((c) => kill9(c).catch(() => undefined)));
}

// ---- a private cluster a test may stop and start -------------------------------------------------

const CLUSTER_SH = join(ROOT, 'test/support/cluster.sh');
const PGBIN = process.env.PGBIN ?? '/usr/lib/postgresql/15/bin';

/** A throwaway cluster of its own (socket-only, in a temp dir), started with test/support/cluster.sh. */
export interface OwnCluster {
  readonly dir: string;
  url(user: string, database: string): string;
  /** `pg_ctl stop -m <mode>` on this cluster's data dir only. */
  stop(mode: 'fast' | 'immediate'): void;
  /** Starts it again (cluster.sh start keeps the data dir). */
  start(): void;
  destroy(): void;
}

const asPostgres = (args: string[]): string[] => (process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...args] : args);

/** initdb + start in a new temp dir; synchronous_commit is turned back on (cluster.sh turns it off). */
export async function startOwnCluster(): Promise<OwnCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'mana-ai-chaos-pg.'));
  execFileSync(CLUSTER_SH, ['start', dir], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CRON_DB: 'mana_sync' } });
  const cluster: OwnCluster = {
    dir,
    url: (user, database) => `postgresql://${user}@localhost:5432/${database}?host=${encodeURIComponent(dir)}`,
    stop(mode) {
      const [cmd, ...args] = asPostgres([`${PGBIN}/pg_ctl`, '-D', join(dir, 'data'), '-m', mode, '-w', '-t', '30', 'stop']);
      execFileSync(cmd!, args, { stdio: 'ignore' });
    },
    start() {
      execFileSync(CLUSTER_SH, ['start', dir], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CRON_DB: 'mana_sync' } });
    },
    destroy() {
      try {
        execFileSync(CLUSTER_SH, ['destroy', dir], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    },
  };
  // A crash (pg_ctl -m immediate) must not lose commits the test counts on: WAL is flushed at commit.
  await withClient(cluster.url('postgres', 'postgres'), async (c) => {
    await c.query('alter system set synchronous_commit = on');
    await c.query('select pg_reload_conf()');
  });
  return cluster;
}

/** Creates `database` in the cluster, migrates it with the real CLI and adds the listener login role. */
export async function createMigratedDatabase(cluster: OwnCluster, database: string): Promise<void> {
  await withClient(cluster.url('postgres', 'postgres'), (c) => c.query(`create database ${database}`));
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'migrate', '--create-sync-changes'], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'warn',
      MANA_AI_ADMIN_DATABASE_URL: cluster.url('postgres', database), MANA_AI_TIMEZONE: 'Europe/Berlin' },
  });
  await withClient(cluster.url('postgres', 'postgres'), (c) => c.query(`do $$ begin
    if not exists (select from pg_roles where rolname = 'mana_ai_test_listener') then
      create role mana_ai_test_listener login in role mana_ai_runner;
    end if; end $$`));
}

/** Runs `fn` with a connected client, then closes it. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---- writing sync_changes like the sync server, many rows per statement ------------------------

/**
 * A row for {@link insertRows}: a SyncRow plus an optional explicit id and raw JSON text. Unlike
 * db.sync, `data: null` is SQL NULL (a delete without data); JSON null needs `dataText: 'null'`.
 */
export interface RawRow extends SyncRow {
  id?: string;
  /** JSON text of `data` used as is (wins over `data`), e.g. nesting deeper than JSON.stringify can go. */
  dataText?: string;
}

const COLUMNS = '(id, app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, created_at, schema_version)';

/**
 * One multi-row `INSERT … VALUES (…), (…)` statement per `perStatement` rows, each statement in its own
 * transaction with `app.current_user_id` set to the first row's user (the superuser bypasses RLS, so
 * mixed-user statements work too). `target` is a pool, or a URL: then every statement gets a fresh
 * connection (for a database that may go away under it). Returns the ids in row order.
 */
export async function insertRows(target: pg.Pool | string, rows: readonly RawRow[], perStatement = 200): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const params: unknown[] = [];
    const tuples = chunk.map((r) => {
      const id = r.id ?? randomUUID();
      ids.push(id);
      const at = r.createdAt === undefined ? null : r.createdAt instanceof Date ? r.createdAt.toISOString() : r.createdAt;
      params.push(id, r.appId ?? 'ai', r.table, r.recordId, r.userId, r.op, r.dataText ?? (r.data === null ? null : JSON.stringify(r.data)),
        r.fieldTimestamps === undefined ? '{}' : JSON.stringify(r.fieldTimestamps), r.clientId ?? 'chaos-device', at, r.schemaVersion ?? 1);
      const b = params.length - 11;
      return `($${b + 1}::uuid, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}::jsonb, $${b + 8}::jsonb, $${b + 9}, ` +
        `coalesce($${b + 10}::timestamptz, now()), $${b + 11}::int)`;
    });
    const statement = async (client: pg.ClientBase) => {
      try {
        await client.query('begin');
        await client.query(`select set_config('app.current_user_id', $1, true)`, [chunk[0]!.userId]);
        await client.query(`insert into public.sync_changes ${COLUMNS} values ${tuples.join(', ')}`, params);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      }
    };
    if (typeof target === 'string') {
      await withClient(target, statement);
      continue;
    }
    const client = await target.connect();
    let failed: Error | undefined;
    try {
      await statement(client);
    } catch (error) {
      failed = error as Error;
      throw error;
    } finally {
      client.release(failed); // a failed client is discarded, not reused
    }
  }
  return ids;
}

// ---- the oracle: lost and duplicated iterations ---------------------------------------------------

/** A mission the test expects to be planned once per due slot. */
export interface Expected {
  userId: string;
  missionId: string;
  /** Due slots expected to get an iteration (default 1). */
  slots?: number;
}

export interface Integrity {
  expected: number;
  /** Expected slots with no run `done` and no iteration write-back. */
  lost: number;
  /** Extra iteration write-backs for a slot, write-backs no done run names, runs beyond one per slot, extra iterations in the final array. */
  duplicated: number;
  /** Runs per status over the expected missions. */
  statuses: Record<string, number>;
  /** Human-readable details of every lost or duplicated case (first 20). */
  problems: string[];
}

/**
 * Counts, for the given missions: runs per (user, mission, slot), `done` runs, write-back rows with an
 * iteration per done run (matched by the last iteration's id = runs.iteration_id), write-back rows no
 * done run accounts for, and the length of the mission's final `iterations` array (missions start with
 * `[]`, so it must equal the number of done slots). Reads as the superuser (no RLS).
 */
export async function checkIntegrity(admin: pg.Pool, expected: readonly Expected[]): Promise<Integrity> {
  const users = expected.map((e) => e.userId);
  const missions = expected.map((e) => e.missionId);
  const { rows: runs } = await admin.query<{ user_id: string; mission_id: string; slot: Date; status: string; iteration_id: string | null; n: number }>(
    `select r.user_id, r.mission_id, r.slot, r.status, r.iteration_id, count(*) over (partition by r.user_id, r.mission_id, r.slot)::int n
       from mana_ai.runs r join unnest($1::text[], $2::text[]) e(u, m) on (r.user_id, r.mission_id) = (e.u, e.m)`, [users, missions]);
  const { rows: writes } = await admin.query<{ user_id: string; record_id: string; last_id: string | null; has_iterations: boolean; n_iterations: number | null; created_at: Date }>(
    `select s.user_id, s.record_id, s.data -> 'iterations' -> -1 ->> 'id' last_id, s.data ? 'iterations' has_iterations,
            case when jsonb_typeof(s.data -> 'iterations') = 'array' then jsonb_array_length(s.data -> 'iterations') end n_iterations,
            s.created_at
       from public.sync_changes s join unnest($1::text[], $2::text[]) e(u, m) on (s.user_id, s.record_id) = (e.u, e.m)
      where s.client_id = 'mana-ai-runner' and s.app_id = 'ai' and s.table_name = 'aiMissions'
      order by s.created_at, s.id`, [users, missions]);

  const key = (u: string, m: string) => `${u}\u0000${m}`;
  const runsBy = new Map<string, typeof runs>();
  for (const r of runs) runsBy.set(key(r.user_id, r.mission_id), [...(runsBy.get(key(r.user_id, r.mission_id)) ?? []), r]);
  const writesBy = new Map<string, typeof writes>();
  for (const w of writes) writesBy.set(key(w.user_id, w.record_id), [...(writesBy.get(key(w.user_id, w.record_id)) ?? []), w]);

  const statuses: Record<string, number> = {};
  const problems: string[] = [];
  let lost = 0;
  let duplicated = 0;
  for (const e of expected) {
    const k = key(e.userId, e.missionId);
    const mine = runsBy.get(k) ?? [];
    const mineWrites = (writesBy.get(k) ?? []).filter((w) => w.has_iterations);
    for (const r of mine) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const slotsWanted = e.slots ?? 1;
    const extraRuns = mine.filter((r) => r.n > 1).length;
    if (extraRuns > 0) {
      duplicated += extraRuns;
      problems.push(`${e.userId}/${e.missionId}: ${extraRuns} runs share a slot`);
    }
    const done = mine.filter((r) => r.status === 'done');
    let matched = 0;
    for (const r of done) {
      const rows = mineWrites.filter((w) => w.last_id === r.iteration_id).length;
      if (rows === 0) {
        lost += 1;
        problems.push(`${e.userId}/${e.missionId}: run done at ${r.slot.toISOString()} but no write-back names iteration ${r.iteration_id}`);
      }
      if (rows > 1) {
        duplicated += rows - 1;
        problems.push(`${e.userId}/${e.missionId}: ${rows} write-backs of iteration ${r.iteration_id}`);
      }
      matched += rows;
    }
    if (mineWrites.length > matched) {
      duplicated += mineWrites.length - matched;
      problems.push(`${e.userId}/${e.missionId}: ${mineWrites.length - matched} iteration write-backs no done run accounts for`);
    }
    if (done.length < slotsWanted) {
      lost += slotsWanted - done.length;
      problems.push(`${e.userId}/${e.missionId}: ${done.length} of ${slotsWanted} slots done (runs: ${mine.map((r) => r.status).join(',') || 'none'})`);
    }
    if (done.length > slotsWanted) {
      duplicated += done.length - slotsWanted;
      problems.push(`${e.userId}/${e.missionId}: ${done.length} slots done, ${slotsWanted} expected`);
    }
    const last = mineWrites.at(-1);
    if (last && last.n_iterations !== null && last.n_iterations > done.length) {
      duplicated += last.n_iterations - done.length;
      problems.push(`${e.userId}/${e.missionId}: final iterations array has ${last.n_iterations} entries for ${done.length} done slots`);
    }
  }
  return { expected: expected.reduce((n, e) => n + (e.slots ?? 1), 0), lost, duplicated, statuses, problems: problems.slice(0, 20) };
}

/** Run counts per status for runs of users whose id starts with `prefix`. */
export async function runStatuses(admin: pg.Pool, prefix: string): Promise<Record<string, number>> {
  const { rows } = await admin.query<{ status: string; n: number }>(
    `select status, count(*)::int n from mana_ai.runs where user_id like $1 || '%' group by status order by status`, [prefix]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

// ---- results for the summary table ----------------------------------------------------------------

/** One line of the summary table. */
export interface ChaosResult {
  scenario: string;
  inputs: string;
  outcome: string;
  lost: number | string;
  duplicated: number | string;
}

/** Appends a result line to $CHAOS_RESULTS (set by `make test-chaos`); a no-op without it. */
export function recordResult(result: ChaosResult): void {
  const file = process.env.CHAOS_RESULTS;
  if (file) appendFileSync(file, `${JSON.stringify(result)}\n`);
}

/** Every result line written so far. */
export function readResults(): ChaosResult[] {
  const file = process.env.CHAOS_RESULTS;
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ChaosResult);
}

// ---- small things ---------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so a failing fuzz run can be replayed with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: CHAOS_SEED, else random (print it). */
export const chaosSeed = (): number => (process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : randomBytes(4).readUInt32LE(0));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects when `promise` does not settle within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `fn` until truthy; on timeout throws with `describe()`'s text. */
export async function until<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs: number, describe: () => Promise<string> | string,
  everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${await describe()}`);
    await sleep(everyMs);
  }
}
