/**
 * Scenario 2: Postgres itself goes away under load. The test owns a private cluster (cluster.sh in a
 * temp dir, migrated with the real CLI) because it stops it: `pg_ctl stop -m fast` in one case,
 * `-m immediate` (a crash, recovery at start) in the other, 3 s down, then started again.
 *
 * Load: missions due now that are being planned (LLM calls of 400 ms in flight when the server goes),
 * missions that become due during the outage, missions that become due after it, and a device that keeps
 * inserting a due mission every 150 ms throughout (its inserts fail while the server is down; a row
 * counts as expected iff it is in sync_changes afterwards). Every expected mission must get exactly
 * one iteration.
 *
 * The listener runs under a supervisor loop: if the process exits it is restarted after 500 ms, as
 * systemd/Kubernetes would. What happens is recorded: with a 3 s outage the LISTEN connection
 * (src/listen/listener.ts) reconnects within its 60 s retry window, so the process stays up, and the
 * `connected` event runs a tick and a drain (the rescan). With an outage past 60 s it gives up: the process logs
 * "LISTEN connection failed for good" and exits 1, and the supervisor restarts it (third case, ~70 s).
 * A fourth case pins a bug found here: one failed next_wakeup call dropped the next-due timer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  checkIntegrity, createMigratedDatabase, insertRows, killAll, recordResult, serveEnv, sleep, spawnServe, startOwnCluster,
  terminate, until, type Expected, type OwnCluster, type ServeProcess,
} from '../support/chaos-kit.js';
import { missionRow } from '../support/e2e-kit.js';
import { planText, startFakeLlm, type FakeLlm } from '../../src/dev/fake-llm.js';

const DB = 'chaos_restart';

const supervisors = new Set<{ halt(): void }>();

/** Keeps one listener process running: restarts it after 500 ms whenever it exits (at most 100 times). */
function supervise(name: string, env: Record<string, string>) {
  const exits: (number | string)[] = [];
  const processes: ServeProcess[] = [];
  let stopped = false;
  const launch = (): ServeProcess => {
    const proc = spawnServe(`${name}.${processes.length}`, env);
    processes.push(proc);
    void proc.exited.then(async (code) => {
      if (stopped) return;
      exits.push(code);
      await sleep(500);
      if (!stopped && exits.length < 100) launch();
    });
    return proc;
  };
  const first = launch();
  const handle = {
    first,
    exits,
    current: () => processes.at(-1)!,
    logs: () => processes.flatMap((p) => p.logs()),
    stderr: () => processes.map((p) => p.stderr.join('')).join('\n'),
    halt() {
      stopped = true;
    },
    async stop() {
      stopped = true;
      return terminate(processes.at(-1)!);
    },
  };
  supervisors.add(handle);
  return handle;
}

describe('scenario 2: Postgres restarts under load', () => {
  let cluster: OwnCluster;
  let admin: pg.Pool;
  let llm: FakeLlm;
  /** A new superuser pool (the old one's connections died with the server). */
  const reconnect = async () => {
    await admin?.end().catch(() => undefined);
    admin = new pg.Pool({ connectionString: cluster.url('postgres', DB), max: 4, connectionTimeoutMillis: 2_000 });
    admin.on('error', () => undefined); // idle connections die with the server
  };

  before(async () => {
    cluster = await startOwnCluster();
    await createMigratedDatabase(cluster, DB);
    await reconnect();
    llm = await startFakeLlm();
    llm.setDefault({ content: planText({ summary: 'Nichts', steps: [] }), delayMs: 400 });
  });
  after(async () => {
    for (const s of supervisors) s.halt();
    await killAll();
    await llm?.close();
    await admin?.end().catch(() => undefined);
    cluster?.destroy();
  });

  for (const mode of ['fast', 'immediate'] as const) {
    test(`pg_ctl stop -m ${mode} for 3 s while runs are in flight: every mission planned exactly once`, async (t) => {
      const prefix = `pg-${mode}`;
      const env = serveEnv(cluster.url('mana_ai_test_listener', DB), llm.url, {
        MANA_AI_LEASE_MS: '1500', MANA_AI_CONCURRENCY: '4', TICK_INTERVAL_MS: '60000',
      });
      const listener = supervise(`listener-${mode}`, env);
      const port = await listener.first.started();
      const health = async () => fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) })
        .then((r) => r.status, () => 0);

      const now = Date.now();
      const at = (ms: number) => new Date(now + ms).toISOString();
      const rows = [];
      for (let i = 0; i < 20; i += 1) rows.push(missionRow(`${prefix}-u${i % 4}`, `${prefix}-now-${i}`, { title: `${prefix} now ${i}` }));
      for (let i = 0; i < 10; i += 1) {
        rows.push(missionRow(`${prefix}-u${i % 4}`, `${prefix}-during-${i}`, { title: `${prefix} during ${i}`, nextRunAt: at(2_500) }));
      }
      for (let i = 0; i < 5; i += 1) {
        rows.push(missionRow(`${prefix}-u${i % 4}`, `${prefix}-after-${i}`, { title: `${prefix} after ${i}`, nextRunAt: at(9_000) }));
      }
      rows.sort((a, b) => a.userId.localeCompare(b.userId));
      await insertRows(admin, rows, 10);

      // A device that keeps syncing new due missions, before, during and after the outage.
      let inserting = true;
      let attempted = 0;
      let failed = 0;
      // A connection per insert, like a device's push reaching the sync server.
      const deviceErrors: string[] = [];
      const device = (async () => {
        while (inserting) {
          const id = `${prefix}-stream-${attempted}`;
          attempted += 1;
          await insertRows(cluster.url('postgres', DB), [missionRow(`${prefix}-u9`, id, { title: `${prefix} stream ${attempted}` })]).catch((e: Error) => {
            failed += 1;
            deviceErrors.push(e.message.replace(/\/tmp\/\S+/, '<socket>'));
          });
          await sleep(150);
        }
      })();

      const inFlight = async () => (await admin.query<{ n: number }>(
        `select count(*)::int n from mana_ai.runs where status = 'running' and lease_until > now()`)).rows[0]!.n;
      const requestsBefore = llm.requests.length;
      await until(async () => (await inFlight()) >= 4 && llm.requests.length - requestsBefore >= 4, 10_000,
        async () => `in flight: ${await inFlight()}, LLM requests ${llm.requests.length - requestsBefore}`, 20);
      const heldAtStop = await inFlight();

      const down = Date.now();
      cluster.stop(mode);
      const healthDown = await health();
      await sleep(3_000);
      cluster.start();
      const outageMs = Date.now() - down;
      assert.ok(down < now + 2_500 && now + 2_500 < down + outageMs, 'the "during" missions became due while the server was down');
      await reconnect();

      await sleep(2_000);
      inserting = false;
      await device;
      t.diagnostic(`device errors: ${[...new Set(deviceErrors)].join(' | ')}`);

      const { rows: present } = await admin.query<{ user_id: string; record_id: string }>(
        `select distinct user_id, record_id from public.sync_changes where user_id like $1 || '%' and client_id = 'chaos-device'`, [prefix]);
      const expected: Expected[] = present.map((r) => ({ userId: r.user_id, missionId: r.record_id }));
      assert.equal(expected.length, rows.length + attempted - failed, 'every insert that did not fail is in the log');
      const doneCount = async () => (await admin.query<{ n: number }>(
        `select count(*)::int n from mana_ai.runs where user_id like $1 || '%' and status = 'done'`, [prefix])).rows[0]!.n;
      await until(async () => (await doneCount()) === expected.length, 45_000, async () => {
        const { rows: missing } = await admin.query<{ m: string }>(
          `select e.m from unnest($1::text[], $2::text[]) e(u, m)
            where not exists (select from mana_ai.runs r where r.user_id = e.u and r.mission_id = e.m and r.status = 'done')`,
          [expected.map((e) => e.userId), expected.map((e) => e.missionId)]);
        const { rows: wake } = await admin.query('select mana_ai.next_wakeup() next, now() now');
        const lines = listener.logs().filter((l) => l.level !== 'info' || /tick|listening|LISTEN/.test(String(l.msg)))
          .map((l) => `${String(l.ts).slice(11, 23)} ${String(l.level)} ${String(l.msg)} ${String(l.message ?? l.source ?? '')}`);
        return `${await doneCount()} of ${expected.length} done; ${JSON.stringify((await admin.query(
          `select status, count(*)::int from mana_ai.runs where user_id like $1 || '%' group by 1`, [prefix])).rows)}; ` +
          `not done: ${missing.map((r) => r.m).join(', ')}; next_wakeup ${JSON.stringify(wake[0])}; ` +
          `stop at ${new Date(down).toISOString().slice(11, 23)}; listener log:\n${lines.slice(-40).join('\n')}`;
      });

      const result = await checkIntegrity(admin, expected);
      assert.deepEqual(result.problems, []);
      assert.equal(result.lost, 0);
      assert.equal(result.duplicated, 0);
      assert.deepEqual(result.statuses, { done: expected.length });

      const logs = listener.logs();
      const lostLines = logs.filter((l) => l.msg === 'LISTEN connection lost: reconnecting').length;
      const listening = logs.filter((l) => l.msg === 'listening').length;
      const fatal = logs.filter((l) => l.msg === 'LISTEN connection failed for good').length;
      t.diagnostic(`next_wakeup failures logged: ${logs.filter((l) => l.msg === 'next_wakeup failed').length}`);
      assert.equal(healthDown, 503, '/health answers 503 while the database is down');
      assert.equal(await health(), 200, '/health is 200 again');
      const behaviour = listener.exits.length === 0
        ? `process stayed up: LISTEN reconnected (${lostLines} reconnect attempts logged, LISTEN re-established ${listening - 1}x) and rescanned`
        : `process exited ${listener.exits.join(',')} and was restarted ${listener.exits.length}x by the supervisor`;
      t.diagnostic(`outage ${outageMs} ms; ${heldAtStop} runs leased with LLM calls open at the stop; ${behaviour}; fatal lines ${fatal}`);
      t.diagnostic(`device inserts: ${attempted} tried, ${failed} failed during the outage`);
      if (listener.exits.length === 0) {
        assert.ok(listening >= 2, 'LISTEN was re-established after the restart');
      }
      assert.equal(await listener.stop(), 0);

      recordResult({
        scenario: `2 Postgres stop -m ${mode} + start`,
        inputs: `${rows.length} missions (20 due, 10 due during the ${(outageMs / 1000).toFixed(1)} s outage, 5 after) + ${attempted - failed} streamed (${failed} inserts refused while down); ${heldAtStop} runs in flight`,
        outcome: `${expected.length}/${expected.length} done once; ${behaviour}; /health 503 down, 200 after`,
        lost: result.lost,
        duplicated: result.duplicated,
      });
    });
  }
  test('an outage longer than the LISTEN connection\'s 60 s retry window: the process exits 1, the supervisor restarts it, every mission runs once', async (t) => {
    const prefix = 'pg-long';
    const env = serveEnv(cluster.url('mana_ai_test_listener', DB), llm.url, { MANA_AI_LEASE_MS: '1500', TICK_INTERVAL_MS: '60000' });
    const listener = supervise('listener-long', env);
    await listener.first.started();
    const now = Date.now();
    const rows = [
      ...Array.from({ length: 8 }, (_, i) => missionRow(`${prefix}-u${i % 2}`, `${prefix}-now-${i}`, { title: `${prefix} now ${i}` })),
      ...Array.from({ length: 5 }, (_, i) => missionRow(`${prefix}-u${i % 2}`, `${prefix}-during-${i}`, { title: `${prefix} during ${i}`, nextRunAt: new Date(now + 20_000).toISOString() })),
    ];
    rows.sort((a, b) => a.userId.localeCompare(b.userId));
    await insertRows(admin, rows, 10);
    await until(async () => (await admin.query<{ n: number }>(`select count(*)::int n from mana_ai.runs where user_id like $1 || '%' and status = 'running'`, [prefix])).rows[0]!.n > 0,
      10_000, () => 'no run in flight', 20);
    const down = Date.now();
    cluster.stop('fast');
    // LISTEN retries every 500 ms for 60 s, then gives up: the listener must exit, not hang.
    await until(async () => listener.exits.length > 0, 75_000, () => 'the listener did not exit after LISTEN gave up');
    const exitedAfterMs = Date.now() - down;
    cluster.start();
    await reconnect();
    const outageMs = Date.now() - down;
    const expected = rows.map((r) => ({ userId: r.userId, missionId: r.recordId }));
    const done = async () => (await admin.query<{ n: number }>(`select count(*)::int n from mana_ai.runs where user_id like $1 || '%' and status = 'done'`, [prefix])).rows[0]!.n;
    await until(async () => (await done()) === expected.length, 30_000, async () => `${await done()} of ${expected.length} done; exits ${listener.exits.join(',')}`);
    const result = await checkIntegrity(admin, expected);
    assert.deepEqual(result.problems, []);
    const logs = listener.logs();
    assert.equal(listener.exits[0], 1, 'the first exit is the fatal one, code 1');
    assert.ok(logs.some((l) => l.msg === 'LISTEN connection failed for good'), 'it said why');
    t.diagnostic(`outage ${outageMs} ms; first exit (code ${listener.exits[0]}) ${exitedAfterMs} ms after the stop; ${listener.exits.length} exits in all (restarts while the database was still down exit 1 at start)`);
    assert.equal(await listener.stop(), 0);
    recordResult({
      scenario: '2 Postgres down > 60 s',
      inputs: `13 missions (8 due, 5 due during the ${(outageMs / 1000).toFixed(0)} s outage), runs in flight at stop -m fast`,
      outcome: `LISTEN gave up: process exited 1 after ${(exitedAfterMs / 1000).toFixed(0)} s ("LISTEN connection failed for good"); the supervisor restarted it (${listener.exits.length} exits); 13/13 done once`,
      lost: result.lost,
      duplicated: result.duplicated,
    });
  });

  test('one failed next_wakeup (a transient database error) does not drop the listener\'s next-due timer', async () => {
    // The periodic tick is 10 minutes away: only the next-due timer can start this mission on time.
    const listener = spawnServe('timer', serveEnv(cluster.url('mana_ai_test_listener', DB), llm.url, { TICK_INTERVAL_MS: '600000' }));
    const port = await listener.started();
    const tick = () => fetch(`http://127.0.0.1:${port}/internal/tick`, { method: 'POST', headers: { 'x-service-key': 'chaos-service-key' } });
    const dueAt = Date.now() + 4_000;
    await insertRows(admin, [missionRow('timer-user', 'timer-mission', { title: 'Timer', nextRunAt: new Date(dueAt).toISOString() })]);
    assert.equal((await tick()).status, 200, 'a wake-up: the timer is armed for the mission\'s slot');
    // Exactly one next_wakeup call fails (here: no EXECUTE for a moment; in production a connection
    // reset, a cancelled statement, a failover), then the database is fine again.
    await admin.query('revoke execute on function mana_ai.next_wakeup() from mana_ai_runner');
    try {
      assert.equal((await tick()).status, 200);
      await until(async () => listener.logs().some((l) => l.msg === 'next_wakeup failed'), 5_000, () => 'no failed next_wakeup logged');
    } finally {
      await admin.query('grant execute on function mana_ai.next_wakeup() to mana_ai_runner');
    }
    const done = async () => (await admin.query(`select status from mana_ai.runs where mission_id = 'timer-mission'`)).rows[0]?.status === 'done';
    await until(done, dueAt - Date.now() + 8_000, async () =>
      `not planned ${((Date.now() - dueAt) / 1000).toFixed(1)} s after its slot; runs: ${JSON.stringify((await admin.query(`select status from mana_ai.runs where mission_id = 'timer-mission'`)).rows)}`);
    assert.equal(await terminate(listener), 0);
  });
});
