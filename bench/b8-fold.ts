/**
 * B8: fold throughput. A backlog of captured ai rows (the B1a mix: every row an ai mission/agent change,
 * 5 % carrying the ~25 KB iterations array) is folded by mana_ai.fold() in batches of 1,000 from one
 * session, against the plain INSERT rate of the same generator with the triggers off (the sync server's
 * own cost of writing those rows). Then the cost per row against the batch size (1 … 1,000 rows per
 * fold call: the fold's fixed cost per call is shared by its batch), and the queue table's size and
 * dead tuples after everything was folded (no bloat).
 */
import { fmt, now, table, type BenchResult, type Ctx } from './lib/common.js';
import { benchDatabase, connect, seedRecords } from './lib/data.js';

const SIZES = {
  smoke: { users: 20, missions: 200, backlog: 2_000, curveRows: 200 },
  full: { users: 1000, missions: 20_000, backlog: 100_000, curveRows: 3_000 },
} as const;
const BATCH_SIZES = [1, 10, 100, 1000] as const;

const INSERT = `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
  select r.app_id, r.table_name, r.record_id, r.user_id, r.op, r.data, r.field_timestamps, 'bench-device'
    from bench.change_rows($1, 1, $2, $3, $4, 1) r`;

export async function runB8(ctx: Ctx): Promise<BenchResult[]> {
  const size = SIZES[ctx.scale];
  const db = await benchDatabase();
  const client = await connect(db.adminUrl);
  try {
    await seedRecords(db, size.users, size.missions);
    let batchNo = 0;
    /** Inserts `rows` ai rows in 1,000-row statements; resolves with the milliseconds taken. */
    const insert = async (rows: number, triggers: boolean): Promise<number> => {
      await client.query(`set session_replication_role = ${triggers ? 'origin' : 'replica'}`);
      const start = now();
      for (let done = 0; done < rows; done += 1000) {
        batchNo += 1;
        await client.query({ name: 'b8', text: INSERT, values: [batchNo, Math.min(1000, rows - done), size.missions, size.users] });
      }
      const ms = now() - start;
      await client.query('set session_replication_role = origin');
      return ms;
    };
    const fold = async (batch: number): Promise<{ rows: number; ms: number; calls: number }> => {
      let rows = 0;
      let calls = 0;
      const start = now();
      for (;;) {
        const { rows: r } = await client.query<{ n: number }>(`select (mana_ai.fold($1) ->> 'rows')::int as n`, [batch]);
        rows += r[0]!.n;
        calls += 1;
        if (r[0]!.n < batch) break;
      }
      return { rows, ms: now() - start, calls };
    };

    const captureMs = await insert(size.backlog, true);
    await client.query('vacuum (analyze) mana_ai_private.captured');
    const backlog = await fold(1000);
    ctx.log(`B8: ${backlog.rows} rows folded in ${fmt(backlog.ms / 1000, 2)} s`);

    const curve: string[][] = [];
    for (const batch of BATCH_SIZES) {
      await insert(size.curveRows, true);
      const r = await fold(batch);
      curve.push([String(batch), String(r.calls), fmt((r.ms * 1000) / Math.max(1, r.rows), 0), fmt(r.rows / (r.ms / 1000), 0)]);
    }
    await client.query('vacuum mana_ai_private.captured');
    const { rows: [stat] } = await client.query<{ live: string; dead: string; bytes: string; folded: string }>(
      `select n_live_tup as live, n_dead_tup as dead, pg_total_relation_size('mana_ai_private.captured') as bytes,
              (select count(*) from mana_ai_private.captured) as folded
         from pg_stat_user_tables where relid = 'mana_ai_private.captured'::regclass`);
    const { rows: [check] } = await client.query<{ r: { changed: number } }>(
      `select mana_ai_private.rebuild_projections() as r`);
    // last: rows written with the triggers off are never captured (rebuild above would count them)
    const plainMs = await insert(size.backlog, false);

    const foldRate = backlog.rows / (backlog.ms / 1000);
    const plainRate = size.backlog / (plainMs / 1000);
    const ratio = foldRate / plainRate;
    return [{
      id: 'B8',
      what: `fold throughput, a backlog of ${size.backlog.toLocaleString('en-US')} captured ai rows (5 % with ~25 KB iterations)`,
      product: `${fmt(foldRate, 0)} rows/s`,
      comparison: `${fmt(plainRate, 0)} rows/s (plain INSERT)`,
      ratio: `${fmt(ratio, 2)}×`,
      target: '≥ 0.5× the plain insert rate',
      met: ctx.scale === 'full' ? ratio >= 0.5 : null,
      details: [
        `${size.missions.toLocaleString('en-US')} seeded missions of ${size.users.toLocaleString('en-US')} users; the rows: bench.change_rows ` +
          'with every row an ai row (agent rename 10 %, iterations update 5 %, new mission 10 %, mission edit 75 %), 1,000 per ' +
          `statement. Plain INSERT (triggers off) ${fmt(plainMs / 1000, 2)} s; the same with the capture trigger ${fmt(captureMs / 1000, 2)} s ` +
          `(${fmt(plainMs / captureMs, 2)}×). One session folded the backlog with \`mana_ai.fold(1000)\` in ${backlog.calls} calls, ` +
          `${fmt(backlog.ms / 1000, 2)} s.`,
        '',
        `Cost per row against the batch size (${size.curveRows.toLocaleString('en-US')} fresh rows each):`,
        '',
        ...table(['rows per fold() call', 'calls', 'µs per row', 'rows/s'], curve, ['r', 'r', 'r', 'r']),
        '',
        `After everything was folded and a plain VACUUM: the queue holds ${stat!.folded} rows, pg_stat_user_tables counts ` +
          `${stat!.live} live / ${stat!.dead} dead tuples, ${fmt(Number(stat!.bytes) / 1024, 0)} kB with its indexes. ` +
          `rebuild_projections() afterwards: ${check!.r.changed} records changed (must be 0).`,
      ],
    }];
  } finally {
    await client.end().catch(() => undefined);
    await db.drop();
  }
}
