/**
 * Installing on a live Mana database, end to end (README, "Upgrading from the reference runner"): a
 * database laid out like a running deployment — the sync server's table made by its every-boot DDL as a
 * non-superuser owner, every change written by the sync server's own one-change-per-transaction INSERT,
 * the reference runner's schema (created as the superuser) with audit rows, missions some of them due —
 * then migrate once, the listener started: audit history intact and served with its ids and timestamps,
 * every due mission planned exactly once, the sync server's every-boot DDL still fine; then the way back
 * (`mana-ai detach`) and forward again (`mana-ai migrate`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { migrateDatabase } from '../../../src/db/migrate.js';
import { silentLogger } from '../../../src/log.js';
import { missionRow, agentRow, requestsFor } from '../../support/e2e-kit.js';
import { startFakeLlm, type FakeLlm } from '../../../src/dev/fake-llm.js';
import {
  clusterUrl, emptyLiveDatabase, ensureLoginRole, REFERENCE_AUDIT_ROWS_SQL, REFERENCE_LATER_SQL, REFERENCE_SCHEMA_SQL,
  SYNC_CHANGES_SHAPE_SQL, syncServerBoot, syncServerInsert, type DeviceChange, type LiveDb,
} from '../../support/live-db.js';
import { cli } from '../cli/support.js';

const SYNC_ROLE = 'mana_sync_takeover_e2e';
const LISTENER = 'mana_ai_test_listener'; // prepare-test-db.sh: LOGIN, member of mana_ai_runner
const FUTURE = '2099-01-01T00:00:00.000Z';

/** A sync_changes row from the e2e record builders, as a device change the sync server receives. */
const change = (row: ReturnType<typeof missionRow>): DeviceChange =>
  ({ userId: row.userId, table: row.table, recordId: row.recordId, op: row.op, data: row.data });

interface Running { app: App; base: string }

describe('drop-in replacement on a live Mana database', () => {
  let db: LiveDb;
  let llm: FakeLlm;
  let listener: Running | undefined;
  const admin = () => ({ MANA_AI_ADMIN_DATABASE_URL: db.url });

  /** The listener as deployed: the runner role, one tick at start (then none), audit bypass for user-a. */
  async function startListener(): Promise<Running> {
    const config = loadConfig({
      SYNC_DATABASE_URL: clusterUrl(LISTENER, db.name), MANA_LLM_URL: llm.url, MANA_SERVICE_KEY: 'svc-key', PORT: '0',
      TICK_ENABLED: 'true', TICK_INTERVAL_MS: '600000', MANA_LLM_TIMEOUT_MS: '5000', MANA_AI_TIMEZONE: 'Europe/Berlin',
      LOG_LEVEL: 'error', NODE_ENV: 'development', DEV_BYPASS_AUTH: 'true', DEV_USER_ID: 'user-a',
    });
    const app = createApp({ config, logger: silentLogger, version: '0.0.0-test', worker: 'takeover' });
    try {
      const { port } = await app.start();
      return { app, base: `http://127.0.0.1:${port}` };
    } catch (error) {
      await app.stop().catch(() => undefined);
      throw error;
    }
  }
  const runsOf = async (mission: string) =>
    db.query<{ status: string; attempts: number }>(`select status, attempts from mana_ai.runs where mission_id = $1 order by slot`, [mission]);
  async function waitDone(missions: string[], timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await db.query<{ mission_id: string }>(
        `select distinct mission_id from mana_ai.runs where status = 'done' and mission_id = any($1)`, [missions]);
      if (rows.length === missions.length) return;
      if (Date.now() > deadline) throw new Error(`not all of ${missions.join(', ')} done (done: ${rows.map((r) => r.mission_id).join(', ')})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const auditServed = async (base: string) =>
    ((await (await fetch(`${base}/api/v1/me/ai-audit`)).json()) as { rows: Array<{ id: string; ts: string; recordId: string }> }).rows;

  before(async () => {
    await ensureLoginRole(SYNC_ROLE);
    db = await emptyLiveDatabase('tke', SYNC_ROLE);
    llm = await startFakeLlm();
    // the deployment as it runs today: the sync server's table (its role owns it), the reference runner's
    // schema with audit rows, and the log with agents and missions
    await syncServerBoot(db.name, SYNC_ROLE);
    await db.query(REFERENCE_SCHEMA_SQL + REFERENCE_LATER_SQL + REFERENCE_AUDIT_ROWS_SQL);
    await syncServerInsert(db.name, SYNC_ROLE, [
      change(agentRow('user-a', 'ag-a', { maxConcurrentMissions: 5 })),
      change(missionRow('user-a', 'm-due', { agentId: 'ag-a' })),
      change(missionRow('user-a', 'm-due-2')),
      change(missionRow('user-b', 'm-b1')),
      change(missionRow('user-a', 'm-later', { nextRunAt: FUTURE })),
      change(missionRow('user-b', 'm-paused', { state: 'paused' })),
    ]);
  });
  after(async () => {
    await listener?.app.stop();
    await llm?.close();
    await db?.drop();
  });

  test('migrate once, listener started: audit history served, due missions planned once, sync server unaffected', async () => {
    const auditBefore = await db.query(`select id::text, ts from mana_ai.decrypt_audit where user_id = 'user-a' order by ts desc, id desc`);
    const shape = await db.query(SYNC_CHANGES_SHAPE_SQL);

    const r = await migrateDatabase({ databaseUrl: db.url, logger: silentLogger });
    assert.equal(r.adopted.decryptAudit, 4);
    assert.equal(r.createdSyncChanges, false);
    assert.ok(r.backfill.folded > 0 && !r.backfill.skipped, 'migrate backfilled the missions and agents already in the log');

    listener = await startListener();
    await waitDone(['m-due', 'm-due-2', 'm-b1']);
    for (const m of ['m-due', 'm-due-2', 'm-b1']) {
      assert.deepEqual(await runsOf(m), [{ status: 'done', attempts: 1 }], `${m}: one run, done`);
      assert.equal(requestsFor(llm, `Mission ${m}`).length, 1, `${m}: planned exactly once`);
    }
    for (const m of ['m-later', 'm-paused']) assert.deepEqual(await runsOf(m), [], `${m} is not due: no run`);

    const served = await auditServed(listener.base);
    assert.deepEqual(served.map((a) => ({ id: a.id, ts: a.ts })),
      auditBefore.map((a) => ({ id: a.id as string, ts: (a.ts as Date).toISOString() })),
      'the reference runner\'s audit rows, with their ids and timestamps, newest first');

    // the sync server boots again (every-boot DDL as its own non-superuser role) and pulls as it does
    await syncServerBoot(db.name, SYNC_ROLE);
    assert.deepEqual(await db.query(SYNC_CHANGES_SHAPE_SQL), shape, 'sync_changes as the sync server left it');
    const pulled = await pullAsSyncServer(db.name, 'user-a');
    assert.ok(pulled.some((p) => p.client_id === 'mana-ai-runner' && p.record_id === 'm-due'),
      'the sync server\'s pull sees the runner\'s write-back');
  });

  test('the way back: detach leaves log and audit; new changes reach nothing of the runner', async () => {
    await listener?.app.stop();
    listener = undefined;
    const counts = `select (select count(*)::int from public.sync_changes) as log, (select count(*)::int from mana_ai.decrypt_audit) as audit,
      (select count(*)::int from mana_ai.runs) as runs`;
    const [before] = await db.query(counts);
    const d = await cli(['detach', '--json'], admin());
    assert.equal(d.code, 0, d.stderr);
    assert.ok((JSON.parse(d.stdout) as { triggers: string[] }).triggers.length > 0);
    assert.deepEqual(await db.query(counts), [before], 'log, audit and ledger untouched');

    await syncServerBoot(db.name, SYNC_ROLE);
    await syncServerInsert(db.name, SYNC_ROLE, [change(missionRow('user-a', 'm-new'))]);
    assert.deepEqual(await db.query(`select 1 from mana_ai_private.projections where record_id = 'm-new'`), [],
      'detached: the new mission is not projected');
    const t = await cli(['tick', '--json'], admin());
    assert.equal(t.code, 0, t.stderr);
    assert.deepEqual(await runsOf('m-new'), []);
  });

  test('forward again: migrate re-attaches, the new mission is planned once, nothing earlier twice', async () => {
    const r = await migrateDatabase({ databaseUrl: db.url, logger: silentLogger });
    assert.equal(r.objectsChanged, true);
    assert.deepEqual(r.adopted, { decryptAudit: 0, tokenUsage: 0, researchJobs: 0 });
    assert.ok(r.backfill.folded > 0, 'migrate backfilled what was written while detached');

    listener = await startListener();
    await waitDone(['m-new']);
    assert.deepEqual(await runsOf('m-new'), [{ status: 'done', attempts: 1 }]);
    assert.equal(requestsFor(llm, 'Mission m-new').length, 1);
    for (const m of ['m-due', 'm-due-2', 'm-b1']) {
      assert.equal(requestsFor(llm, `Mission ${m}`).length, 1, `${m}: still planned only once`);
    }
    assert.deepEqual((await auditServed(listener.base)).map((a) => a.id), ['4', '2', '1'], 'the audit history is still served');
    await syncServerBoot(db.name, SYNC_ROLE);
  });
});

/** The sync server's pull: its role, the user's scope, `WHERE user_id = $1` and a cursor. */
async function pullAsSyncServer(database: string, userId: string): Promise<Array<{ record_id: string; client_id: string }>> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: clusterUrl(SYNC_ROLE, database) });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('app.current_user_id', $1, true)`, [userId]);
    const { rows } = await c.query<{ record_id: string; client_id: string }>(
      `SELECT record_id, client_id FROM sync_changes WHERE user_id = $1 AND created_at > $2 ORDER BY created_at LIMIT 1000`,
      [userId, '1970-01-01T00:00:00Z']);
    await c.query('COMMIT');
    return rows;
  } finally {
    await c.end();
  }
}
