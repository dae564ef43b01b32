/**
 * http/adapters.ts against a real database as the listener role: the audit reader returns the
 * caller's rows in wire shape, the health probe reports the last tick's age and an unreachable
 * database without throwing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createCalls } from '../../../src/db/calls.js';
import { createAuditReader, createHealthProbe } from '../../../src/http/adapters.js';
import { freshDatabase, type TestDb } from '../../support/db.js';

describe('http adapters', () => {
  let db: TestDb;
  let pool: pg.Pool;
  before(async () => {
    db = await freshDatabase();
    pool = new pg.Pool({ connectionString: db.runnerUrl, max: 2 });
  });
  after(async () => {
    await pool.end();
    await db.drop();
  });

  test('the audit reader: only the given user\'s rows, newest first, in wire shape', async () => {
    await db.admin.query(`insert into mana_ai.decrypt_audit (user_id, mission_id, iteration_id, table_name, record_id, status, reason, ts)
      values ('u1', 'm1', 'it1', 'notes', 'n1', 'ok', null, '2024-01-01T00:00:00Z'),
             ('u1', 'm1', null, 'tasks', 't1', 'failed', 'decrypt-failed', '2024-01-02T00:00:00Z'),
             ('u2', 'm2', 'it2', 'notes', 'secret', 'ok', null, '2024-01-03T00:00:00Z')`);
    const rows = await createAuditReader(createCalls(pool))('u1', null, 10);
    assert.deepEqual(rows.map((r) => ({ ...r, id: typeof r.id, ts: new Date(r.ts).toISOString() })), [
      { id: 'string', missionId: 'm1', iterationId: null, tableName: 'tasks', recordId: 't1', status: 'failed', reason: 'decrypt-failed', ts: '2024-01-02T00:00:00.000Z' },
      { id: 'string', missionId: 'm1', iterationId: 'it1', tableName: 'notes', recordId: 'n1', status: 'ok', reason: null, ts: '2024-01-01T00:00:00.000Z' },
    ]);
  });

  test('the health probe: no tick yet, then the age of the last one; the sources as given', async () => {
    const calls = createCalls(pool);
    let running = true;
    const probe = createHealthProbe({ calls, listenerState: () => 'connected', tickEnabled: true, tickRunning: () => running });
    assert.deepEqual(await probe(), { db: 'ok', listener: 'connected', lastTickAgeSeconds: null, tick: { enabled: true, running: true } });
    await pool.query('select mana_ai.tick()');
    const tickedAt = Date.parse((await calls.runtimeSettings()).lastTickAt!);
    running = false;
    const later = createHealthProbe({ calls, listenerState: () => 'reconnecting', tickEnabled: true, tickRunning: () => running,
      now: () => tickedAt + 90_000 });
    assert.deepEqual(await later(), { db: 'ok', listener: 'reconnecting', lastTickAgeSeconds: 90, tick: { enabled: true, running: false } });
  });

  test('an unreachable database is reported, not thrown', async () => {
    const gone = new pg.Pool({ connectionString: db.runnerUrl.replace(/\?host=[^&]*/, '?host=/nonexistent-socket-dir'), max: 1 });
    try {
      const probe = createHealthProbe({ calls: createCalls(gone), listenerState: () => 'reconnecting', tickEnabled: false, tickRunning: () => false });
      assert.equal((await probe()).db, 'unreachable');
    } finally {
      await gone.end();
    }
  });
});
