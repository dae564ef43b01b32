/**
 * B11: dispatch throughput with 1, 2 and 4 listener processes against one database, and where the limit
 * moves from the listeners to Postgres.
 *   Each round inserts N missions that are due now in one statement (the trigger enqueues N runs and
 *   NOTIFYs at commit) while k real listeners (child processes, MANA_AI_CONCURRENCY=16 each) are
 *   running; timed from the INSERT's return until all N runs are `done`. The LLM is the instant loopback
 *   fake in this process. Rounds go 1, 2, 4, 4, 2, 1 … so drift on the shared machine hits every k alike.
 *   Per round: machine CPU busy, the listeners' CPU (/proc), this process's CPU (the fake LLM and the
 *   completion poll), and Postgres ≈ the rest of the busy time.
 * Profile at the largest k: pg_stat_activity sampled every 20 ms during one more round (what active
 *   backends wait on: CPU, locks — e.g. claim_runs' transaction advisory lock —, LWLocks, client reads)
 *   and track_functions = all (SQL time per run by function).
 * The comparison column is the 1-listener rate; the ratio is 4 listeners against 1.
 */
import { startFakeLlm } from '../src/dev/fake-llm.js';
import { busyShare, fmt, machineCpu, median, now, ratio, sleep, table, type BenchResult, type Ctx } from './lib/common.js';
import { benchDatabase, connect, insertDueMissions } from './lib/data.js';
import { startListener, type ListenerProcess } from './lib/listener.js';

const SIZES = {
  smoke: { n: 24, rounds: 1, warm: 8, profile: 24 },
  full: { n: 2000, rounds: 2, warm: 200, profile: 2000 },
} as const;
const COUNTS = [1, 2, 4] as const;
const CONCURRENCY = 16;
const POLL_MS = 50;

interface Round { k: number; n: number; ms: number; busy: number; listenerCores: number; benchCores: number }

export async function runB11(ctx: Ctx): Promise<BenchResult[]> {
  const size = SIZES[ctx.scale];
  const db = await benchDatabase();
  const llm = await startFakeLlm();
  const admin = await connect(db.adminUrl);
  const running: ListenerProcess[] = [];
  let roundNo = 0;
  const cores = (await import('node:os')).cpus().length;
  try {
    /** Starts or stops listener processes until exactly k run. */
    const scaleTo = async (k: number) => {
      while (running.length < k) running.push(await startListener(ctx.listenerEntry, db, { llmUrl: llm.url, concurrency: CONCURRENCY }));
      while (running.length > k) await running.pop()!.stop();
    };

    const round = async (k: number, n: number, during?: () => Promise<void>): Promise<Round> => {
      await scaleTo(k);
      roundNo += 1;
      const prefix = `s${roundNo}-`;
      const cpu0 = machineCpu();
      const l0 = running.reduce((s, p) => s + p.cpuMs(), 0);
      const b0 = process.cpuUsage();
      await insertDueMissions(admin, prefix, n, Math.max(1, Math.ceil(n / 20)));
      const start = now();
      const sampling = during?.();
      const deadline = Date.now() + 60_000 + n * 50;
      for (;;) {
        const { rows } = await admin.query<{ done: number; bad: number }>(
          `select count(*) filter (where status = 'done')::int as done,
                  count(*) filter (where status in ('failed', 'dead', 'superseded'))::int as bad
             from mana_ai.runs where user_id like $1`, [`${prefix}%`]);
        if (rows[0]!.done + rows[0]!.bad >= n) {
          if (rows[0]!.bad > 0) throw new Error(`B11 round ${prefix} (k=${k}): ${rows[0]!.bad} of ${n} runs did not end done`);
          break;
        }
        if (Date.now() > deadline) throw new Error(`B11 round ${prefix} (k=${k}): ${rows[0]!.done} of ${n} done after the deadline`);
        await sleep(POLL_MS);
      }
      const ms = now() - start;
      stopSampling = true;
      await sampling;
      stopSampling = false;
      const b = process.cpuUsage(b0);
      llm.requests.splice(0);
      return {
        k, n, ms, busy: busyShare(cpu0, machineCpu()),
        listenerCores: (running.reduce((s, p) => s + p.cpuMs(), 0) - l0) / ms,
        benchCores: (b.user + b.system) / 1000 / ms,
      };
    };
    let stopSampling = false;

    await round(1, size.warm);
    const rounds: Round[] = [];
    for (let r = 0; r < size.rounds; r += 1) {
      for (const k of r % 2 === 0 ? COUNTS : [...COUNTS].reverse()) {
        rounds.push(await round(k, size.n));
        ctx.log(`B11: round ${r + 1}/${size.rounds}, ${k} listener(s): ${fmt(rateOf(rounds.at(-1)!))} runs/s`);
      }
    }

    // Profile at the largest k: wait events of active backends, SQL time per function.
    const kMax = COUNTS.at(-1)!;
    await admin.query(`alter database ${db.name} set track_functions = 'all'`);
    await scaleTo(0); // new sessions pick the setting up
    await admin.query('select pg_stat_reset()');
    const samples = new Map<string, number>();
    let sampleCount = 0;
    const sampler = await connect(db.adminUrl);
    const sample = async () => {
      while (!stopSampling) {
        const { rows } = await sampler.query<{ w: string; n: number }>(
          `select coalesce(wait_event_type || ':' || wait_event, 'CPU (running)') w, count(*)::int n
             from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid()
              and backend_type = 'client backend' group by 1`);
        sampleCount += 1;
        for (const r of rows) samples.set(r.w, (samples.get(r.w) ?? 0) + r.n);
        await sleep(20);
      }
    };
    let profiled: Round;
    try {
      profiled = await round(kMax, size.profile, sample);
    } finally {
      await sampler.end().catch(() => undefined);
    }
    await scaleTo(0); // backends flush their function statistics when their sessions end
    await sleep(500);
    const { rows: fns } = await admin.query<{ fn: string; calls: string; total_ms: number; self_ms: number }>(
      `select schemaname || '.' || funcname as fn, calls, total_time as total_ms, self_time as self_ms
         from pg_stat_user_functions where schemaname in ('mana_ai', 'mana_ai_private') order by total_time desc limit 8`);

    const byK = new Map<number, Round[]>();
    for (const r of rounds) byK.set(r.k, [...(byK.get(r.k) ?? []), r]);
    const agg = (k: number) => {
      const rs = byK.get(k) ?? [];
      const rate = (rs.reduce((s, r) => s + r.n, 0) / Math.max(1, rs.reduce((s, r) => s + r.ms, 0))) * 1000;
      const busy = median(rs.map((r) => r.busy)) * cores;
      const listeners = median(rs.map((r) => r.listenerCores));
      const bench = median(rs.map((r) => r.benchCores));
      return { rate, busy, listeners, bench, postgres: Math.max(0, busy - listeners - bench) };
    };
    const rows = COUNTS.map((k) => ({ k, ...agg(k) }));
    const r1 = rows[0]!.rate;
    const r4 = rows.at(-1)!.rate;
    // The limit: the first k whose rate is within 10 % of the best, with Postgres using more CPU than the listeners.
    const best = Math.max(...rows.map((r) => r.rate));
    const plateau = rows.find((r) => r.rate >= best * 0.9);
    const pgBound = rows.find((r) => r.postgres >= r.listeners);
    const totalActive = [...samples.values()].reduce((s, v) => s + v, 0);
    const waits = [...samples].sort((a, b) => b[1] - a[1]).slice(0, 8);
    const entry = fns.filter((r) => r.fn.startsWith('mana_ai.')).reduce((s, r) => s + Number(r.total_ms), 0);

    return [{
      id: 'B11',
      what: `scale-out: dispatch throughput with 1, 2 and 4 listener processes (concurrency ${CONCURRENCY} each) on one database, instant fake LLM`,
      product: `${fmt(r4)} runs/s with 4 listeners`,
      comparison: `${fmt(r1)} runs/s with 1 listener`,
      ratio: ratio(r4 / r1),
      target: '≥ 1.0× (adding listeners never costs throughput)',
      met: ctx.scale === 'full' ? r4 / r1 >= 1 : null,
      details: [
        `${size.rounds} round(s) per listener count, ${size.n} due missions per round, order 1, 2, 4 then 4, 2, 1. ` +
          `CPU in cores of this ${cores}-core machine; Postgres is the machine's busy time minus the listeners and this process ` +
          '(the fake LLM and the completion poll), so it also holds anything else running on the shared machine.',
        '',
        ...table(['listeners', 'runs/s', 'per round (n / ms)', 'machine busy', 'listeners CPU', 'fake LLM + poll', 'Postgres (rest)'],
          rows.map((r) => [String(r.k), fmt(r.rate), (byK.get(r.k) ?? []).map((x) => `${x.n}/${fmt(x.ms, 0)}`).join(', '),
            `${fmt(r.busy, 2)} cores`, `${fmt(r.listeners, 2)}`, `${fmt(r.bench, 2)}`, `${fmt(r.postgres, 2)}`]),
          ['r', 'r', 'r', 'r', 'r', 'r', 'r']),
        '',
        `Throughput reaches 90 % of its best (${fmt(best)} runs/s) at ${plateau ? `${plateau.k} listener(s)` : '—'}; ` +
          `Postgres uses at least as much CPU as the listeners from ${pgBound ? `${pgBound.k} listener(s)` : '— (not reached)'} on. ` +
          'Where both hold, more listeners add contention, not throughput: Postgres is the limit.',
      ],
      profile: [
        `Profile round with ${kMax} listeners: ${profiled!.n} runs in ${fmt(profiled!.ms, 0)} ms (${fmt(rateOf(profiled!))} runs/s). ` +
          `What the active client backends were doing, ${sampleCount} samples of pg_stat_activity every 20 ms ` +
          `(${fmt(totalActive / Math.max(1, sampleCount), 1)} active on average):`,
        '',
        ...table(['state / wait event', 'share of active backend samples'],
          waits.map(([w, n]) => [`\`${w}\``, `${fmt((n / Math.max(1, totalActive)) * 100, 1)} %`]), ['l', 'r']),
        '',
        `SQL time per run by function (track_functions = all; the listeners' \`mana_ai.*\` calls total ${fmt(entry / Math.max(1, profiled!.n), 2)} ms per run):`,
        '',
        ...table(['function', 'calls / run', 'total ms / run', 'self ms / run'],
          fns.map((r) => [`\`${r.fn}\``, fmt(Number(r.calls) / profiled!.n, 2), fmt(Number(r.total_ms) / profiled!.n, 3), fmt(Number(r.self_ms) / profiled!.n, 3)]),
          ['l', 'r', 'r', 'r']),
      ],
      followUp: [
        'More listener processes only help while the listeners are the limit. Once Postgres is (see the profile), the next',
        'steps are fewer statements per run (claim and load in one call) and, beyond one primary, sharding by user_id',
        '(docs/operations-ha.md).',
      ],
    }];
  } finally {
    for (const p of running) await p.stop().catch(() => undefined);
    await admin.end().catch(() => undefined);
    await llm.close();
    await db.drop();
  }
}

const rateOf = (r: Round) => (r.n / r.ms) * 1000;
