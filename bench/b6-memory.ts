/**
 * B6: the listener's resident memory (VmRSS of the child process, /proc/<pid>/status), idle and with
 * 1,000 LLM calls in flight. The listener runs with MANA_AI_CONCURRENCY=1000; the fake LLM holds every
 * request until released. 1,000 due missions arrive in statements of 50, 50 ms apart (missions become
 * due over time; a single burst would open a database connection per run at once). When all 1,000
 * requests are held, RSS is sampled for two seconds; then the calls are answered, 50 every 100 ms.
 */
import { startFakeLlm, planText, type FakeLlmReplySpec } from '../src/dev/fake-llm.js';
import { fmt, median, sleep, table, type BenchResult, type Ctx } from './lib/common.js';
import { benchDatabase, connect, insertDueMissions } from './lib/data.js';
import { startListener, type ListenerProcess } from './lib/listener.js';

const SIZES = {
  smoke: { inflight: 50, settleMs: 1000, sampleMs: 500 },
  full: { inflight: 1000, settleMs: 5000, sampleMs: 2000 },
} as const;

export async function runB6(ctx: Ctx): Promise<BenchResult[]> {
  const size = SIZES[ctx.scale];
  const db = await benchDatabase();
  const llm = await startFakeLlm();
  const client = await connect(db.adminUrl);
  let listener: ListenerProcess | undefined;
  // Held requests, answered later in groups (an LLM answers calls over time, not all in one instant).
  const held: (() => void)[] = [];
  const answer: FakeLlmReplySpec = { content: planText({ summary: 'Nichts zu tun', steps: [] }) };
  llm.setDefault(() => new Promise<FakeLlmReplySpec>((resolve) => held.push(() => resolve(answer))));
  const releaseAll = () => held.splice(0).forEach((answerNow) => answerNow());
  try {
    listener = await startListener(ctx.listenerEntry, db, { llmUrl: llm.url, concurrency: size.inflight, llmTimeoutMs: 120_000 });
    const proc = listener;
    const sample = async (ms: number): Promise<number[]> => {
      const out: number[] = [];
      const end = Date.now() + ms;
      do {
        out.push(proc.memoryKb().rss);
        await sleep(100);
      } while (Date.now() < end);
      return out;
    };
    await sleep(size.settleMs);
    const idle = await sample(size.sampleMs);

    for (let i = 0; i < size.inflight; i += 50) {
      await insertDueMissions(client, 'mem-', Math.min(50, size.inflight - i), 100, i);
      await sleep(50);
    }
    const deadline = Date.now() + 120_000;
    while (llm.requests.length < size.inflight && Date.now() < deadline) await sleep(100);
    const inFlight = llm.requests.length;
    const loaded = await sample(size.sampleMs);
    const releaseStart = Date.now();
    while (held.length > 0) {
      held.splice(0, 50).forEach((answerNow) => answerNow());
      await sleep(100);
    }
    const doneDeadline = Date.now() + 30_000;
    let done = 0;
    while (Date.now() < doneDeadline) {
      done = (await client.query<{ n: number }>(`select count(*)::int as n from mana_ai.runs where status = 'done'`)).rows[0]!.n;
      if (done >= size.inflight) break;
      await sleep(200);
    }
    const finishS = (Date.now() - releaseStart) / 1000;
    const maxConnections = Number((await client.query<{ n: string }>(`select current_setting('max_connections') as n`)).rows[0]!.n);
    const after = await sample(Math.min(1000, size.sampleMs));
    const { rows: notDone } = await client.query<{ status: string; error: string; n: number }>(
      `select status, coalesce(error_class || ': ', '') || left(coalesce(last_error, ''), 120) as error, count(*)::int as n
         from mana_ai.runs where status <> 'done' group by 1, 2 order by 3 desc limit 5`);
    const { hwm } = proc.memoryKb();
    const mb = (kb: number) => kb / 1024;
    const idleMb = mb(Math.max(...idle));
    const loadedMb = mb(Math.max(...loaded));
    ctx.log(`B6: idle ${fmt(idleMb)} MB, ${inFlight} in flight ${fmt(loadedMb)} MB, peak ${fmt(mb(hwm))} MB`);
    return [{
      id: 'B6',
      what: `listener RSS idle and with ${size.inflight.toLocaleString('en-US')} in-flight slow LLM calls`,
      product: `idle ${fmt(idleMb, 1)} MB, loaded ${fmt(loadedMb, 1)} MB`,
      comparison: '—',
      ratio: `${fmt(idleMb, 1)} MB / ${fmt(loadedMb, 1)} MB`,
      target: '≤ 80 MB idle, ≤ 150 MB loaded',
      met: ctx.scale === 'full' ? inFlight >= size.inflight && idleMb <= 80 && loadedMb <= 150 : null,
      details: [
        `\`node ${ctx.listenerEntry.replace(ctx.root + '/', '')} serve\` (compiled from the current src/), Node ${process.version}, ` +
          `default heap settings. Max of samples every 100 ms: idle after ${size.settleMs / 1000} s, loaded while ${inFlight} ` +
          `requests were held by the fake LLM (${size.inflight} wanted). Then answered in groups of 50 every 100 ms: ` +
          `${done} of ${size.inflight} runs done ${fmt(finishS, 1)} s after the first answer` +
          (notDone.length > 0 ? `; not done: ${notDone.map((r) => `${r.n} ${r.status} (${r.error || 'no error'})`).join(', ')}.` : '.'),
        ...(notDone.some((r) => r.error.includes('53300'))
          ? ['', `**Finding:** the listener's pool may open MANA_AI_CONCURRENCY + 4 = ${size.inflight + 4} connections, the server allows ` +
              `${maxConnections}: when many LLM answers arrive together, the write-backs run out of connection slots (SQLSTATE 53300) ` +
              'and those runs fail (and are retried later). Cap the pool below the server\'s limit (or queue write-backs) ' +
              'independently of the concurrency.']
          : []),
        '',
        ...table(['state', 'RSS max', 'RSS median'], [
          ['idle', `${fmt(idleMb, 1)} MB`, `${fmt(mb(median(idle)), 1)} MB`],
          [`${inFlight} calls in flight`, `${fmt(loadedMb, 1)} MB`, `${fmt(mb(median(loaded)), 1)} MB`],
          ['after all finished', `${fmt(mb(Math.max(...after)), 1)} MB`, `${fmt(mb(median(after)), 1)} MB`],
          ['peak over the whole run (VmHWM)', `${fmt(mb(hwm), 1)} MB`, ''],
        ], ['l', 'r', 'r']),
      ],
      followUp: [
        'Plan: take a heap snapshot (`--heapsnapshot-signal`) in the loaded state and look for per-run retained objects',
        '(prompt strings, undici buffers, pg result rows); set `--max-semi-space-size` / `--max-old-space-size` only after that.',
      ],
    }];
  } finally {
    releaseAll();
    await listener?.stop().catch(() => undefined);
    await client.end().catch(() => undefined);
    await llm.close();
    await db.drop();
  }
}
