/**
 * Scenario 9: the capture queue under failure (docs/architecture.md, "Capture, then fold").
 *   a) A listener killed (kill -9) again and again while devices keep committing ai rows: some kills
 *      land between a capture and its fold, some in the middle of a fold transaction (Postgres rolls it
 *      back, the rows stay queued). Restarted like a supervisor would, every mission is planned once.
 *   b) Postgres crashes (pg_ctl stop -m immediate) with a backlog nobody has folded yet (no listener
 *      ran): after recovery the queue is intact, and the first listener folds and plans everything once.
 * Afterwards: the queue is empty and rebuild_projections() changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  checkIntegrity, createMigratedDatabase, insertRows, kill9, killAll, recordResult, serveEnv, sleep, spawnServe,
  startOwnCluster, terminate, until, withClient, type Expected, type OwnCluster,
} from '../support/chaos-kit.js';
import { freshDatabase, type TestDb } from '../support/db.js';
import { missionRow, recordRow } from '../support/e2e-kit.js';
import { planText, startFakeLlm, type FakeLlm } from '../../src/dev/fake-llm.js';

const PLAN = { content: planText({ summary: 'Backlog', steps: [] }), delayMs: 50 };
const FUTURE = '2099-01-01T00:00:00.000Z';

/** Mission rows due now (expected to be planned) and future ones plus other apps' rows (folded only). */
function rows(prefix: string, users: number, perUser: number): { due: Expected[]; all: ReturnType<typeof missionRow>[] } {
  const due: Expected[] = [];
  const all = [];
  for (let u = 0; u < users; u += 1) {
    const userId = `${prefix}-u${u}`;
    for (let i = 0; i < perUser; i += 1) {
      const missionId = `${prefix}-${u}-${i}`;
      if (i % 2 === 0) {
        due.push({ userId, missionId });
        all.push(missionRow(userId, missionId));
      } else {
        all.push(missionRow(userId, missionId, { nextRunAt: FUTURE }));
      }
      all.push(recordRow(userId, 'notes', 'notes', `${missionId}-note`, { title: 'Notiz' }));
    }
  }
  return { due, all };
}

async function queueAndOracle(admin: { query: (q: string) => Promise<{ rows: { n?: number; r?: { changed: number } }[] }> }) {
  const queued = (await admin.query('select count(*)::int as n from mana_ai_private.captured')).rows[0]!.n;
  const changed = (await admin.query('select mana_ai_private.rebuild_projections() as r')).rows[0]!.r!.changed;
  return { queued, changed };
}

describe('scenario 9: the capture queue survives killed listeners and a Postgres crash', () => {
  let db: TestDb;
  let llm: FakeLlm;
  let cluster: OwnCluster | undefined;

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    llm.setDefault(PLAN);
  });
  after(async () => {
    await killAll();
    cluster?.destroy();
    await llm?.close();
    await db?.drop();
  });

  test('a) kill -9 of the listener between captures and folds, 6 times, while devices write', async () => {
    const env = serveEnv(db.runnerUrl, llm.url, { MANA_AI_LEASE_MS: '2000', MANA_AI_CONCURRENCY: '8', TICK_INTERVAL_MS: '3000' });
    const { due, all } = rows('kq', 12, 10);
    let listener = spawnServe('kq-listener-0', env);
    await listener.started();
    let written = 0;
    const writer = (async () => {
      for (let i = 0; i < all.length; i += 6) {
        await insertRows(db.admin, all.slice(i, i + 6), 6);
        written = i + 6;
        await sleep(15);
      }
    })();
    for (let k = 1; k <= 6; k += 1) {
      await sleep(120 + ((k * 53) % 90));
      await kill9(listener);
      listener = spawnServe(`kq-listener-${k}`, env);
      await listener.started();
    }
    await writer;
    assert.ok(written >= all.length);
    await until(async () => {
      const { rows: r } = await db.admin.query(`select count(*) filter (where status = 'done')::int as n from mana_ai.runs`);
      return r[0].n === due.length;
    }, 60_000, async () => JSON.stringify((await db.admin.query('select status, count(*) from mana_ai.runs group by 1')).rows));
    const result = await checkIntegrity(db.admin, due);
    assert.deepEqual(result.problems, []);
    await until(async () => (await queueAndOracle(db.admin)).queued === 0, 10_000, () => 'the queue empties');
    const oracle = await queueAndOracle(db.admin);
    assert.deepEqual(oracle, { queued: 0, changed: 0 }, 'nothing left queued; the projection equals a rebuild from the log');
    assert.equal(await terminate(listener), 0);
    recordResult({
      scenario: '9a kill -9 between capture and fold',
      inputs: `${all.length} rows (${due.length} due missions, 12 users) in 6-row statements every 15 ms, 6 SIGKILLs`,
      outcome: `${due.length}/${due.length} done; queue empty; rebuild changed ${oracle.changed}`,
      lost: result.lost,
      duplicated: result.duplicated,
    });
  });

  test('b) Postgres crashes with an unfolded backlog; after recovery the first listener plans it once', async () => {
    cluster = await startOwnCluster();
    await createMigratedDatabase(cluster, 'chaos_backlog');
    const admin = cluster.url('postgres', 'chaos_backlog');
    const { due, all } = rows('kb', 20, 10);
    await insertRows(admin, all, 50);
    const before = await withClient(admin, async (c) => (await c.query('select count(*)::int as n from mana_ai_private.captured')).rows[0].n);
    assert.equal(before, all.length / 2, 'every ai row is queued, nothing folded (no listener ran)');
    cluster.stop('immediate');
    await sleep(500);
    cluster.start();
    const after = await withClient(admin, async (c) => (await c.query('select count(*)::int as n from mana_ai_private.captured')).rows[0].n);
    assert.equal(after, before, 'the queue survives the crash (it is a logged table, committed with the rows)');

    const env = serveEnv(cluster.url('mana_ai_test_listener', 'chaos_backlog'), llm.url, { MANA_AI_CONCURRENCY: '8' });
    const listener = spawnServe('kb-listener', env);
    await listener.started();
    await withClient(admin, async (c) => {
      await until(async () => {
        const { rows: r } = await c.query(`select count(*) filter (where status = 'done')::int as n from mana_ai.runs`);
        return r[0].n === due.length;
      }, 60_000, async () => JSON.stringify((await c.query('select status, count(*) from mana_ai.runs group by 1')).rows));
    });
    const pool = new (await import('pg')).default.Pool({ connectionString: admin, max: 2 });
    try {
      const result = await checkIntegrity(pool, due);
      assert.deepEqual(result.problems, []);
      const oracle = await queueAndOracle(pool);
      assert.deepEqual(oracle, { queued: 0, changed: 0 });
      recordResult({
        scenario: '9b Postgres crash with a backlog',
        inputs: `${all.length} rows (${due.length} due missions, 20 users) captured, none folded; pg_ctl stop -m immediate`,
        outcome: `queue intact after recovery (${after} rows); ${due.length}/${due.length} done; rebuild changed ${oracle.changed}`,
        lost: result.lost,
        duplicated: result.duplicated,
      });
    } finally {
      await pool.end();
    }
    assert.equal(await terminate(listener), 0);
  });
});
