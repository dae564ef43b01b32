/**
 * NOTIFY only when work becomes due: the trigger notifies in the transaction that made a mission due
 * now; tick() notifies once when it enqueued something and never when it did not. Needs commits, so
 * it lives here rather than in pgTAP.
 * Before each assertion, settle() sends a sentinel NOTIFY on the same channel and waits for it:
 * Postgres delivers notifications of different transactions in commit order, so once the sentinel
 * (committed after the action) has arrived, every notification the action sent has arrived too, and
 * "nothing was sent" is proven rather than waited for.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { freshDatabase, type TestDb } from '../../support/db.js';

const mission = (id: string, nextRunAt: string) => ({
  userId: 'u1', table: 'aiMissions', recordId: id, op: 'insert' as const,
  data: { title: id, objective: 'o', state: 'active', cadence: { kind: 'interval', everyMinutes: 5 }, nextRunAt, iterations: [],
          createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' },
});

describe('NOTIFY mana_ai_runs', { timeout: 30_000 }, () => {
  let db: TestDb;
  let listener: pg.Client;
  const received: string[] = [];
  const sentinels = new Map<string, () => void>();
  let sentinelSeq = 0;
  const settle = async () => {
    const token = `sentinel:${++sentinelSeq}`;
    const arrived = new Promise<void>((resolve) => sentinels.set(token, resolve));
    await db.admin.query(`select pg_notify('mana_ai_runs', $1)`, [token]);
    await arrived;
    sentinels.delete(token);
  };

  before(async () => {
    db = await freshDatabase();
    listener = new pg.Client({ connectionString: db.adminUrl });
    await listener.connect();
    listener.on('notification', (n) => {
      const payload = n.payload ?? '';
      const sentinel = sentinels.get(payload);
      if (sentinel) sentinel();
      else received.push(payload);
    });
    await listener.query('listen mana_ai_runs');
  });
  after(async () => {
    await listener?.end();
    await db?.drop();
  });

  test('a tick with nothing due sends nothing', async () => {
    await db.admin.query('select mana_ai.tick()');
    await settle();
    assert.deepEqual(received, []);
  });

  test('an insert that makes a mission due now notifies once, in its own transaction', async () => {
    await db.sync([mission('due-now-1', '2020-01-01T00:00:00.000Z'), mission('due-now-2', '2020-01-01T00:00:00.000Z')]);
    await settle();
    assert.deepEqual(received, ['{"event":"due"}'], 'one notification for the statement, JSON payload');
    const { rows } = await db.admin.query(`select count(*)::int as n from mana_ai.runs where status = 'queued'`);
    assert.equal(rows[0].n, 2, 'both runs were enqueued by the trigger');
  });

  test('a tick that finds them already enqueued sends nothing', async () => {
    received.length = 0;
    await db.admin.query('select mana_ai.tick()');
    await settle();
    assert.deepEqual(received, []);
  });

  test('missions that become due by the passage of time: one notification from the tick that enqueues them', async () => {
    await db.sync([mission('later-1', '2099-01-01T00:00:00.000Z'), mission('later-2', '2099-01-01T00:00:00.000Z'),
                   mission('later-3', '2099-01-01T00:00:00.000Z')]);
    await settle();
    received.length = 0;
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
    await settle();
    assert.deepEqual(received, ['{"event":"due"}'], 'exactly one notification for three enqueued runs; none for the idle second tick');
  });
});
