/**
 * Several folders at once (docs/architecture.md §3): listeners, tick() and POST /internal/tick may all
 * call the fold while the sync server keeps writing. Four folding sessions with random batch sizes, one
 * of them also running tick(), and record-level folds from claims, against three writers of the same
 * missions and agents: no error (no deadlock), no row folded twice or skipped (the queue ends empty and
 * every captured row is accounted for exactly once), the projection equals a rebuild from the log, and
 * every due slot has exactly one run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, type TestDb } from '../../support/db.js';

const USERS = 4;
const MISSIONS = 12;
const PAST = '2024-01-01T00:00:00.000Z';

describe('concurrent folders', () => {
  let db: TestDb;
  before(async () => { db = await freshDatabase(); });
  after(async () => { await db?.drop(); });

  test('4 folders, tick() and claims against 3 writers: no deadlock, nothing folded twice or skipped, rebuild changes 0', async () => {
    let writing = true;
    const errors: string[] = [];
    let foldedRows = 0;
    const writer = async (w: number) => {
      for (let i = 0; i < 60; i += 1) {
        const rows = [];
        for (let k = 0; k < 1 + ((i * 7 + w) % 9); k += 1) {
          const u = (i + k + w) % USERS;
          const m = (i * 3 + k + w) % MISSIONS;
          const stamp = new Date(Date.UTC(2025, 0, 1, 0, 0, i * 3 + w)).toISOString();
          rows.push(k % 4 === 3
            ? { userId: `fc-u${u}`, table: 'agents', recordId: `fc-a${u}`, op: 'update' as const,
                data: { name: `A ${i}-${w}`, state: i % 5 === 0 ? 'paused' : 'active' }, fieldTimestamps: { name: stamp, state: stamp } }
            : i < 2 && k === 0
              ? { userId: `fc-u${u}`, table: 'aiMissions', recordId: `fc-m${u}-${m}`, op: 'insert' as const,
                  data: { title: 't', state: 'active', agentId: `fc-a${u}`, cadence: { kind: 'interval', everyMinutes: 60 },
                          nextRunAt: PAST, iterations: [] } }
              : { userId: `fc-u${u}`, table: 'aiMissions', recordId: `fc-m${u}-${m}`, op: 'update' as const,
                  data: { title: `T ${i}-${w}`, nextRunAt: i % 7 === 0 ? PAST : '2099-01-01T00:00:00.000Z' },
                  fieldTimestamps: { title: stamp, nextRunAt: stamp } });
        }
        await db.sync(rows, { fold: false }).catch((e: Error) => errors.push(`writer ${w}: ${e.message}`));
      }
    };
    const folder = async (f: number) => {
      let i = 0;
      while (writing || (await db.admin.query('select count(*)::int as n from mana_ai_private.captured')).rows[0].n > 0) {
        i += 1;
        try {
          const sql = f === 0 && i % 5 === 0 ? `select (mana_ai.tick() ->> 'folded')::int as n`
            : f === 1 && i % 3 === 0 ? `select count(*)::int * 0 as n from mana_ai.claim_and_load_runs('fc-w', 2, 600000)`
              : `select (mana_ai.fold(${1 + ((i * 13 + f * 7) % 40)}) ->> 'rows')::int as n`;
          foldedRows += (await db.admin.query<{ n: number }>(sql)).rows[0]!.n;
        } catch (e) {
          errors.push(`folder ${f}: ${(e as Error).message}`);
        }
      }
    };
    const { rows: [c0] } = await db.admin.query<{ n: number }>(`select coalesce(sum(value), 0)::int as n from mana_ai.read_counters() where name = 'fold_rows'`);
    const writers = Promise.all([0, 1, 2].map(writer)).finally(() => { writing = false; });
    await Promise.all([writers, ...[0, 1, 2, 3].map(folder)]);
    assert.deepEqual(errors, [], 'no deadlock, no error in any session');

    const { rows: [q] } = await db.admin.query('select count(*)::int as n from mana_ai_private.captured');
    assert.equal(q.n, 0, 'the queue is empty');
    const { rows: [logged] } = await db.admin.query(`select count(*)::int as n from public.sync_changes where user_id like 'fc-%'`);
    const { rows: [c1] } = await db.admin.query<{ n: number }>(`select coalesce(sum(value), 0)::int as n from mana_ai.read_counters() where name = 'fold_rows'`);
    // fold() and tick() count their rows; the claims' record-level folds are not counted there, so the
    // counted rows plus those can only add up to the log when no row was taken twice
    assert.ok(c1.n - c0.n <= logged.n, `folded ${c1.n - c0.n} counted rows for ${logged.n} logged rows: none twice`);
    assert.ok(foldedRows <= logged.n);
    const { rows: [rb] } = await db.admin.query(`select mana_ai_private.rebuild_projections() as r`);
    assert.equal(rb.r.changed, 0, 'the projection equals a rebuild from the log');
    const { rows: dup } = await db.admin.query(
      `select user_id, mission_id, slot, count(*) from mana_ai.runs group by 1, 2, 3 having count(*) > 1`);
    assert.deepEqual(dup, [], 'one run per slot');
  });
});
