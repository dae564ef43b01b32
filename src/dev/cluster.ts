/**
 * The private dev cluster of `make run`: PostgreSQL 15 with pg_cron in `<dev dir>/pg`, socket-only,
 * managed by test/support/cluster.sh (initdb once, then start/stop; as root through runuser). The
 * script runs in its own session so the terminal's Ctrl-C reaches only us: the listener stops first,
 * then we stop the cluster.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '../errors.js';

/** The pg_cron database (cluster.sh's CRON_DB): the demo's sync database. */
export const DEV_DATABASE = 'mana_sync';

/** The dev cluster could not be started or stopped. */
export class DevClusterError extends AppError {
  constructor(message: string) {
    super('DEV_CLUSTER', message);
  }
}

/** A connection URL for `user` to the dev database over the cluster's socket in `dir`. */
export function devDatabaseUrl(dir: string, user: string): string {
  return `postgresql://${user}@localhost:5432/${DEV_DATABASE}?host=${encodeURIComponent(dir)}`;
}

/** The postmaster PID of the cluster in `dir` when it is running, else `null`. */
export function runningPostmaster(dir: string): number | null {
  const pidFile = join(dir, 'data', 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** Runs `cluster.sh <command> <dir>` in its own session; rejects with its stderr on failure. */
function script(repoRoot: string, command: 'start' | 'stop' | 'destroy', dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // `env` sets CRON_DB for the script without this module touching process.env.
    const child = spawn('env', [`CRON_DB=${DEV_DATABASE}`, join(repoRoot, 'test/support/cluster.sh'), command, dir], {
      detached: true, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', (e) => reject(new DevClusterError(`cluster.sh ${command}: ${e.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new DevClusterError(
      `cluster.sh ${command} ${dir} exited with ${code}: ${stderr.trim() || 'no message'} (server log: ${join(dir, 'server.log')})`))));
  });
}

/**
 * Checks what cluster.sh cannot explain well: the socket path must fit in a Unix socket address, and
 * as root the `postgres` user must be able to reach the directory (initdb runs as postgres).
 */
function checkLocation(dir: string): void {
  const socket = join(dir, '.s.PGSQL.5432');
  if (Buffer.byteLength(socket) > 100) {
    throw new DevClusterError(`the socket path ${socket} is too long for a Unix socket; set MANA_DEV_DIR to a shorter directory`);
  }
  if (process.getuid?.() === 0) {
    const parent = dirname(dir);
    const probe = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', parent], { stdio: 'ignore' });
    if (probe.status !== 0) {
      throw new DevClusterError(`the postgres user cannot enter ${parent} (initdb runs as postgres); ` +
        'make it world-executable (chmod o+x) or set MANA_DEV_DIR to a directory under /tmp');
    }
  }
}

/** Starts (initialising on first use) the cluster in `dir`; `adopted` when it was already running. */
export async function startDevCluster(repoRoot: string, dir: string): Promise<{ adopted: boolean; pid: number }> {
  checkLocation(dir);
  const running = runningPostmaster(dir);
  if (running !== null) return { adopted: true, pid: running };
  await script(repoRoot, 'start', dir);
  const pid = runningPostmaster(dir);
  if (pid === null) throw new DevClusterError(`cluster.sh start ${dir} succeeded but no postmaster is running`);
  return { adopted: false, pid };
}

/** Stops the cluster in `dir` (fast shutdown), leaving its data for the next run. */
export async function stopDevCluster(repoRoot: string, dir: string): Promise<void> {
  try {
    await script(repoRoot, 'stop', dir);
  } catch (error) {
    // `cluster.sh stop` ends on `[ "$cmd" = destroy ] && …` and so reports 1 after a clean stop:
    // the postmaster being gone is what counts.
    if (runningPostmaster(dir) !== null) throw error;
  }
}

/** Stops the cluster in `dir` and removes the directory (RESET=1). */
export async function destroyDevCluster(repoRoot: string, dir: string): Promise<void> {
  await script(repoRoot, 'destroy', dir);
}
