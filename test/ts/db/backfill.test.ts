/**
 * The backfill at the end of `mana-ai migrate` (src/db/backfill.ts, backfill_capture): rows already in
 * the log when the runner is installed — written here with the triggers off, as a sync server writes
 * before the runner exists — are queued and folded in batches with progress lines; due missions are
 * enqueued once; a second migrate finds nothing; an interrupted backfill is finished by the next one;
 * an admin that cannot read every user's rows skips it and says why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { backfill } from '../../../src/db/backfill.js';
import { migrateDatabase } from '../../../src/db/migrate.js';
import { createLogger } from '../../../src/log.js';
import { freshDatabase, type TestDb } from '../../support/db.js';

const PAST = '2024-01-01T00:00:00.000Z';
const FUTURE = '2099-01-01T00:00:00.000Z';

function collector() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) }) };
}

/** Writes `n` missions (every third due now, every fifth of those paused later) of 7 users with the triggers off. */
async function writeLogWithoutRunner(db: TestDb, prefix: string, n: number): Promise<{ due: string[] }> {
  const c = await db.admin.connect();
  const due: string[] = [];
  try {
    await c.query('set session_replication_role = replica');
    for (let i = 0; i < n; i += 1) {
      const user = `${prefix}u${i % 7}`;
      const id = `${prefix}${i}`;
      const isDue = i % 3 === 0;
      const paused = isDue && i % 5 === 0;
      await c.query(
        `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, created_at)
         values ('ai', 'aiMissions', $1, $2, 'insert', $3, '{}', 'device', now() - interval '1 day' + $4 * interval '1 ms')`,
        [id, user, JSON.stringify({ id, title: `Mission ${id}`, objective: 'o', state: 'active',
          cadence: { kind: 'interval', everyMinutes: 60 }, nextRunAt: isDue ? PAST : FUTURE, iterations: [],
          createdAt: PAST, updatedAt: PAST }), i]);
      if (paused) {
        await c.query(
          `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, created_at)
           values ('ai', 'aiMissions', $1, $2, 'update', '{"state":"paused"}', '{"state":"2024-02-01T00:00:00.000Z"}', 'device',
                   now() - interval '1 hour' + $3 * interval '1 ms')`, [id, user, i]);
      } else if (isDue) {
        due.push(id);
      }
      await c.query(`insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, client_id)
                     values ('notes', 'notes', $1, $2, 'insert', '{"title":"n"}', 'device')`, [`note-${id}`, user]);
    }
  } finally {
    await c.query('set session_replication_role = origin');
    c.release();
  }
  return { due };
}

describe('backfill at the end of migrate', () => {
  let db: TestDb;
  before(async () => { db = await freshDatabase(); });
  after(async () => { await db?.drop(); });

  const runsOf = async (prefix: string) => (await db.admin.query<{ mission_id: string; n: number }>(
    `select mission_id, count(*)::int as n from mana_ai.runs where user_id like $1 group by 1 order by 1`, [`${prefix}%`])).rows;

  test('a log written before the runner existed is projected, due missions are enqueued once, with progress', async () => {
    const { due } = await writeLogWithoutRunner(db, 'bf', 60);
    const { rows: [before] } = await db.admin.query('select count(*)::int as n from mana_ai_private.projections');
    assert.equal(before.n, 0, 'nothing projected yet');
    const progress: string[] = [];
    const log = collector();
    const r = await migrateDatabase({ databaseUrl: db.adminUrl, logger: log.logger, progress: (l) => progress.push(l) });
    assert.equal(r.backfill.skipped, false);
    assert.equal(r.backfill.total, 64, '60 inserts and 4 pause updates');
    assert.equal(r.backfill.folded, 64);
    assert.equal(progress[0], 'backfill: 64 rows to fold');
    assert.match(progress.at(-1)!, /^backfill: 64 \/ 64 rows \(100 %\), [\d,]+ rows\/s, done$/);
    const { rows: [p] } = await db.admin.query(`select count(*)::int as n from mana_ai_private.projections where user_id like 'bf%'`);
    assert.equal(p.n, 60);
    const { rows: [rb] } = await db.admin.query('select mana_ai_private.rebuild_projections() as r');
    assert.equal(rb.r.changed, 0, 'the backfilled projection equals a rebuild from the log');
    assert.deepEqual((await runsOf('bf')).map((x) => x.mission_id).sort(), [...due].sort(), 'every due, active mission has a run; paused ones none');
    assert.ok((await runsOf('bf')).every((x) => x.n === 1), 'one run each');
  });

  test('a second migrate finds nothing to backfill', async () => {
    const progress: string[] = [];
    const r = await migrateDatabase({ databaseUrl: db.adminUrl, logger: collector().logger, progress: (l) => progress.push(l) });
    assert.deepEqual({ total: r.backfill.total, folded: r.backfill.folded }, { total: 0, folded: 0 });
    assert.deepEqual(progress, []);
    assert.ok((await runsOf('bf')).every((x) => x.n === 1), 'still one run per due slot');
  });

  test('an interrupted backfill (queued, partly folded) is finished by the next migrate, exactly once', async () => {
    const { due } = await writeLogWithoutRunner(db, 'bk', 30);
    // what a kill -9 after queueing and a few committed batches leaves behind
    await db.admin.query('select mana_ai_private.backfill_capture()');
    await db.admin.query('select mana_ai.fold(5)');
    await db.admin.query('select mana_ai.fold(5)');
    const { rows: [left] } = await db.admin.query('select count(*)::int as n from mana_ai_private.captured');
    assert.equal(left.n, 32 - 10, '30 inserts and 2 pause updates, 10 folded');
    const r = await migrateDatabase({ databaseUrl: db.adminUrl, logger: collector().logger });
    assert.equal(r.backfill.total, 22, 'the rows left queued, none queued twice');
    const { rows: [rb] } = await db.admin.query('select mana_ai_private.rebuild_projections() as r');
    assert.equal(rb.r.changed, 0);
    // a batch may have folded a mission's insert before its pause: that run is never claimable, and
    // the next tick supersedes it
    await db.admin.query('select mana_ai.tick()');
    const { rows: live } = await db.admin.query<{ mission_id: string; n: number }>(
      `select mission_id, count(*)::int as n from mana_ai.runs where user_id like 'bk%' and status <> 'superseded' group by 1`);
    assert.deepEqual(live.map((x) => x.mission_id).sort(), [...due].sort(), 'one live run per due, active mission');
    assert.ok(live.every((x) => x.n === 1));
  });

  test('rows newer than what a projection folded (written while the runner was removed) are backfilled', async () => {
    const c = await db.admin.connect();
    try {
      await c.query('set session_replication_role = replica');
      await c.query(`insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
                     values ('ai', 'aiMissions', 'bf1', 'bfu1', 'update', '{"title":"while away"}', '{"title":"2030-01-01T00:00:00.000Z"}', 'device')`);
      await c.query('set session_replication_role = origin');
    } finally {
      c.release();
    }
    const r = await migrateDatabase({ databaseUrl: db.adminUrl, logger: collector().logger });
    assert.equal(r.backfill.folded, 1);
    const { rows: [m] } = await db.admin.query(`select mana_ai_private.record_json('bfu1', 'aiMissions', 'bf1') ->> 'title' as t`);
    assert.equal(m.t, 'while away');
  });

  test('an admin that cannot read every user\'s rows skips the backfill and says why', async () => {
    await db.admin.query(`do $$ begin
      if not exists (select from pg_roles where rolname = 'mana_ai_test_owner_only') then
        create role mana_ai_test_owner_only login in role mana_ai_owner;
      end if; end $$`);
    const url = db.adminUrl.replace(/^postgresql:\/\/[^@]+@/, 'postgresql://mana_ai_test_owner_only@');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const log = collector();
      const r = await backfill(client, { logger: log.logger });
      assert.equal(r.skipped, true);
      assert.ok(log.lines.some((l) => l.level === 'warn' && String(l.msg).includes('needs superuser or BYPASSRLS')));
    } finally {
      await client.end();
    }
  });
});
