/**
 * B5: ordinary sync traffic — pgbench with 8 and 32 clients, one-row transactions of the realistic mix
 * (bench/pgbench/sync-mix.sql: 10 % ai rows, none becoming due) — with the triggers on and off
 * (PGOPTIONS='-c session_replication_role=replica' for the off runs), alternating ABBA per client
 * count. Reports the tps loss.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { abba, fmt, median, now, sleep, table, type BenchResult, type Ctx, type Scale } from './lib/common.js';
import { benchDatabase, seedRecords, type TestDb } from './lib/data.js';

const SIZES = {
  smoke: { users: 20, missions: 200, pairs: 1, seconds: 1 },
  full: { users: 1000, missions: 20_000, pairs: 3, seconds: 10 },
} as const;
const CLIENTS = [8, 32] as const;
type Size = (typeof SIZES)[Scale];

interface PgbenchRun { tps: number; latencyMs: number; failed: number }

interface PgbenchOptions { clients: number; seconds: number; triggers: boolean; aiShare?: number; trackFunctions?: boolean }

function pgbench(ctx: Ctx, db: TestDb, size: { users: number; missions: number }, o: PgbenchOptions): Promise<PgbenchRun> {
  const args = ['-n', '-M', 'prepared', '-c', String(o.clients), '-j', '2', '-T', String(o.seconds),
    '-f', join(ctx.root, 'bench/pgbench/sync-mix.sql'), '-D', `missions=${size.missions}`, '-D', `users=${size.users}`,
    '-D', `aishare=${o.aiShare ?? 10}`, db.name];
  const options = [o.triggers ? '' : '-c session_replication_role=replica', o.trackFunctions ? '-c track_functions=all' : ''].filter(Boolean);
  const env = { ...process.env, ...(options.length > 0 ? { PGOPTIONS: options.join(' ') } : {}) };
  return new Promise((resolve, reject) => {
    const child = spawn('pgbench', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? Number.NaN);
      const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? Number.NaN);
      const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
      if (code !== 0 || !Number.isFinite(tps)) reject(new Error(`pgbench exited with ${code}: ${out.slice(-800)}`));
      else resolve({ tps, latencyMs, failed });
    });
  });
}

export async function runB5(ctx: Ctx): Promise<BenchResult[]> {
  const size = SIZES[ctx.scale];
  const db = await benchDatabase();
  try {
    await seedRecords(db, size.users, size.missions);
    const rows: string[][] = [];
    const losses: number[] = [];
    const worst: { clients: number; loss: number }[] = [];
    const t0 = now();
    for (const clients of CLIENTS) {
      await pgbench(ctx, db, size, { clients, seconds: 1, triggers: true }); // warm-up
      const on: PgbenchRun[] = [];
      const off: PgbenchRun[] = [];
      for (let pair = 0; pair < size.pairs; pair += 1) {
        for (const side of abba(pair)) {
          const r = await pgbench(ctx, db, size, { clients, seconds: size.seconds, triggers: side === 'a' });
          (side === 'a' ? on : off).push(r);
        }
        ctx.log(`B5: ${clients} clients, pair ${pair + 1}/${size.pairs}: on ${fmt(on.at(-1)!.tps)} tps, off ${fmt(off.at(-1)!.tps)} tps`);
      }
      const tpsOn = on.reduce((s, r) => s + r.tps, 0) / on.length;
      const tpsOff = off.reduce((s, r) => s + r.tps, 0) / off.length;
      const loss = 1 - tpsOn / tpsOff;
      const pairLoss = on.map((r, i) => 1 - r.tps / off[i]!.tps);
      losses.push(loss);
      worst.push({ clients, loss });
      rows.push([String(clients), fmt(tpsOn), fmt(tpsOff), `${fmt(loss * 100, 1)} %`,
        `${fmt(median(pairLoss) * 100, 1)} % (${fmt(Math.min(...pairLoss) * 100, 1)} to ${fmt(Math.max(...pairLoss) * 100, 1)} %)`,
        `${fmt(median(on.map((r) => r.latencyMs)), 2)} / ${fmt(median(off.map((r) => r.latencyMs)), 2)}`,
        String(on.reduce((s, r) => s + r.failed, 0) + off.reduce((s, r) => s + r.failed, 0))]);
    }
    const { rows: runs } = await db.admin.query<{ n: number }>('select count(*)::int as n from mana_ai.runs');
    const { rows: written } = await db.admin.query<{ ai: number; all: number }>(
      `select count(*) filter (where app_id = 'ai')::int as ai, count(*)::int as all from public.sync_changes where client_id = 'bench-pgbench'`);
    const profile = await diagnose(ctx, db, size);
    const maxLoss = Math.max(...losses);
    ctx.log(`B5: done in ${fmt((now() - t0) / 1000, 0)} s, tps loss ${worst.map((w) => `${w.clients}c ${fmt(w.loss * 100, 1)} %`).join(', ')}`);
    return [{
      id: 'B5',
      what: 'ordinary sync traffic, pgbench 8 and 32 clients, one-row transactions, 10 % ai (none due)',
      product: worst.map((w, i) => `${w.clients}c: ${rows[i]![1]} tps`).join(', '),
      comparison: worst.map((w, i) => `${w.clients}c: ${rows[i]![2]} tps`).join(', '),
      ratio: worst.map((w) => `${w.clients}c: −${fmt(w.loss * 100, 1)} %`).join(', '),
      target: '≤ 10 % tps loss',
      met: ctx.scale === 'full' ? maxLoss <= 0.10 : null,
      details: [
        `\`pgbench -n -M prepared -j 2 -T ${size.seconds}\` with bench/pgbench/sync-mix.sql, ${size.pairs} on/off pairs per client ` +
          `count (ABBA) after a 1 s warm-up; ${size.missions.toLocaleString('en-US')} seeded missions of ` +
          `${size.users.toLocaleString('en-US')} users. ${written[0]!.all.toLocaleString('en-US')} rows written ` +
          `(${fmt((written[0]!.ai / Math.max(1, written[0]!.all)) * 100, 1)} % ai); runs enqueued: ${runs[0]!.n} (must be 0).`,
        '',
        ...table(['clients', 'tps on', 'tps off', 'loss (means)', 'loss per pair: median (range)', 'latency ms on / off', 'failed tx'],
          rows, ['r', 'r', 'r', 'r', 'r', 'r', 'r']),
      ],
      profile,
      followUp: [
        'Rows of other apps no longer enter PL/pgSQL (a BEFORE row trigger filtered by WHEN marks the statement; the',
        'statement trigger runs only for marked statements); the first diagnostic below measures what they still pay. The',
        'loss is the ai transactions\': a one-row ai statement runs the whole fold, ~0.3–0.45 ms of PL/pgSQL and six to',
        'eight SPI statements, each with its own executor setup, and PL/pgSQL re-initialises every expression it evaluates',
        'in each new transaction (perf of one-row ai transactions: ExecutorStart 18 %, ExecInitAgg 13 %, ExecInitExpr of',
        'PL/pgSQL expressions 9 % of the backend), against ~0.13 ms for the INSERT itself. The B1a work (the merge rule as',
        'one inlinable SQL function, records merged and derived in one query) would shorten that path but not remove it.',
        'The target is reached only by folding outside the sync transaction: the second diagnostic below measures that',
        'floor. That is an architecture change — the projection then lags the log by one wake-up of the runner or tick(),',
        'and the trigger would NOTIFY on every ai-row transaction, where docs/architecture.md allows NOTIFY only when work',
        'becomes due — so it is put to the team as a decision, with these numbers, rather than made here.',
      ],
    }];
  } finally {
    await db.drop();
  }
}

/**
 * What limits it: (1) the same 8-client pair with other apps only (aishare = 0): the statement trigger's
 * fixed cost per INSERT; (2) one single-client run of the mix with track_functions = all: the trigger's
 * time per call without CPU contention (with 8 clients on 2 cores the wall-clock times per call would
 * include waiting for a core).
 */
async function diagnose(ctx: Ctx, db: TestDb, size: Size): Promise<string[]> {
  const seconds = Math.max(1, Math.round(size.seconds / 2));
  const on = await pgbench(ctx, db, size, { clients: 8, seconds, triggers: true, aiShare: 0 });
  const off = await pgbench(ctx, db, size, { clients: 8, seconds, triggers: false, aiShare: 0 });
  await db.admin.query('select pg_stat_reset()');
  const tracked = await pgbench(ctx, db, size, { clients: 1, seconds, triggers: true, trackFunctions: true });
  await sleep(300);
  const { rows } = await db.admin.query<{ fn: string; calls: string; total_ms: number; self_ms: number }>(
    `select schemaname || '.' || funcname as fn, calls, total_time as total_ms, self_time as self_ms
       from pg_stat_user_functions where schemaname in ('mana_ai', 'mana_ai_private')
      order by total_time desc limit 8`);
  const txns = tracked.tps * seconds;
  const trig = rows.find((r) => r.fn.endsWith('tg_sync_changes__project'));
  const queue = await queueOnlyFloor(ctx, db, size, seconds);
  return [
    `Other apps only (aishare = 0, 8 clients, ${seconds} s each): ${fmt(on.tps)} tps with the triggers, ${fmt(off.tps)} without ` +
      `(${change(on.tps, off.tps)}): what INSERTs that carry no ai row pay (the row mark's WHEN and the ` +
      `transition table).`,
    `The floor of a design that folds outside the sync transaction (8 clients, the 10 % mix, ${seconds} s each, ABBA): ` +
      `with the statement trigger's function replaced, in this throwaway database only, by one that just queues the ` +
      `statement's ai rows (one INSERT … SELECT from the transition table into an unlogged table), ${fmt(queue.on)} tps ` +
      `against ${fmt(queue.off)} without triggers (${change(queue.on, queue.off)}).`,
    `With \`track_functions = all\` (1 client, the 10 % mix, ${fmt(tracked.tps)} tps, ~${fmt(txns, 0)} transactions): ` +
      (trig ? `the trigger function ran ${trig.calls} times, ${fmt((Number(trig.total_ms) * 1000) / Number(trig.calls), 0)} µs per call on average ` +
        `(self ${fmt((Number(trig.self_ms) * 1000) / Number(trig.calls), 0)} µs).` : 'the trigger function was not recorded.'),
    '',
    ...table(['function', 'calls', 'total µs / call', 'self µs / call', 'total ms'],
      rows.map((r) => [`\`${r.fn}\``, r.calls, fmt((Number(r.total_ms) * 1000) / Math.max(1, Number(r.calls))),
        fmt((Number(r.self_ms) * 1000) / Math.max(1, Number(r.calls))), fmt(Number(r.total_ms))]), ['l', 'r', 'r', 'r', 'r']),
  ];
}

/** The relative change of `value` against `base`, signed with a real minus: "−8.4 %", "+1.2 %". */
function change(value: number, base: number): string {
  const pct = (value / base - 1) * 100;
  return `${pct < 0 ? '−' : '+'}${fmt(Math.abs(pct), 1)} %`;
}

/**
 * The tps of the B5 mix when the projection trigger only queues the statement's ai rows (no fold), against
 * the triggers off: what the sync server would pay if the fold ran after commit, outside its transaction.
 * The function is swapped in this throwaway database only and restored from its own definition afterwards.
 */
async function queueOnlyFloor(ctx: Ctx, db: TestDb, size: Size, seconds: number): Promise<{ on: number; off: number }> {
  const fn = 'mana_ai_private.tg_sync_changes__project()';
  const { rows: [orig] } = await db.admin.query<{ def: string }>(`select pg_get_functiondef($1::regprocedure) as def`, [fn]);
  await db.admin.query(`create unlogged table mana_ai_private.bench_queue (change_id uuid, user_id text, table_name text, record_id text);
    alter table mana_ai_private.bench_queue owner to mana_ai_owner`);
  await db.admin.query(`create or replace function ${fn} returns trigger language plpgsql security definer
    set search_path = pg_catalog, pg_temp as $$
    begin
      perform set_config('mana_ai.project_pending', '', true);
      insert into mana_ai_private.bench_queue
      select n.id, n.user_id, n.table_name, n.record_id from new_rows n
       where n.app_id = 'ai' and n.table_name in ('aiMissions', 'agents');
      return null;
    end $$`);
  try {
    const on: number[] = [];
    const off: number[] = [];
    for (const side of ['a', 'b', 'b', 'a']) {
      const r = await pgbench(ctx, db, size, { clients: 8, seconds, triggers: side === 'a' });
      (side === 'a' ? on : off).push(r.tps);
    }
    return { on: (on[0]! + on[1]!) / 2, off: (off[0]! + off[1]!) / 2 };
  } finally {
    await db.admin.query(orig!.def);
    await db.admin.query('drop table mana_ai_private.bench_queue');
  }
}
