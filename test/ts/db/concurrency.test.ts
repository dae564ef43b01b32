/**
 * Races that need real concurrent transactions: claims under SKIP LOCKED, a late-committing sync
 * transaction (KI-7), and two writers touching the same missions in opposite orders (no deadlock).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { freshDatabase, type TestDb } from '../../support/db.js';

describe('concurrent transactions', () => {
  let db: TestDb;
  let runner: pg.Pool;
  before(async () => {
    db = await freshDatabase();
    runner = new pg.Pool({ connectionString: db.runnerUrl, max: 4 });
    runner.on('error', () => undefined); // idle clients are terminated when the database is dropped
  });
  after(async () => {
    await runner?.end();
    await db?.drop();
  });

  const insertSql = `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
                     values ('ai', 'aiMissions', $1, $2, $3, $4, $5, 'race')`;

  test('two listeners claiming at once never get the same run', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({
      userId: `cu${i % 4}`, table: 'aiMissions', recordId: `claim-${i}`, op: 'insert' as const,
      data: { state: 'active', cadence: { kind: 'manual' }, nextRunAt: '2020-01-01T00:00:00.000Z' },
    }));
    await db.sync(rows);
    const [a, b] = await Promise.all([
      runner.query(`select run_id from mana_ai.claim_runs('a', 15, 60000)`),
      runner.query(`select run_id from mana_ai.claim_runs('b', 15, 60000)`),
    ]);
    const ids = [...a.rows, ...b.rows].map((r) => r.run_id);
    assert.equal(ids.length, 20);
    assert.equal(new Set(ids).size, 20);
  });

  test('a transaction that started first but commits last is folded exactly (KI-7)', async () => {
    await db.sync({ userId: 'lu', table: 'aiMissions', recordId: 'late', op: 'insert',
                    data: { title: 'start', state: 'paused', cadence: { kind: 'manual' }, updatedAt: '2026-01-01T00:00:00.000Z' } });
    const early = await db.admin.connect();
    const lateWriter = await db.admin.connect();
    try {
      await early.query('begin');
      await early.query(`select set_config('app.current_user_id', 'lu', true)`);
      await early.query('select now()'); // fixes the early transaction's created_at
      await new Promise((resolve) => setTimeout(resolve, 20));
      await lateWriter.query('begin');
      await lateWriter.query(`select set_config('app.current_user_id', 'lu', true)`);
      await lateWriter.query(insertSql, ['late', 'lu', 'update', { title: 'older stamp, newer row' }, { title: '2026-02-01T00:00:00.000Z' }]);
      await lateWriter.query('commit');
      // the early transaction now writes a newer stamp with an older created_at
      await early.query(insertSql, ['late', 'lu', 'update', { title: 'newest stamp, older row' }, { title: '2026-03-01T00:00:00.000Z' }]);
      await early.query('commit');
    } finally {
      early.release();
      lateWriter.release();
    }
    await db.fold();
    const { rows } = await db.admin.query(`select mana_ai_private.record_json('lu', 'aiMissions', 'late') ->> 'title' as title`);
    assert.equal(rows[0].title, 'newest stamp, older row', 'the newest stamp wins whatever the commit order');
    const rebuilt = await db.admin.query(`select mana_ai_private.rebuild_projections(array['lu']) as r`);
    assert.equal(rebuilt.rows[0].r.changed, 0, 'the incremental projection equals a rebuild from the log');
  });

  test('two writers updating the same missions in opposite orders do not deadlock', async () => {
    await db.sync(['d1', 'd2', 'd3'].map((id) => ({ userId: 'du', table: 'aiMissions', recordId: id, op: 'insert' as const,
      data: { state: 'paused', cadence: { kind: 'manual' } } })));
    const write = async (order: string[], stamp: string) => {
      const c = await db.admin.connect();
      try {
        await c.query('begin');
        await c.query(`select set_config('app.current_user_id', 'du', true)`);
        for (const id of order) {
          await c.query(insertSql, [id, 'du', 'update', { title: stamp }, { title: stamp }]);
          await new Promise((resolve) => setTimeout(resolve, 30));
        }
        await c.query('commit');
      } catch (error) {
        await c.query('rollback');
        throw error;
      } finally {
        c.release();
      }
    };
    // one statement per row: the second statement of each writer waits for the other's first lock
    const results = await Promise.allSettled([
      write(['d1', 'd2', 'd3'], '2026-05-01T00:00:00.000Z'),
      write(['d3', 'd2', 'd1'], '2026-05-02T00:00:00.000Z'),
    ]);
    // The sync transaction only appends to the capture queue, so writers of the same records share no
    // row of ours and never wait on each other, whatever their order (the in-transaction fold locked
    // projection rows, and row-by-row writers in opposite orders could deadlock there).
    assert.deepEqual(results.map((r) => (r.status === 'rejected' ? String(r.reason) : r.status)), ['fulfilled', 'fulfilled']);
    const oneStatement = async (order: string[], value: string, stamp: string) => {
      const c = await db.admin.connect();
      try {
        await c.query('begin');
        await c.query(`select set_config('app.current_user_id', 'du', true)`);
        // one multi-row INSERT, rows deliberately in the given order
        await c.query(
          `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
           select 'ai', 'aiMissions', id, 'du', 'update', jsonb_build_object('title', $2::text), jsonb_build_object('title', $3::text), 'race'
             from unnest($1::text[]) with ordinality as u(id, n) order by n`,
          [order, value, stamp]);
        await new Promise((resolve) => setTimeout(resolve, 50)); // hold the locks a while
        await c.query('commit');
      } finally {
        c.release();
      }
    };
    const multi = await Promise.allSettled([
      oneStatement(['d1', 'd2', 'd3'], 'a', '2026-06-01T00:00:00.000Z'),
      oneStatement(['d3', 'd2', 'd1'], 'b', '2026-06-02T00:00:00.000Z'),
    ]);
    assert.deepEqual(multi.map((r) => (r.status === 'rejected' ? String(r.reason) : r.status)), ['fulfilled', 'fulfilled']);
    await db.fold();
    const rebuilt = await db.admin.query(`select mana_ai_private.rebuild_projections(array['du']) as r`);
    assert.equal(rebuilt.rows[0].r.changed, 0);
  });
});
