/**
 * `mana-ai tick` against a fresh database: runs mana_ai.tick() once as the admin and prints its stats.
 * The runner clock is moved past a mission's slot through the connection's `mana_ai.now` setting (the
 * clone allows the test clock), so the tick, not the trigger, is what enqueues it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SqlTickStats } from '../../../src/db/calls.js';
import { freshDatabase, type TestDb } from '../../support/db.js';
import { cli, inMinutes, syncMission } from './support.js';

describe('mana-ai tick', () => {
  let db: TestDb;
  let env: Record<string, string>;
  const later = inMinutes(120);

  before(async () => {
    db = await freshDatabase();
    await syncMission(db, 'u1', 'm1', { nextRunAt: inMinutes(60) });
    const url = new URL(db.adminUrl);
    url.searchParams.set('options', `-c mana_ai.now=${later}`);
    env = { MANA_AI_ADMIN_DATABASE_URL: url.toString() };
  });
  after(() => db?.drop());

  test('enqueues the mission whose slot passed and prints the stats', async () => {
    assert.equal((await db.admin.query(`select count(*)::int n from mana_ai.runs`)).rows[0].n, 0, 'not due at insert time');
    const { code, stdout, stderr } = await cli(['tick'], env);
    assert.equal(code, 0, stderr);
    assert.match(stdout, new RegExp(`^tick at ${later.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(stdout, /due missions\s+1/);
    assert.match(stdout, /enqueued\s+1/);
    assert.match(stdout, /errors\s+none/);
    const { rows } = await db.admin.query(`select mission_id, status from mana_ai.runs`);
    assert.deepEqual(rows, [{ mission_id: 'm1', status: 'queued' }]);
  });

  test('a second tick is a no-op for the same slot; --json prints the stats object', async () => {
    const { code, stdout } = await cli(['tick', '--json'], env);
    assert.equal(code, 0);
    const stats = JSON.parse(stdout) as SqlTickStats;
    assert.equal(stats.scannedAt, later);
    assert.equal(stats.dueMissionCount, 1);
    assert.equal(stats.enqueued, 0);
    assert.deepEqual(stats.errors, []);
    const { rows } = await db.admin.query(`select ticks from mana_ai_private.tick_state`);
    assert.equal(Number(rows[0].ticks), 2, 'both ticks were recorded');
  });
});
