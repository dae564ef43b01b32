/**
 * A real HA setup for `make test-ha`: one etcd and two Patroni-managed PostgreSQL 15 nodes (pg_cron
 * preloaded) on loopback ports in a temporary directory. Everything runs as
 * the `postgres` OS user (PostgreSQL refuses root) and is started and stopped by the test itself:
 * {@link startHaCluster} returns a handle whose `destroy()` kills exactly the processes it started.
 *
 * Patroni settings chosen for a fast test, documented in docs/operations-ha.md: ttl 20 s (Patroni's
 * minimum), loop_wait 1 s, retry_timeout 5 s, primary_start_timeout 0 (a crashed primary is failed over
 * at once instead of being restarted in place for up to 5 minutes), pg_rewind on, replication slots.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep, until } from './chaos-kit.js';

const PGBIN = process.env.PGBIN ?? '/usr/lib/postgresql/15/bin';

/** A free TCP port on 127.0.0.1 (bound once, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const postgresIds = (): { uid: number; gid: number } => ({
  uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
  gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
});

interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
}

export interface HaNode {
  readonly name: string;
  readonly pgPort: number;
  readonly restPort: number;
  readonly dataDir: string;
  readonly config: string;
}

export interface MemberState {
  name: string;
  role: string;
  state: string;
  lag?: number | string;
  timeline?: number;
}

export interface HaCluster {
  readonly dir: string;
  readonly nodes: readonly HaNode[];
  /** Multi-host URL over both nodes, `target_session_attrs=read-write`: it follows the leader. */
  url(user: string, database: string): string;
  /** Single-host URL of one node. */
  nodeUrl(node: HaNode, user: string, database: string): string;
  /** Patroni's view of the members (roles `leader`, `replica`, `sync_standby`). */
  members(): Promise<MemberState[]>;
  /** The current leader's name (waits until there is one that is running). */
  leader(timeoutMs?: number): Promise<HaNode>;
  /** Waits until one leader and one streaming replica exist (and, when `sync`, the replica is the sync standby). */
  healthy(timeoutMs?: number): Promise<void>;
  /** kill -9 of the node's postmaster (first line of postmaster.pid). Returns the pid killed. */
  killPostmaster(node: HaNode): number;
  /** `patronictl switchover --leader <current> --candidate <other> --force` (resolves when it returns). */
  switchover(from: HaNode, to: HaNode): Promise<string>;
  /** Dynamic configuration change through Patroni's REST API (PATCH /config). */
  patchConfig(change: Record<string, unknown>): Promise<void>;
  /** Last lines of every log (for failure messages). */
  logs(lines?: number): string;
  destroy(): void;
}

export interface HaOptions {
  synchronousMode: boolean;
  /** pg_cron's database (created by the test). */
  cronDatabase: string;
}

function spawnAs(name: string, dir: string, command: string, args: string[], ids: { uid: number; gid: number }): Proc {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  chownSync(log, ids.uid, ids.gid);
  const child = spawn(command, args, {
    cwd: dir, uid: ids.uid, gid: ids.gid, stdio: ['ignore', fd, fd],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', PATRONICTL_CONFIG_FILE: join(dir, 'node0.yml') },
  });
  return { name, child, log };
}

export async function startHaCluster(options: HaOptions): Promise<HaCluster> {
  if (process.getuid?.() !== 0) throw new Error('make test-ha runs as root (it starts PostgreSQL, Patroni and etcd as the postgres user)');
  const ids = postgresIds();
  const dir = mkdtempSync(join(tmpdir(), 'mana-ai-ha.'));
  chownSync(dir, ids.uid, ids.gid);
  const procs: Proc[] = [];
  const scope = `mana-ai-ha-${randomBytes(3).toString('hex')}`;

  const etcdClient = await freePort();
  const etcdPeer = await freePort();
  mkdirSync(join(dir, 'etcd'), { mode: 0o700 });
  chownSync(join(dir, 'etcd'), ids.uid, ids.gid);
  procs.push(spawnAs('etcd', dir, 'etcd', [
    '--name', 'ha', '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', `http://127.0.0.1:${etcdClient}`, '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`,
    '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
    '--initial-cluster', `ha=http://127.0.0.1:${etcdPeer}`, '--log-level', 'warn',
  ], ids));
  await until(async () => fetch(`http://127.0.0.1:${etcdClient}/health`).then((r) => r.ok, () => false), 20_000, () => 'etcd did not come up');

  const nodes: HaNode[] = [];
  for (let i = 0; i < 2; i += 1) {
    const name = `node${i}`;
    const home = join(dir, name);
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, ids.uid, ids.gid);
    const node: HaNode = { name, pgPort: await freePort(), restPort: await freePort(), dataDir: join(home, 'data'), config: join(dir, `${name}.yml`) };
    // YAML is a superset of JSON: the config is written as JSON.
    const config = {
      scope, namespace: '/mana-ai-test/', name,
      log: { level: 'INFO' },
      restapi: { listen: `127.0.0.1:${node.restPort}`, connect_address: `127.0.0.1:${node.restPort}` },
      etcd3: { hosts: [`127.0.0.1:${etcdClient}`] },
      bootstrap: {
        dcs: {
          ttl: 20, loop_wait: 1, retry_timeout: 5, primary_start_timeout: 0, maximum_lag_on_failover: 16 * 1024 * 1024,
          synchronous_mode: options.synchronousMode,
          postgresql: {
            use_pg_rewind: true, use_slots: true,
            parameters: {
              wal_level: 'replica', hot_standby: 'on', wal_log_hints: 'on', max_wal_senders: 10, max_replication_slots: 10,
              shared_preload_libraries: 'pg_cron', 'cron.database_name': options.cronDatabase, 'cron.use_background_workers': 'on',
              max_worker_processes: 16, max_connections: 200, fsync: 'off',
            },
          },
        },
        initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'no-sync'],
      },
      postgresql: {
        listen: `127.0.0.1:${node.pgPort}`, connect_address: `127.0.0.1:${node.pgPort}`,
        data_dir: node.dataDir, bin_dir: PGBIN, pgpass: join(home, 'pgpass'),
        authentication: {
          superuser: { username: 'postgres', password: 'postgres' },
          replication: { username: 'replicator', password: 'replicator' },
          rewind: { username: 'postgres', password: 'postgres' },
        },
        pg_hba: ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust'],
        parameters: { unix_socket_directories: home },
      },
      tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
    };
    writeFileSync(node.config, JSON.stringify(config, null, 2));
    chownSync(node.config, ids.uid, ids.gid);
    nodes.push(node);
  }
  // node0 first, so it bootstraps the cluster; node1 then clones it with pg_basebackup.
  procs.push(spawnAs('patroni-node0', dir, 'patroni', [nodes[0]!.config], ids));
  const rest = (node: HaNode, path: string) => fetch(`http://127.0.0.1:${node.restPort}${path}`, { signal: AbortSignal.timeout(3_000) });
  await until(async () => rest(nodes[0]!, '/primary').then((r) => r.status === 200, () => false), 60_000,
    () => `node0 did not become primary: ${tail(join(dir, 'patroni-node0.log'), 20)}`, 250);
  procs.push(spawnAs('patroni-node1', dir, 'patroni', [nodes[1]!.config], ids));

  /**
   * Members from Patroni's REST API (GET /cluster on the first node that answers). Asynchronous on
   * purpose: the fake LLM and the device run in the test's process, whose event loop must not block
   * (a patronictl call is a Python start-up of several hundred ms).
   */
  const members = async (): Promise<MemberState[]> => {
    let last: unknown;
    for (const n of nodes) {
      try {
        const r = await fetch(`http://127.0.0.1:${n.restPort}/cluster`, { signal: AbortSignal.timeout(2_000) });
        const body = (await r.json()) as { members?: { name: string; role: string; state: string; lag?: number | string; timeline?: number }[] };
        return (body.members ?? []).map((m) => ({ name: m.name, role: m.role, state: m.state, lag: m.lag, timeline: m.timeline }));
      } catch (error) {
        last = error;
      }
    }
    throw new Error(`no Patroni REST API answered: ${String(last)}`);
  };
  const cluster: HaCluster = {
    dir, nodes,
    url: (user, database) => `postgresql://${user}@${nodes.map((n) => `127.0.0.1:${n.pgPort}`).join(',')}/${database}?target_session_attrs=read-write`,
    nodeUrl: (node, user, database) => `postgresql://${user}@127.0.0.1:${node.pgPort}/${database}`,
    members,
    async leader(timeoutMs = 60_000) {
      const name = await until(async () => {
        try {
          const m = (await members()).find((x) => x.role === 'leader' && x.state === 'running');
          return m?.name;
        } catch {
          return undefined;
        }
      }, timeoutMs, async () => `no running leader: ${await safeList()}`, 200);
      return nodes.find((n) => n.name === name)!;
    },
    async healthy(timeoutMs = 90_000) {
      await until(async () => {
        try {
          const m = await members();
          const leader = m.filter((x) => x.role === 'leader' && x.state === 'running').length === 1;
          const replica = m.some((x) => (syncNow ? x.role === 'sync_standby' : x.role === 'replica' || x.role === 'sync_standby')
            && (x.state === 'streaming' || x.state === 'running'));
          return leader && replica;
        } catch {
          return false;
        }
      }, timeoutMs, async () => `cluster not healthy: ${await safeList()}\n${cluster.logs(15)}`, 250);
    },
    killPostmaster(node) {
      const pid = Number(readFileSync(join(node.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      return pid;
    },
    switchover(from, to) {
      return new Promise((resolve, reject) => {
        execFile('patronictl', ['-c', nodes[0]!.config, 'switchover', '--leader', from.name, '--candidate', to.name, '--force'],
          { encoding: 'utf8', env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } },
          (error, stdout, stderr) => (error ? reject(new Error(`patronictl switchover: ${error.message} ${stderr}`)) : resolve(stdout)));
      });
    },
    async patchConfig(change) {
      const leader = await cluster.leader();
      const r = await fetch(`http://127.0.0.1:${leader.restPort}/config`, { method: 'PATCH', body: JSON.stringify(change), headers: { 'content-type': 'application/json' } });
      if (!r.ok) throw new Error(`PATCH /config: ${r.status} ${await r.text()}`);
      if ('synchronous_mode' in change) syncNow = change.synchronous_mode === true;
    },
    logs(lines = 30) {
      return procs.map((p) => `--- ${p.name}\n${tail(p.log, lines)}`).join('\n');
    },
    destroy() {
      for (const p of [...procs].reverse()) {
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      }
      // Patroni's postmasters outlive a SIGKILLed Patroni: stop each by its own data dir.
      for (const n of nodes) {
        try {
          const pid = Number(readFileSync(join(n.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
          if (pid > 0) process.kill(pid, 'SIGKILL');
        } catch {
          // not running
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  let syncNow = options.synchronousMode;
  const safeList = async () => JSON.stringify(await members().catch((error: Error) => error.message));
  try {
    await cluster.healthy();
  } catch (error) {
    cluster.destroy();
    throw error;
  }
  await sleep(0);
  return cluster;
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '(no log)';
  }
}
