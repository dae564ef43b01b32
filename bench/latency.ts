/**
 * Commit-to-LLM latency: how long after a mission becomes due (its INSERT commits) the listener's
 * request reaches the LLM. One app instance, an instant fake LLM, N due missions inserted one per
 * transaction ~20 ms apart; each latency is COMMIT returned → fake LLM received the request whose
 * prompt names that mission's title. Prints one JSON line: {n, p50, p95, p99, max, mean} in ms.
 *
 *   test/support/with-cluster.sh bash -c 'test/support/prepare-test-db.sh >/dev/null && node --import tsx bench/latency.ts'
 *
 * Env: BENCH_MISSIONS (default 150), BENCH_SPACING_MS (default 20). No assertions: numbers only.
 */
import { performance } from 'node:perf_hooks';
import { freshDatabase } from '../test/support/db.js';
import { missionRow, missionTitleOf, startRunner } from '../test/support/e2e-kit.js';
import { startFakeLlm } from '../src/dev/fake-llm.js';

const N = Number(process.env.BENCH_MISSIONS ?? 150);
const SPACING_MS = Number(process.env.BENCH_SPACING_MS ?? 20);

const db = await freshDatabase();
const llm = await startFakeLlm();
const runner = await startRunner(db, llm, { worker: 'bench-latency' });
const client = await db.admin.connect();
try {
  const committed = new Map<string, number>();
  for (let i = 0; i < N; i += 1) {
    const row = missionRow(`bench-user-${i % 10}`, `bench-${i}`, { title: `Bench ${i}` });
    await client.query('begin');
    await client.query(`select set_config('app.current_user_id', $1, true)`, [row.userId]);
    await client.query(
      `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
       values ('ai', 'aiMissions', $1, $2, 'insert', $3, '{}', 'bench')`,
      [row.recordId, row.userId, JSON.stringify(row.data)]);
    await client.query('commit');
    committed.set(`Bench ${i}`, performance.now());
    await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
  }
  const deadline = Date.now() + 30_000;
  while (llm.requests.length < N && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

  const latencies: number[] = [];
  for (const request of llm.requests) {
    const at = committed.get(missionTitleOf(request) ?? '');
    if (at !== undefined) latencies.push(request.receivedAt.perf - at);
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? null;
  const round = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
  const mean = latencies.reduce((s, v) => s + v, 0) / Math.max(1, latencies.length);
  process.stdout.write(`${JSON.stringify({
    bench: 'commit-to-llm', missions: N, n: latencies.length, spacingMs: SPACING_MS,
    p50: round(pct(50)), p95: round(pct(95)), p99: round(pct(99)), max: round(latencies.at(-1) ?? null), mean: round(mean),
  })}\n`);
} finally {
  client.release();
  await runner.stop();
  await llm.close();
  await db.drop();
}
