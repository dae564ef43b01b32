/**
 * B10: the backfill of `mana-ai migrate` on a live Mana database. A log written before the runner was
 * installed (the triggers off, as the sync server writes before migrate): `rows` rows of the realistic
 * mix (10 % ai mission/agent changes, 5 % of those with the ~25 KB iterations array; the rest
 * notes/todo/calendar), 1,000 per statement. Then the real backfill (src/db/backfill.ts: queue what the
 * projection has not seen, fold it in batches of 1,000) from one admin session, timed end to end.
 */
import { backfill } from '../src/db/backfill.js';
import { silentLogger } from '../src/log.js';
import { fmt, now, type BenchResult, type Ctx } from './lib/common.js';
import { benchDatabase, connect } from './lib/data.js';

const SIZES = {
  smoke: { rows: 20_000, missions: 2_000, users: 200 },
  full: { rows: 1_000_000, missions: 50_000, users: 5_000 },
} as const;

export async function runB10(ctx: Ctx): Promise<BenchResult[]> {
  const size = SIZES[ctx.scale];
  const db = await benchDatabase();
  const client = await connect(db.adminUrl);
  try {
    const t0 = now();
    await client.query('set session_replication_role = replica');
    for (let first = 0, batch = 1; first < size.rows; first += 1000, batch += 1) {
      await client.query(
        `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
         select r.app_id, r.table_name, r.record_id, r.user_id, r.op, r.data, r.field_timestamps, 'bench-log'
           from bench.change_rows($1, $2, 1000, $3, $4, 10) r`, [batch, first + 1, size.missions, size.users]);
    }
    await client.query('set session_replication_role = origin');
    await client.query('vacuum (analyze) public.sync_changes');
    const { rows: [log] } = await client.query<{ all: number; ai: number }>(
      `select count(*)::int as all, count(*) filter (where app_id = 'ai')::int as ai from public.sync_changes`);
    ctx.log(`B10: log of ${log!.all} rows (${log!.ai} ai) written in ${fmt((now() - t0) / 1000, 1)} s`);

    const lines: string[] = [];
    const start = now();
    const r = await backfill(client, { logger: silentLogger, progress: (l) => { lines.push(l); ctx.log(`B10: ${l}`); }, progressEveryMs: 5_000 });
    const seconds = (now() - start) / 1000;
    const { rows: [check] } = await client.query<{ r: { changed: number; records: number } }>(
      'select mana_ai_private.rebuild_projections() as r');
    const rate = r.folded / seconds;
    return [{
      id: 'B10',
      what: `backfill at migrate: a log of ${log!.all.toLocaleString('en-US')} rows (${fmt((log!.ai / log!.all) * 100, 0)} % ai) never projected`,
      product: `${fmt(rate, 0)} ai rows/s`,
      comparison: '—',
      ratio: `${fmt(seconds, 1)} s for ${r.folded.toLocaleString('en-US')} ai rows (${fmt(log!.all / seconds, 0)} log rows/s)`,
      target: 'reported (no target)',
      met: null,
      details: [
        `One admin session ran src/db/backfill.ts: \`backfill_capture()\` queued ${r.total.toLocaleString('en-US')} rows, then ` +
          `\`mana_ai.fold(1000)\` until the queue was empty (${r.folded.toLocaleString('en-US')} rows), ${fmt(seconds, 1)} s in all. ` +
          `rebuild_projections() afterwards: ${check!.r.changed} of ${check!.r.records.toLocaleString('en-US')} records changed (must be 0).`,
        '',
        'Progress lines as migrate prints them on stderr:',
        '',
        ...lines.map((l) => `    ${l}`),
      ],
    }];
  } finally {
    await client.end().catch(() => undefined);
    await db.drop();
  }
}
