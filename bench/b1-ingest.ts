/**
 * B1a / B1b: what the capture trigger costs the sync server's INSERTs (the fold runs after commit: B8).
 * The same INSERT … SELECT statements (1,000 rows each, built in SQL by bench.change_rows, each statement its own transaction)
 * run with the triggers on and off (`session_replication_role = replica` disables every ordinary
 * trigger for that session only) in alternating blocks on one database.
 *   B1a: every row an ai mission/agent change (5 % carrying the ~25 KB iterations array).
 *   B1b: the realistic mix — 10 % ai rows, the rest notes/todo/calendar changes.
 * Afterwards a profile pass with track_functions = all shows where the trigger's time goes.
 */
import { abba, fmt, median, now, ratio, table, type BenchResult, type Ctx } from './lib/common.js';
import { benchDatabase, connect, seedRecords } from './lib/data.js';

const SIZES = {
  smoke: { users: 20, missions: 200, pairs: 2, batches: 1, rows: 200, profileBatches: 1 },
  full: { users: 1000, missions: 20_000, pairs: 10, batches: 5, rows: 1000, profileBatches: 5 },
} as const;

const INSERT = `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
  select r.app_id, r.table_name, r.record_id, r.user_id, r.op, r.data, r.field_timestamps, 'bench-device'
    from bench.change_rows($1, 1, $2, $3, $4, $5) r`;

interface Side { ms: number[]; rows: number }

export async function runB1(ctx: Ctx): Promise<BenchResult[]> {
  const size = SIZES[ctx.scale];
  const db = await benchDatabase();
  const client = await connect(db.adminUrl);
  try {
    const t0 = now();
    await seedRecords(db, size.users, size.missions);
    ctx.log(`B1: seeded ${size.missions} missions and ${size.users} agents through the trigger in ${fmt((now() - t0) / 1000)} s`);
    let batchNo = 0;
    const batch = async (aiEvery: number) => {
      batchNo += 1;
      await client.query({ name: 'b1', text: INSERT, values: [batchNo, size.rows, size.missions, size.users, aiEvery] });
    };
    const setTriggers = (on: boolean) => client.query(`set session_replication_role = ${on ? 'origin' : 'replica'}`);

    const measure = async (aiEvery: number, label: string): Promise<{ on: Side; off: Side }> => {
      const on: Side = { ms: [], rows: 0 };
      const off: Side = { ms: [], rows: 0 };
      for (const side of [true, false]) {
        await setTriggers(side);
        await batch(aiEvery); // warm-up, not counted
      }
      for (let pair = 0; pair < size.pairs; pair += 1) {
        for (const which of abba(pair)) {
          const side = which === 'a' ? on : off;
          await setTriggers(which === 'a');
          const start = now();
          for (let b = 0; b < size.batches; b += 1) await batch(aiEvery);
          side.ms.push(now() - start);
          side.rows += size.batches * size.rows;
        }
        ctx.log(`${label}: pair ${pair + 1}/${size.pairs}: on ${fmt(on.ms.at(-1)!)} ms, off ${fmt(off.ms.at(-1)!)} ms`);
      }
      await setTriggers(true);
      return { on, off };
    };

    const profile = async (aiEvery: number): Promise<string[]> => {
      await setTriggers(true);
      await client.query(`set track_functions = 'all'`);
      await client.query('select pg_stat_reset()');
      const start = now();
      for (let b = 0; b < size.profileBatches; b += 1) await batch(aiEvery);
      const elapsed = now() - start;
      await client.query('select pg_stat_force_next_flush()');
      await client.query('select 1');
      await client.query(`set track_functions = 'none'`);
      const aiRows = (size.profileBatches * size.rows) / aiEvery;
      const { rows } = await client.query<{ fn: string; calls: string; self_ms: number; total_ms: number }>(
        `select schemaname || '.' || funcname as fn, calls, self_time as self_ms, total_time as total_ms
           from pg_stat_user_functions where schemaname in ('mana_ai', 'mana_ai_private')
          order by self_time desc limit 10`);
      const totalSelf = rows.reduce((s, r) => s + Number(r.self_ms), 0);
      return [
        `Profile (${size.profileBatches} more statements with the triggers on and \`track_functions = all\`, which itself adds ` +
          `overhead: ${fmt(elapsed)} ms for ${size.profileBatches * size.rows} rows, ${fmt(aiRows, 0)} of them ai rows). ` +
          `Top functions by self time, µs per ai row:`,
        '',
        ...table(['function', 'calls', 'self ms', 'self µs / ai row', 'total ms'],
          rows.map((r) => [`\`${r.fn}\``, r.calls, fmt(Number(r.self_ms)), fmt((Number(r.self_ms) * 1000) / aiRows),
            fmt(Number(r.total_ms))]), ['l', 'r', 'r', 'r', 'r']),
        '',
        `Self time in mana_ai functions: ${fmt(totalSelf)} ms = ${fmt((totalSelf * 1000) / aiRows)} µs per ai row.`,
      ];
    };

    const result = (id: string, what: string, target: number, aiEvery: number, m: { on: Side; off: Side }, prof: string[]): BenchResult => {
      const onTotal = m.on.ms.reduce((s, v) => s + v, 0);
      const offTotal = m.off.ms.reduce((s, v) => s + v, 0);
      const rateOn = (m.on.rows / onTotal) * 1000;
      const rateOff = (m.off.rows / offTotal) * 1000;
      const r = rateOn / rateOff;
      const pairRatios = m.on.ms.map((ms, i) => m.off.ms[i]! / ms);
      const perRowUs = ((onTotal - offTotal) * 1000) / m.on.rows;
      const perAiRowUs = perRowUs * aiEvery;
      return {
        id, what,
        product: `${fmt(rateOn)} rows/s`,
        comparison: `${fmt(rateOff)} rows/s`,
        ratio: ratio(r),
        target: `≥ ${target}×`,
        met: ctx.scale === 'full' ? r >= target : null,
        details: [
          `${m.on.rows.toLocaleString('en-US')} rows per side in ${size.batches * size.pairs * 2} blocks of ${size.batches} ` +
            `statements × ${size.rows} rows, alternating on/off (ABBA); ${size.missions.toLocaleString('en-US')} seeded missions ` +
            `of ${size.users.toLocaleString('en-US')} users are the records updated.`,
          '',
          ...table(['side', 'rows/s (total)', 'block ms, median (min–max)'], [
            ['triggers on', fmt(rateOn), `${fmt(median(m.on.ms))} (${fmt(Math.min(...m.on.ms))}–${fmt(Math.max(...m.on.ms))})`],
            ['triggers off', fmt(rateOff), `${fmt(median(m.off.ms))} (${fmt(Math.min(...m.off.ms))}–${fmt(Math.max(...m.off.ms))})`],
          ], ['l', 'r', 'r']),
          '',
          `Ratio per pair: median ${ratio(median(pairRatios))}, min ${ratio(Math.min(...pairRatios))}, max ${ratio(Math.max(...pairRatios))}. ` +
            `The trigger adds ${fmt(perRowUs)} µs per row` + (aiEvery > 1 ? ` (${fmt(perAiRowUs)} µs per ai row if all of it were theirs).` : '.'),
        ],
        profile: prof,
        followUp: aiEvery === 1 ? FOLLOW_UP_B1A : FOLLOW_UP_B1B,
      };
    };

    const a = await measure(1, 'B1a');
    const profA = await profile(1);
    const b = await measure(10, 'B1b');
    const profB = await profile(10);
    return [
      result('B1a', '`sync_changes` ingest, batches of 1,000 ai mission/agent changes (5 % with ~25 KB iterations)', 0.8, 1, a, profA),
      result('B1b', 'the same, realistic mix: 10 % ai rows, 90 % notes/todo/calendar', 0.95, 10, b, profB),
    ];
  } finally {
    await client.end().catch(() => undefined);
    await db.drop();
  }
}

const FOLLOW_UP_B1A = [
  'The sync transaction only captures (docs/architecture.md §3): per statement one INSERT … SELECT of the ai rows',
  'from the transition table into the queue (two index entries per row: the queue order and the record hash) and the',
  'wake-up test; the fold runs after commit (B8). What is left per ai row is the queue row itself and its WAL.',
  'Cheaper still would be no queue row at all (a partial index on the ai rows of sync_changes and a fold past a safe',
  'horizon; docs/architecture.md names it): it trades the table insert for index maintenance on the sync server\'s',
  'own table, and is sound only if no writer can set created_at into the past.',
];

const FOLLOW_UP_B1B = [
  'Rows of other apps never enter PL/pgSQL: they pay the row mark\'s WHEN and the transition table only (B5\'s',
  'diagnostic); the ai rows pay the capture (B1a) at 10 % of the rows.',
];
