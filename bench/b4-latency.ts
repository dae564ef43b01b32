/**
 * B4: latency from the commit that makes a mission due to the LLM request arriving. The real listener
 * (child process, concurrency 16) and an instant fake LLM in this process; missions are inserted one
 * per transaction, SPACING_MS apart. Each sample: the INSERT's autocommit returned (performance.now()
 * here) → the fake LLM received the request whose prompt names that mission (same clock). The path:
 * capture trigger → NOTIFY at commit → LISTEN wake-up → fold (enqueue_due) → claim_and_load_runs →
 * prompt → HTTP.
 */
import { startFakeLlm } from '../src/dev/fake-llm.js';
import { fmt, mean, now, percentile, sleep, table, type BenchResult, type Ctx } from './lib/common.js';
import { benchDatabase, connect, insertDueMissions, missionIdOfPrompt } from './lib/data.js';
import { startListener, type ListenerProcess } from './lib/listener.js';

const SIZES = {
  smoke: { samples: 25, warm: 5 },
  full: { samples: 600, warm: 20 },
} as const;
const SPACING_MS = 20;

export async function runB4(ctx: Ctx): Promise<BenchResult[]> {
  const size = SIZES[ctx.scale];
  const db = await benchDatabase();
  const llm = await startFakeLlm();
  const client = await connect(db.adminUrl);
  let listener: ListenerProcess | undefined;
  try {
    listener = await startListener(ctx.listenerEntry, db, { llmUrl: llm.url, concurrency: 16 });
    const committed = new Map<string, number>();
    const total = size.warm + size.samples;
    for (let i = 0; i < total; i += 1) {
      // One statement in autocommit: its return is the commit.
      await insertDueMissions(client, 'lat-', 1, 25, i);
      committed.set(`lat-${i}`, now());
      await sleep(SPACING_MS);
    }
    const deadline = Date.now() + 30_000;
    while (llm.requests.length < total && Date.now() < deadline) await sleep(50);
    const latencies: number[] = [];
    for (const request of llm.requests) {
      const id = missionIdOfPrompt(request.body);
      const at = id === undefined ? undefined : committed.get(id);
      if (at === undefined || Number(id!.slice(4)) < size.warm) continue;
      latencies.push(request.receivedAt.perf - at);
    }
    const missing = size.samples - latencies.length;
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    ctx.log(`B4: ${latencies.length} samples, p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`);
    return [{
      id: 'B4',
      what: 'latency, commit that makes a mission due → LLM request arrives',
      product: `p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`,
      comparison: '—',
      ratio: `p50 ${fmt(p50)} ms / p99 ${fmt(p99)} ms`,
      target: 'p50 ≤ 10 ms, p99 ≤ 100 ms',
      met: ctx.scale === 'full' ? missing === 0 && p50 <= 10 && p99 <= 100 : null,
      details: [
        `${latencies.length} samples (after ${size.warm} warm-up missions), one mission per transaction every ~${SPACING_MS} ms` +
          (missing > 0 ? `; **${missing} missions never reached the LLM within 30 s**` : '') + '.',
        '',
        ...table(['p50', 'p90', 'p95', 'p99', 'max', 'mean'],
          [[50, 90, 95, 99, 100].map((p) => `${fmt(percentile(latencies, p))} ms`).concat(`${fmt(mean(latencies))} ms`)],
          ['r', 'r', 'r', 'r', 'r', 'r']),
      ],
      followUp: [
        'The path has no timer in it (NOTIFY at commit → LISTEN); a slow percentile is queueing behind other work on',
        'the listener or a slow claim. Plan: compare with the listener\'s own `mana_ai_due_to_llm_seconds` histogram and',
        'profile claim_runs under the same load.',
      ],
    }];
  } finally {
    await listener?.stop().catch(() => undefined);
    await client.end().catch(() => undefined);
    await llm.close();
    await db.drop();
  }
}
