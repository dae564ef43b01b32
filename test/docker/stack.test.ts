/**
 * The built images run for real (`make test-docker` only; test/docker/run.sh builds the images and
 * starts the engine first, then runs this file). Two parts, in order:
 *
 *  1. `docker run`, step by step as an operator would: the Postgres image on a named volume, `migrate`
 *     and the listener role as one-shot containers, the listener; a mission end to end (a device
 *     insert into sync_changes → the containerised listener plans with the fake LLM on the host →
 *     the write-back row); HEALTHCHECK, non-root, `docker stop` within the grace period, pg_cron
 *     ticking, and a restart of both containers on the same volume that loses nothing.
 *  2. docker/compose.yaml brought up by Docker Compose v2 (a container of Debian 13's package) with
 *     Prometheus: the same mission through the compose listener, the scrape target up, the alert
 *     rules loaded. Grafana is left out (no Debian package of it).
 *
 * The fake LLM listens on the address of the host on Docker's default bridge, which containers on
 * any bridge network reach. The host reaches the containers by their bridge addresses, so nothing
 * is published except what compose.yaml itself publishes (reset here by test/docker/compose.test.yaml).
 * Measurements (image sizes, stop and restart durations) go to the file named by DOCKER_REPORT.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { planText, startFakeLlm, type FakeLlm } from '../../src/dev/fake-llm.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RUNNER_IMAGE = process.env.RUNNER_IMAGE ?? 'mana-ai-runner:local';
const PG_IMAGE = process.env.PG_IMAGE ?? 'mana-ai-postgres:local';
const COMPOSE_IMAGE = process.env.COMPOSE_IMAGE ?? 'mana-ai-compose:local';
const PROMETHEUS_IMAGE = process.env.PROMETHEUS_IMAGE ?? 'mana-ai-prometheus:local';
const REPORT = process.env.DOCKER_REPORT ?? '/dev/null';
const TZ = 'Europe/Berlin';
const TAG = `mana-ai-t${randomBytes(3).toString('hex')}`;

const report = (line: string): void => appendFileSync(REPORT, `${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Result { code: number; out: string; err: string }
/** Runs docker asynchronously (the fake LLM in this process must keep answering meanwhile). */
function docker(args: string[], options: { allowFail?: boolean; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    execFile('docker', args, { timeout: options.timeoutMs ?? 300_000, maxBuffer: 32 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      const r = { code, out: String(stdout).trim(), err: String(stderr).trim() };
      if (code !== 0 && !options.allowFail) reject(new Error(`docker ${args.join(' ')} exited ${code}:\n${r.err || r.out}`));
      else resolvePromise(r);
    });
  });
}
const inspect = async (name: string, format: string): Promise<string> => (await docker(['inspect', '-f', format, name])).out;
const ipOf = (name: string): Promise<string> => inspect(name, '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}').then((s) => s.split(' ')[0]!);

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(everyMs);
  }
}

/** Fails at once (with the container's last log lines) when the container stopped instead. */
const waitHealthy = async (name: string, timeoutMs = 120_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [state, status] = (await inspect(name, '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}')).split(' ');
    if (status === 'healthy') return;
    if (state !== 'running' || Date.now() > deadline) {
      const logs = await docker(['logs', '--tail', '20', name], { allowFail: true });
      throw new Error(`${name} is ${state}/${status || 'no health'} instead of healthy:\n${logs.out}\n${logs.err}`);
    }
    await sleep(500);
  }
};

/**
 * The host's address on Docker's default bridge, as containers see it: their default route. (The
 * bridge's IPAM entry may leave the gateway unset, and the host's interface list may not show it.)
 */
async function hostAddressForContainers(): Promise<string> {
  const route = (await docker(['run', '--rm', '--entrypoint', 'cat', PG_IMAGE, '/proc/net/route'])).out;
  const line = route.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[1] === '00000000');
  assert.ok(line, `no default route in a container:\n${route}`);
  const hex = line[2]!;   // little-endian IPv4
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/** The listener's plan for every mission: one create_task step (allowed by the default policy). */
function planReply(): { content: string } {
  return { content: planText({ summary: 'Bericht planen', steps: [
    { summary: 'Aufgabe anlegen', toolName: 'create_task', params: { title: 'Bericht schreiben' }, rationale: 'weil' },
  ] }) };
}

/** A device insert of an agent and a due mission, as the sync server writes them. */
async function insertMission(db: pg.Pool, userId: string, missionId: string): Promise<void> {
  const past = '2026-01-01T00:00:00.000Z';
  const rows = [
    { table: 'agents', id: `agent-${missionId}`, data: { id: `agent-${missionId}`, name: 'Planer', role: 'Assistent', state: 'active',
      maxConcurrentMissions: 1, policy: { tools: {}, defaultForAi: 'propose' }, createdAt: past, updatedAt: past } },
    { table: 'aiMissions', id: missionId, data: { id: missionId, title: `Mission ${missionId}`, conceptMarkdown: 'Konzept',
      objective: 'Jeden Freitag berichten', state: 'active', agentId: `agent-${missionId}`, cadence: { kind: 'interval', everyMinutes: 60 },
      nextRunAt: past, inputs: [], iterations: [], createdAt: past, updatedAt: past } },
  ];
  const client = await db.connect();
  try {
    await client.query('begin');
    for (const r of rows) {
      await client.query(`select set_config('app.current_user_id', $1, true)`, [userId]);
      await client.query(
        `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, schema_version)
         values ('ai', $1, $2, $3, 'insert', $4, '{}', 'docker-test-device', 1)`,
        [r.table, r.id, userId, JSON.stringify(r.data)]);
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Waits for the runner's write-back row of the mission; checks that it carries the planned iteration. */
async function expectWriteBack(db: pg.Pool, userId: string, missionId: string, llm: FakeLlm): Promise<void> {
  const row = await until(`write-back of ${missionId}`, async () => (await db.query(
    `select * from public.sync_changes where client_id = 'mana-ai-runner' and user_id = $1 and record_id = $2`, [userId, missionId])).rows[0], 60_000);
  assert.equal(row.table_name, 'aiMissions');
  assert.equal(row.op, 'update');
  const iterations = row.data.iterations as Array<{ source: string; summary: string; plan: Array<{ intent: { toolName: string } }> }>;
  assert.equal(iterations.length, 1);
  assert.equal(iterations[0]!.source, 'server');
  assert.equal(iterations[0]!.summary, 'Bericht planen');
  assert.equal(iterations[0]!.plan[0]!.intent.toolName, 'create_task');
  const run = (await db.query(`select status from mana_ai.runs where user_id = $1 and mission_id = $2`, [userId, missionId])).rows;
  assert.deepEqual(run.map((r) => r.status), ['done']);
  assert.ok(llm.requests.some((r) => JSON.stringify(r.body).includes(`Mission ${missionId}`)), 'the fake LLM was asked about this mission');
}

async function counts(db: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await db.query(`select
      (select count(*) from public.sync_changes)::int as sync_changes,
      (select count(*) from mana_ai.runs)::int as runs,
      (select count(*) from mana_ai.runs where status = 'done')::int as runs_done,
      (select count(*) from mana_ai_private.projections)::int as projections,
      (select count(*) from cron.job)::int as cron_jobs`);
  return rows[0] as Record<string, number>;
}

const adminPool = (host: string, password: string): pg.Pool => {
  const pool = new pg.Pool({ host, port: 5432, user: 'postgres', password, database: 'mana_sync', max: 2 });
  pool.on('error', () => undefined);
  return pool;
};

let llm: FakeLlm;
before(async () => {
  mkdirSync(dirname(REPORT), { recursive: true });
  llm = await startFakeLlm({ host: await hostAddressForContainers() });
  llm.setDefault(planReply);
});
after(async () => {
  await llm?.close();
});

describe('docker run: the images step by step', () => {
  const net = `${TAG}-net`;
  const volume = `${TAG}-pgdata`;
  const dbName = `${TAG}-db`;
  const listener = `${TAG}-listener`;
  const pgPassword = randomBytes(12).toString('hex');
  const listenerPassword = randomBytes(12).toString('hex');
  let db: pg.Pool;

  const runDb = async (): Promise<pg.Pool> => {
    await docker(['run', '-d', '--name', dbName, '--network', net, '-e', `POSTGRES_PASSWORD=${pgPassword}`, '-e', 'POSTGRES_DB=mana_sync',
      '-v', `${volume}:/var/lib/postgresql/data`,
      // compose.yaml's healthcheck, as docker run flags
      '--health-cmd', 'pg_isready -h 127.0.0.1 -U postgres -d mana_sync', '--health-interval', '2s', '--health-retries', '60', PG_IMAGE]);
    await waitHealthy(dbName);
    const pool = adminPool(await ipOf(dbName), pgPassword);
    await until('database answers', async () => (await pool.query('select 1 as ok')).rows[0].ok === 1, 30_000);
    return pool;
  };
  const runListener = (): Promise<Result> => docker(['run', '-d', '--name', listener, '--network', net,
    '-e', `SYNC_DATABASE_URL=postgresql://mana_ai:${listenerPassword}@${dbName}:5432/mana_sync`,
    '-e', `MANA_LLM_URL=${llm.url}`, '-e', 'MANA_SERVICE_KEY=docker-test-key', '-e', `MANA_AI_TIMEZONE=${TZ}`,
    // the image's HEALTHCHECK command, checked every 2 s instead of 30 s
    '--health-interval', '2s', '--health-start-period', '20s', '--stop-timeout', '10', RUNNER_IMAGE]);

  before(async () => {
    await docker(['network', 'create', net]);
    await docker(['volume', 'create', volume]);
  });
  after(async () => {
    await db?.end().catch(() => undefined);
    if (process.env.KEEP_CONTAINERS) return;
    await docker(['rm', '-f', '-v', listener, dbName], { allowFail: true });
    await docker(['volume', 'rm', volume], { allowFail: true });
    await docker(['network', 'rm', net], { allowFail: true });
  });

  test('image sizes (listener target: 200 MB or less)', async () => {
    for (const image of [RUNNER_IMAGE, PG_IMAGE]) {
      const bytes = Number(await inspect(image, '{{.Size}}'));
      assert.ok(bytes > 0);
      const mb = (bytes / 1e6).toFixed(0);
      report(`image ${image}: ${mb} MB${image === RUNNER_IMAGE ? ` (target <= 200 MB: ${bytes <= 200e6 ? 'met' : 'NOT met'})` : ''}`);
    }
  });

  test('the Postgres image initialises the volume and preloads pg_cron for mana_sync', async () => {
    db = await runDb();
    const { rows } = await db.query(`select current_setting('shared_preload_libraries') as spl, current_setting('cron.database_name') as crondb,
      current_setting('server_version') as version`);
    assert.equal(rows[0].spl, 'pg_cron');
    assert.equal(rows[0].crondb, 'mana_sync');
    report(`postgres image: PostgreSQL ${rows[0].version}`);
  });

  test('migrate runs as a one-shot container of the listener image and schedules the pg_cron jobs', async () => {
    const r = await docker(['run', '--rm', '--network', net, '-e', `MANA_AI_ADMIN_DATABASE_URL=postgresql://postgres:${pgPassword}@${dbName}:5432/mana_sync`,
      '-e', `MANA_AI_TIMEZONE=${TZ}`, RUNNER_IMAGE, 'migrate', '--create-sync-changes']);
    assert.equal(r.code, 0);
    const jobs = (await db.query(`select jobname from cron.job order by jobname`)).rows.map((j) => j.jobname as string);
    assert.ok(jobs.includes('mana-ai-tick'), `jobs: ${jobs.join(', ')}`);
    // Idempotent: a second run (as on every `compose up`) succeeds and changes nothing.
    await docker(['run', '--rm', '--network', net, '-e', `MANA_AI_ADMIN_DATABASE_URL=postgresql://postgres:${pgPassword}@${dbName}:5432/mana_sync`,
      '-e', `MANA_AI_TIMEZONE=${TZ}`, RUNNER_IMAGE, 'migrate', '--create-sync-changes']);
    assert.deepEqual((await db.query(`select jobname from cron.job order by jobname`)).rows.map((j) => j.jobname as string), jobs);
  });

  test('the role step (docker/db-roles/listener-role.sql with the image\'s psql) creates the LOGIN role mana_ai', async () => {
    await docker(['run', '--rm', '--network', net, '-e', `PGPASSWORD=${pgPassword}`, '-e', `MANA_AI_DB_PASSWORD=${listenerPassword}`,
      '-v', `${join(ROOT, 'docker/db-roles/listener-role.sql')}:/docker/db-roles/listener-role.sql:ro`,
      '--entrypoint', 'psql', PG_IMAGE, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', dbName, '-U', 'postgres', '-d', 'mana_sync',
      '-f', '/docker/db-roles/listener-role.sql']);
    const { rows } = await db.query(`select rolcanlogin, rolsuper, pg_has_role('mana_ai', 'mana_ai_runner', 'member') as member
      from pg_roles where rolname = 'mana_ai'`);
    assert.deepEqual(rows, [{ rolcanlogin: true, rolsuper: false, member: true }]);
  });

  test('the listener becomes healthy through the image\'s HEALTHCHECK and runs as non-root', async () => {
    await runListener();
    await waitHealthy(listener);
    assert.equal(await inspect(listener, '{{.Config.User}}'), 'node');
    // docker top runs ps on the host: the container's processes with their (numeric) host uids
    const top = (await docker(['top', listener, '-eo', 'pid,uid,args'])).out.split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    assert.ok(top.length >= 2, 'tini and node');
    for (const [, uid, ...args] of top) assert.notEqual(uid, '0', `runs as root: ${args.join(' ')}`);
    const res = await fetch(`http://${await ipOf(listener)}:3067/health`);
    assert.equal(res.status, 200);
  });

  test('a mission end to end: sync_changes insert → containerised listener → fake LLM on the host → write-back', async () => {
    await insertMission(db, 'docker-user', 'docker-mission-1');
    await expectWriteBack(db, 'docker-user', 'docker-mission-1', llm);
  });

  test('the pg_cron tick job of the Postgres image runs (succeeded at least once)', async () => {
    const tick = await until('a succeeded mana-ai-tick run', async () => (await db.query(
      `select d.status, d.start_time from cron.job_run_details d join cron.job j using (jobid)
        where j.jobname = 'mana-ai-tick' and d.status = 'succeeded' order by d.start_time limit 1`)).rows[0], 130_000, 2000);
    assert.equal(tick.status, 'succeeded');
  });

  test('docker stop: the listener exits 0 within the grace period (SIGKILL would give 137)', async () => {
    const t0 = Date.now();
    await docker(['stop', '-t', '10', listener]);
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(await inspect(listener, '{{.State.ExitCode}}'), '0');
    assert.equal(await inspect(listener, '{{.State.OOMKilled}}'), 'false');
    report(`listener: docker stop took ${seconds.toFixed(1)} s (grace 10 s), exit code 0`);
  });

  test('restart on the same volume loses nothing, and the stack works again', async () => {
    const before = await counts(db);
    await db.end();
    const t0 = Date.now();
    await docker(['stop', '-t', '30', dbName]);
    assert.equal(await inspect(dbName, '{{.State.ExitCode}}'), '0', 'the database shut down cleanly');
    await docker(['rm', dbName]);
    db = await runDb();
    await docker(['start', listener]);
    await waitHealthy(listener);
    report(`restart: new db container on the same volume and the listener healthy again in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.deepEqual(await counts(db), before);
    await insertMission(db, 'docker-user', 'docker-mission-2');
    await expectWriteBack(db, 'docker-user', 'docker-mission-2', llm);
  });
});

describe('compose: docker/compose.yaml with Prometheus', () => {
  const project = `${TAG}-compose`;
  const envFile = join(ROOT, '.cache', `${project}.env`);
  const pgPassword = randomBytes(12).toString('hex');
  let db: pg.Pool | undefined;

  const compose = (args: string[], options: { allowFail?: boolean } = {}): Promise<Result> => docker(['run', '--rm',
    '-v', '/var/run/docker.sock:/var/run/docker.sock', '-v', `${ROOT}:${ROOT}`, '-w', ROOT, COMPOSE_IMAGE,
    '-p', project, '--env-file', envFile, '-f', 'docker/compose.yaml', '-f', 'test/docker/compose.test.yaml', ...args], options);

  before(async () => {
    writeFileSync(envFile, [
      `POSTGRES_PASSWORD=${pgPassword}`, `MANA_AI_DB_PASSWORD=${randomBytes(12).toString('hex')}`, 'MANA_SERVICE_KEY=docker-test-key',
      `MANA_LLM_URL=${llm.url}`, `GRAFANA_ADMIN_PASSWORD=${randomBytes(12).toString('hex')}`, `MANA_AI_TIMEZONE=${TZ}`,
      `PROMETHEUS_IMAGE=${PROMETHEUS_IMAGE}`, '',
    ].join('\n'), { mode: 0o600 });
  });
  after(async () => {
    await db?.end().catch(() => undefined);
    if (!process.env.KEEP_CONTAINERS) await compose(['down', '-v', '--remove-orphans'], { allowFail: true });
    rmSync(envFile, { force: true });
  });

  test('compose implementation and version', async () => {
    const version = (await docker(['run', '--rm', COMPOSE_IMAGE, 'version', '--short'])).out;
    assert.match(version, /^v?2\./);
    report(`compose: Docker Compose ${version} (Debian 13 package docker-compose, run as a container)`);
  });

  test('up: db healthy → migrate → db-roles → listener healthy; prometheus runs (grafana left out: not packaged by Debian)', async () => {
    const t0 = Date.now();
    await compose(['up', '-d', '--no-build', 'db', 'migrate', 'db-roles', 'listener', 'prometheus']);
    const name = (service: string) => `${project}-${service}-1`;
    await waitHealthy(name('listener'));
    report(`compose up (images built) to a healthy listener: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const oneShot of ['migrate', 'db-roles']) {
      assert.equal(await inspect(name(oneShot), '{{.State.Status}} {{.State.ExitCode}}'), 'exited 0', oneShot);
    }
    db = adminPool(await ipOf(name('db')), pgPassword);
    await insertMission(db, 'compose-user', 'compose-mission-1');
    await expectWriteBack(db, 'compose-user', 'compose-mission-1', llm);
  });

  test('Prometheus (Debian\'s package) scrapes the listener and loads the alert rules', async () => {
    const prom = `http://${await ipOf(`${project}-prometheus-1`)}:9090`;
    const target = await until('listener target up', async () => {
      const body = await (await fetch(`${prom}/api/v1/targets`)).json() as { data: { activeTargets: Array<{ labels: { job: string }; health: string }> } };
      return body.data.activeTargets.find((t) => t.labels.job === 'mana-ai' && t.health === 'up');
    }, 90_000, 2000);
    assert.equal(target.health, 'up');
    const rules = await (await fetch(`${prom}/api/v1/rules`)).json() as { data: { groups: Array<{ rules: Array<{ name: string }> }> } };
    const loaded = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name)).sort();
    const file = readFileSync(join(ROOT, 'docker/prometheus/alerts.yml'), 'utf8');
    const declared = [...file.matchAll(/^\s*- alert:\s*(\S+)/gm)].map((m) => m[1]!).sort();
    assert.ok(declared.length > 0);
    assert.deepEqual(loaded, declared);
    const version = (await (await fetch(`${prom}/api/v1/status/buildinfo`)).json() as { data: { version: string } }).data.version;
    report(`prometheus: ${version} (Debian package), target mana-ai up, ${loaded.length} alert rules loaded`);
  });
});
