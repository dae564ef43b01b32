/**
 * B3: end-to-end dispatch throughput at concurrency 16, against graphile-worker's no-op jobs on the
 * same database.
 *   ours: N missions that are due now are inserted in one statement (the capture trigger queues them and
 *         NOTIFYs at commit); the real listener (child process, MANA_AI_CONCURRENCY=16) folds the queue
 *         (which enqueues N runs), claims and loads them in one call per batch, builds the prompt, calls
 *         the instant loopback fake LLM (in this process), parses and commits the write-back through
 *         complete_run. Timed from the INSERT's return until all N runs are `done` in the ledger.
 *   graphile-worker: run({ concurrency: 16, taskList: { noop } }) in this process; N jobs added with
 *         addJobs in one call. Timed from addJobs' return until its jobs table is empty.
 * Both sides poll completion every 50 ms on one connection. Rounds alternate ABBA after a warm-up; the
 * headline ratio is the median of the per-pair ratios (the machine's load moves both sides of a pair).
 * Profile: one more round of ours with a fresh listener under `node --cpu-prof` and
 * track_functions = all (the SQL time per run by function), plus machine and listener CPU shares.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type pg from 'pg';
import { Logger, makeWorkerUtils, run as runGraphile, type Runner, type WorkerUtils } from 'graphile-worker';
import { startFakeLlm, type FakeLlm } from '../src/dev/fake-llm.js';
import {
  abba, busyShare, fmt, machineCpu, median, now, ratio, sleep, table, type BenchResult, type Ctx,
} from './lib/common.js';
import { benchDatabase, connect, insertDueMissions, type TestDb } from './lib/data.js';
import { startListener, type ListenerProcess } from './lib/listener.js';

const SIZES = {
  smoke: { ours: 30, graphile: 100, rounds: 2, warmOurs: 10, warmGraphile: 20, profile: 20, sameSlot: 30 },
  full: { ours: 2000, graphile: 8000, rounds: 6, warmOurs: 200, warmGraphile: 1000, profile: 1000, sameSlot: 1000 },
} as const;
const CONCURRENCY = 16;
const POLL_MS = 50;

interface Round { n: number; ms: number; busy: number; listenerCpu?: number }

export async function runB3(ctx: Ctx): Promise<BenchResult[]> {
  const size = SIZES[ctx.scale];
  const db = await benchDatabase();
  const llm = await startFakeLlm();
  const admin = await connect(db.adminUrl);
  let utils: WorkerUtils | undefined;
  let graphile: Runner | undefined;
  let listener: ListenerProcess | undefined;
  let roundNo = 0;
  try {
    let completed = 0;
    utils = await makeWorkerUtils({ connectionString: db.adminUrl, logger: new Logger(() => () => undefined) });
    await utils.migrate();
    graphile = await runGraphile({
      connectionString: db.adminUrl, concurrency: CONCURRENCY, noHandleSignals: true, pollInterval: 2000,
      logger: new Logger(() => () => undefined),
      taskList: { noop: async () => { completed += 1; } },
    });
    listener = await startListener(ctx.listenerEntry, db, { llmUrl: llm.url, concurrency: CONCURRENCY });

    const ours = async (n: number, proc: ListenerProcess): Promise<Round> => {
      roundNo += 1;
      const prefix = `r${roundNo}-`;
      const cpu0 = machineCpu();
      const lcpu0 = proc.cpuMs();
      await insertDueMissions(admin, prefix, n, Math.max(1, Math.ceil(n / 20)));
      const start = now();
      const deadline = Date.now() + 60_000 + n * 50;
      for (;;) {
        const { rows } = await admin.query<{ done: number; bad: number }>(
          `select count(*) filter (where status = 'done')::int as done,
                  count(*) filter (where status in ('failed', 'dead', 'superseded'))::int as bad
             from mana_ai.runs where user_id like $1`, [`${prefix}%`]);
        if (rows[0]!.done + rows[0]!.bad >= n) {
          if (rows[0]!.bad > 0) throw new Error(`B3 round ${prefix}: ${rows[0]!.bad} of ${n} runs did not end done`);
          break;
        }
        if (Date.now() > deadline) throw new Error(`B3 round ${prefix}: ${rows[0]!.done} of ${n} runs done after the deadline; listener: ${proc.output.join(' | ')}`);
        await sleep(POLL_MS);
      }
      const ms = now() - start;
      llm.requests.splice(0);
      return { n, ms, busy: busyShare(cpu0, machineCpu()), listenerCpu: proc.cpuMs() - lcpu0 };
    };

    const graph = async (n: number): Promise<Round> => {
      const specs = Array.from({ length: n }, (_, i) => ({ identifier: 'noop', payload: { i } }));
      const before = completed;
      const cpu0 = machineCpu();
      await utils!.addJobs(specs);
      const start = now();
      const deadline = Date.now() + 60_000 + n * 10;
      for (;;) {
        const { rows } = await admin.query<{ left: number }>('select count(*)::int as left from graphile_worker._private_jobs');
        if (rows[0]!.left === 0) break;
        if (Date.now() > deadline) throw new Error(`B3 graphile-worker: ${rows[0]!.left} of ${n} jobs left after the deadline`);
        await sleep(POLL_MS);
      }
      const ms = now() - start;
      if (completed - before !== n) throw new Error(`B3 graphile-worker ran ${completed - before} of ${n} jobs`);
      return { n, ms, busy: busyShare(cpu0, machineCpu()) };
    };

    await ours(size.warmOurs, listener);
    await graph(size.warmGraphile);
    const mine: Round[] = [];
    const theirs: Round[] = [];
    for (let r = 0; r < size.rounds; r += 1) {
      for (const side of abba(r)) {
        if (side === 'a') mine.push(await ours(size.ours, listener));
        else theirs.push(await graph(size.graphile));
      }
      ctx.log(`B3: round ${r + 1}/${size.rounds}: ours ${fmt(rate(mine.at(-1)!))} runs/s, graphile-worker ${fmt(rate(theirs.at(-1)!))} jobs/s`);
    }
    await listener.stop();
    listener = undefined;
    await graphile.stop();
    graphile = undefined;

    const profile = await profileRound(ctx, db, llm, admin, size.profile, (n, proc) => ours(n, proc));

    profile.push('', ...(await sameSlotRound(ctx, db, llm, admin, size.sameSlot, rate(mine.at(-1)!), size.ours)));

    const oursRate = (mine.reduce((s, r) => s + r.n, 0) / mine.reduce((s, r) => s + r.ms, 0)) * 1000;
    const theirRate = (theirs.reduce((s, r) => s + r.n, 0) / theirs.reduce((s, r) => s + r.ms, 0)) * 1000;
    const pairRatios = mine.map((m, i) => rate(m) / rate(theirs[i]!));
    const value = median(pairRatios);
    const listenerShare = mine.map((m) => (m.listenerCpu ?? 0) / m.ms);
    return [{
      id: 'B3',
      what: `end-to-end dispatch, due run → instant fake LLM → committed write-back, concurrency ${CONCURRENCY}`,
      product: `${fmt(oursRate)} runs/s`,
      comparison: `${fmt(theirRate)} jobs/s (graphile-worker no-op)`,
      ratio: `${ratio(value)} (median of ${pairRatios.length} pairs, ${ratio(Math.min(...pairRatios))}–${ratio(Math.max(...pairRatios))})`,
      target: '≥ 1.0× (median of ≥ 5 pairs)',
      met: ctx.scale === 'full' ? value >= 1 : null,
      details: [
        `${size.rounds} rounds per side, alternating (ABBA) after a warm-up: ours ${size.ours} runs per round, graphile-worker ` +
          `${size.graphile} jobs per round (each side runs for a few seconds). Ratio per pair: median ${ratio(median(pairRatios))}, ` +
          `min ${ratio(Math.min(...pairRatios))}, max ${ratio(Math.max(...pairRatios))} (${pairRatios.map((r) => ratio(r)).join(', ')}); ` +
          `ratio of the pooled rates ${ratio(oursRate / theirRate)}.`,
        '',
        ...table(['side', 'per round (n / ms)', 'rate', 'machine CPU busy', 'listener CPU'], [
          ['ours (listener + fake LLM)', mine.map((m) => `${m.n}/${fmt(m.ms, 0)}`).join(', '), `${fmt(oursRate)}/s`,
            `${fmt(median(mine.map((m) => m.busy)) * 100, 0)} %`, `${fmt(median(listenerShare) * 100, 0)} % of one core`],
          ['graphile-worker', theirs.map((m) => `${m.n}/${fmt(m.ms, 0)}`).join(', '), `${fmt(theirRate)}/s`,
            `${fmt(median(theirs.map((m) => m.busy)) * 100, 0)} %`, '— (in the bench process)'],
        ], ['l', 'r', 'r', 'r', 'r']),
        '',
        'A run is several round trips and transactions (fold, claim_and_load_runs per batch, the LLM call over HTTP, ' +
          'complete_run with its write-back row folded in the same transaction); a graphile-worker job is one get-job and ' +
          'one complete-job call.',
      ],
      profile: profile,
      followUp: [
        'Done: a claim judges a prefix of the open runs (widened only when it holds too few claimable runs) and no',
        'longer supersedes every open run — tick() does that (claims were 12 ms each at ~1,000 open runs; B3 went from',
        '344–350 to 544 runs/s on one machine). Missions sharing a slot: the open-runs → due-missions join uses all three',
        'keys through the projections primary key (see the diagnostic). Per run, the SQL left is complete_run (its own',
        'write-back row is folded by the projection trigger, like any sync write) and load_run (the mission and agent',
        'records read through their field pointers); on 2 cores the listener, Postgres and the fake LLM share the CPU,',
        'while a graphile-worker no-op job is one get-job and one complete-job call. Plan: `claim_and_load_runs` (one',
        'call instead of claim + one load per run) and the B1a work, which shortens complete_run\'s fold too.',
      ],
    }];
  } finally {
    await listener?.stop().catch(() => undefined);
    await graphile?.stop().catch(() => undefined);
    await Promise.resolve(utils?.release()).catch(() => undefined);
    await admin.end().catch(() => undefined);
    await llm.close();
    await db.drop();
  }
}

const rate = (r: Round) => (r.n / r.ms) * 1000;

/**
 * Diagnostic: n due missions that share one slot (as daily missions at the same local hour do). The plan
 * of claim_candidates' join is captured first (auto_explain, in a rolled-back claim while no listener
 * runs), then a listener drains them.
 */
async function sameSlotRound(
  ctx: Ctx, db: TestDb, llm: FakeLlm, admin: pg.Client, n: number, distinctRate: number, distinctN: number,
): Promise<string[]> {
  const prefix = 'same-';
  await insertDueMissions(admin, prefix, n, Math.max(1, Math.ceil(n / 20)), 0, true);
  const notices: string[] = [];
  const onNotice = (msg: { message?: string }) => notices.push(msg.message ?? '');
  admin.on('notice', onNotice);
  await admin.query(`load 'auto_explain'`);
  await admin.query(`set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on; set auto_explain.log_timing = off;
                     set auto_explain.log_nested_statements = on; set auto_explain.log_level = notice`);
  await admin.query('begin');
  const t0 = now();
  await admin.query(`select count(*) from mana_ai.claim_runs('bench-explain', 16, 60000)`);
  const claimMs = now() - t0;
  await admin.query('rollback');
  await admin.query('set auto_explain.log_min_duration = -1');
  admin.off('notice', onNotice);
  // claim_candidates' statement (the one with the row_number window); its join on the run's slot.
  const lines = (notices.find((t) => t.includes('row_number()') && t.includes('from mana_ai.runs r')) ?? '').split('\n');
  const condAt = lines.findIndex((l) => /(Merge Cond|Hash Cond|Index Cond|Join Filter):.*\bslot\b/.test(l));
  let join: [string, string, string] | null = null;
  let removed: string | undefined;
  if (condAt >= 0) {
    for (let i = condAt; i >= 0; i -= 1) {
      const node = /(Merge Join|Hash Join|Nested Loop(?: Left Join)?)/.exec(lines[i]!);
      if (node) {
        join = ['', node[1]!, lines[condAt]!.trim()];
        // "Rows Removed by …" is a per-loop average: multiply by the loops of the node it belongs to.
        let loops = 1;
        const totals: number[] = [];
        for (const l of lines.slice(i, i + 14)) {
          const nodeLoops = /loops=(\d+)/.exec(l)?.[1];
          if (nodeLoops) loops = Number(nodeLoops);
          const r = /Rows Removed by (?:Join )?Filter: (\d+)/.exec(l)?.[1];
          if (r) totals.push(Number(r) * loops);
        }
        removed = totals.length > 0 && Math.max(...totals) > 0 ? String(Math.max(...totals)) : undefined;
        break;
      }
    }
  }

  const proc = await startListener(ctx.listenerEntry, db, { llmUrl: llm.url, concurrency: CONCURRENCY });
  const start = now();
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { rows } = await admin.query<{ open: number }>(
        `select count(*) filter (where status not in ('done', 'failed', 'dead', 'superseded'))::int as open
           from mana_ai.runs where user_id like $1`, [`${prefix}%`]);
      if (rows[0]!.open === 0) break;
      if (Date.now() > deadline) throw new Error(`B3 same-slot round: ${rows[0]!.open} runs still open after 120 s`);
      await sleep(POLL_MS);
    }
  } finally {
    await proc.stop();
  }
  const ms = now() - start;
  llm.requests.splice(0);
  const r = (n / ms) * 1000;
  ctx.log(`B3: ${n} runs sharing one slot: ${fmt(r)} runs/s`);
  return [
    `**Missions sharing one slot** (as daily missions at the same local hour do): ${n} due missions with one nextRunAt ran at ` +
      `${fmt(r)} runs/s (${fmt(ms, 0)} ms), against ${fmt(distinctRate)} runs/s for ${distinctN} missions with distinct slots ` +
      `in the last measured round. One claim_runs over that backlog took ${fmt(claimMs, 0)} ms; the join of open runs to due ` +
      `missions in claim_candidates was planned as ${join ? `a ${join[1]} (\`${join[2]}\`)` : '(plan not captured)'}` +
      (removed ? `, discarding ${Number(removed).toLocaleString('en-US')} rows in its filters: every run meets every mission of ` +
        'its slot, so the claim is quadratic in the missions per slot.' : '.'),
  ];
}

/** One more round with a fresh listener under --cpu-prof and track_functions = all. */
async function profileRound(
  ctx: Ctx, db: TestDb, llm: FakeLlm, admin: pg.Client, n: number,
  round: (n: number, proc: ListenerProcess) => Promise<Round>,
): Promise<string[]> {
  const dir = join(ctx.workDir, `cpuprof-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await admin.query(`alter database ${db.name} set track_functions = 'all'`);
  await admin.query('select pg_stat_reset()');
  const proc = await startListener(ctx.listenerEntry, db, {
    llmUrl: llm.url, concurrency: CONCURRENCY, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
  });
  let result: Round;
  try {
    result = await round(n, proc);
  } finally {
    await proc.stop();
  }
  await sleep(200);
  const { rows } = await admin.query<{ fn: string; calls: string; total_ms: number; self_ms: number }>(
    `select schemaname || '.' || funcname as fn, calls, total_time as total_ms, self_time as self_ms
       from pg_stat_user_functions where schemaname in ('mana_ai', 'mana_ai_private')
      order by total_time desc limit 12`);
  const entry = rows.filter((r) => r.fn.startsWith('mana_ai.')).reduce((s, r) => s + Number(r.total_ms), 0);
  const lines = [
    `Profile round: ${n} runs in ${fmt(result.ms, 0)} ms (${fmt(rate(result))} runs/s with profiling on), ` +
      `machine CPU ${fmt(result.busy * 100, 0)} % busy, listener ${fmt(((result.listenerCpu ?? 0) / result.ms) * 100, 0)} % of one core.`,
    `SQL (track_functions = all): the listener's calls of \`mana_ai.*\` took ${fmt(entry / n, 2)} ms per run in total ` +
      `(${fmt((entry / result.ms) * 100, 0)} % of the round's wall time summed over ${CONCURRENCY} concurrent runs):`,
    '',
    ...table(['function', 'calls / run', 'total ms / run', 'self ms / run'],
      rows.map((r) => [`\`${r.fn}\``, fmt(Number(r.calls) / n, 2), fmt(Number(r.total_ms) / n, 3), fmt(Number(r.self_ms) / n, 3)]),
      ['l', 'r', 'r', 'r']),
  ];
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file) lines.push('', ...summarizeCpuProfile(join(dir, file)));
  else lines.push('', '(no .cpuprofile was written)');
  rmSync(dir, { recursive: true, force: true });
  return lines;
}

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }

/** Self time by function and by area (listener code, pg, undici, node internals, GC, idle) of a .cpuprofile. */
export function summarizeCpuProfile(path: string): string[] {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const area = (url: string, fn: string): string => {
    if (fn === '(idle)') return 'idle';
    if (fn === '(garbage collector)') return 'GC';
    if (fn === '(program)') return 'V8/native';
    if (url.includes('/node_modules/pg') || url.includes('/node_modules/pg-')) return 'pg driver';
    if (url.includes('/node_modules/undici')) return 'undici (LLM HTTP)';
    if (url.includes('/node_modules/')) return 'other packages';
    if (url.includes('/dist/')) return 'listener code';
    if (url.startsWith('node:')) return 'node internals';
    return url === '' ? 'V8/native' : 'other';
  };
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
    if (a === 'idle') continue;
    total += us;
    const key = `${functionName || '(anonymous)'} ${url ? `${basename(url)}:${lineNumber + 1}` : ''}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const all = [...areas.values()].reduce((s, v) => s + v, 0);
  const busy = all - (areas.get('idle') ?? 0);
  return [
    `Listener CPU profile (\`node --cpu-prof\`): busy ${fmt((busy / Math.max(1, all)) * 100, 0)} % of the profiled time; busy time by area:`,
    '',
    ...table(['area', 'share of busy'], [...areas].filter(([a]) => a !== 'idle').sort((x, y) => y[1] - x[1])
      .map(([a, us]) => [a, `${fmt((us / Math.max(1, busy)) * 100, 1)} %`]), ['l', 'r']),
    '',
    'Top functions by self time:',
    '',
    ...table(['function', 'share of busy'], [...fns].sort((x, y) => y[1] - x[1]).slice(0, 10)
      .map(([f, us]) => [`\`${f.replace(/\|/g, '\\|')}\``, `${fmt((us / Math.max(1, total)) * 100, 1)} %`]), ['l', 'r']),
  ];
}
