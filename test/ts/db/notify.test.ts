/**
 * NOTIFY only when work can become due (docs/architecture.md, "Capture, then fold"): the capture
 * trigger notifies at most once per transaction, and only for rows that can make work due before the
 * next periodic fold; the fold and tick() notify once when they enqueued something and never when they
 * did not. Needs commits, so it lives here rather than in pgTAP.
 * "Nothing arrived" is proven with a sentinel: notifications reach a listener in commit order, so once
 * a NOTIFY sent after the action has arrived, every notification of the action has too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { freshDatabase, waitFor, type SyncRow, type TestDb } from '../../support/db.js';

const mission = (id: string, nextRunAt: string): SyncRow => ({
  userId: 'u1', table: 'aiMissions', recordId: id, op: 'insert',
  data: { title: id, objective: 'o', state: 'active', cadence: { kind: 'interval', everyMinutes: 5 }, nextRunAt, iterations: [],
          createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' },
});
const update = (table: string, id: string, data: Record<string, unknown>): SyncRow => ({
  userId: 'u1', table, recordId: id, op: 'update', data,
  fieldTimestamps: Object.fromEntries(Object.keys(data).map((k) => [k, '2026-02-01T00:00:00.000Z'])),
});
const CAPTURED = '{"event":"captured"}';
const DUE = '{"event":"due"}';

describe('NOTIFY mana_ai_runs', () => {
  let db: TestDb;
  let listener: pg.Client;
  const received: string[] = [];
  let sentinels = 0;

  /** Everything notified by transactions committed so far, then cleared. */
  const drainNotifications = async (): Promise<string[]> => {
    const tag = `sentinel-${(sentinels += 1)}`;
    await db.admin.query('select pg_notify($1, $2)', ['mana_ai_runs', tag]);
    await waitFor(async () => received.includes(tag));
    const got = received.splice(0, received.length).filter((p) => p !== tag);
    return got;
  };

  before(async () => {
    db = await freshDatabase();
    listener = new pg.Client({ connectionString: db.adminUrl });
    await listener.connect();
    listener.on('notification', (n) => received.push(n.payload ?? ''));
    await listener.query('listen mana_ai_runs');
  });
  after(async () => {
    await listener?.end();
    await db?.drop();
  });

  test('a tick with nothing due sends nothing', async () => {
    await db.admin.query('select mana_ai.tick()');
    assert.deepEqual(await drainNotifications(), []);
  });

  test('an insert that makes a mission due now: one capture notification for its transaction, one from the fold that enqueues', async () => {
    await db.sync([mission('due-now-1', '2020-01-01T00:00:00.000Z'), mission('due-now-2', '2020-01-01T00:00:00.000Z')], { fold: false });
    assert.deepEqual(await drainNotifications(), [CAPTURED], 'one notification for the transaction, JSON payload');
    assert.equal(await db.fold(), 2);
    assert.deepEqual(await drainNotifications(), [DUE], 'the fold enqueued both runs and notified once');
    const { rows } = await db.admin.query(`select count(*)::int as n from mana_ai.runs where status = 'queued'`);
    assert.equal(rows[0].n, 2, 'both runs were enqueued by the fold');
  });

  test('several wake-worthy statements in one transaction notify once', async () => {
    await db.sync([update('aiMissions', 'due-now-1', { state: 'paused' }), update('aiMissions', 'due-now-2', { state: 'paused' }),
                   update('agents', 'a1', { maxConcurrentMissions: 2 })], { fold: false });
    assert.deepEqual(await drainNotifications(), [CAPTURED]);
    await db.fold();
    assert.deepEqual(await drainNotifications(), []);
  });

  test('a title edit, an iterations update, a far nextRunAt or an agent rename wakes nobody', async () => {
    await db.sync(update('aiMissions', 'due-now-1', { title: 'renamed' }), { fold: false });
    await db.sync(update('aiMissions', 'due-now-1', { iterations: [{ id: 'i1', plan: [] }] }), { fold: false });
    await db.sync(update('aiMissions', 'due-now-1', { nextRunAt: '2099-01-01T00:00:00.000Z' }), { fold: false });
    await db.sync(update('agents', 'a1', { name: 'Renamed' }), { fold: false });
    await db.sync({ ...mission('note', '2020-01-01T00:00:00.000Z'), appId: 'notes', table: 'notes' }, { fold: false });
    assert.deepEqual(await drainNotifications(), []);
    assert.equal(await db.fold(), 4, 'the rows are captured all the same, for the periodic fold');
  });

  test('a rolled-back insert notifies nothing and leaves nothing captured', async () => {
    const c = await db.admin.connect();
    try {
      await c.query('begin');
      await c.query(`select set_config('app.current_user_id', 'u1', true)`);
      await c.query(`insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, client_id)
                     values ('ai', 'aiMissions', 'rolled-back', 'u1', 'insert', '{"state":"active"}', 'd')`);
      await c.query('rollback');
    } finally {
      c.release();
    }
    assert.deepEqual(await drainNotifications(), []);
    const { rows } = await db.admin.query('select count(*)::int as n from mana_ai_private.captured');
    assert.equal(rows[0].n, 0);
  });

  test('a tick that finds the runs already enqueued sends nothing', async () => {
    await db.admin.query('select mana_ai.tick()');
    assert.deepEqual(await drainNotifications(), []);
  });

  test('missions that become due by the passage of time: one notification from the tick that enqueues them', async () => {
    await db.sync([mission('later-1', '2099-01-01T00:00:00.000Z'), mission('later-2', '2099-01-01T00:00:00.000Z'),
                   mission('later-3', '2099-01-01T00:00:00.000Z')]);
    assert.deepEqual(await drainNotifications(), [], 'missions due in the future wake nobody');
    const client = await db.admin.connect();
    try {
      await client.query(`set mana_ai.now = '2099-01-01 00:00:01+00'`);
      const stats = (await client.query('select mana_ai.tick() as s')).rows[0].s;
      assert.equal(stats.enqueued, 3);
      await client.query('select mana_ai.tick()');
      await client.query('reset mana_ai.now');
    } finally {
      client.release();
    }
    assert.deepEqual(await drainNotifications(), [DUE], 'exactly one notification for three enqueued runs; none for the idle second tick');
  });
});
