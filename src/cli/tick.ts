/**
 * `mana-ai tick`: runs `mana_ai.tick()` once as the admin (what pg_cron runs every minute) and prints
 * its stats. Safe at any time: tick() is idempotent and overlaps harmlessly with pg_cron and listeners.
 */
import type { SqlTickStats } from '../db/calls.js';
import { parseOptions, withUsage } from './args.js';
import type { CliIo } from './commands.js';
import { withAdminClient } from './db.js';
import { jsonLine } from './format.js';

const USAGE = `mana-ai tick [--json]

Runs one scheduler pass, select mana_ai.tick(): supersedes runs whose mission is no longer due at
their slot, enqueues every due, ungated mission (listeners are woken by NOTIFY), finishes exhausted
runs (schedule-only row, dead), counts agent gate decisions and folds the SQL counters. Prints the
tick stats. Idempotent; harmless next to pg_cron and running listeners. It plans nothing itself:
planning is the listeners' job (mana-ai serve).

Connects as the admin (MANA_AI_ADMIN_DATABASE_URL, falling back to SYNC_DATABASE_URL).

Options:
  --json   the stats as one JSON object
`;

/** Runs one tick as the admin and returns its stats. */
export async function runTick(env: CliIo['env']): Promise<SqlTickStats> {
  return withAdminClient(env, 'tick', async (client) => {
    const { rows } = await client.query<{ s: SqlTickStats }>('select mana_ai.tick() as s');
    return rows[0]!.s;
  });
}

/** The human form of tick stats. */
export function formatTickStats(s: SqlTickStats): string {
  const n = (k: string): number => (typeof s[k] === 'number' ? (s[k] as number) : 0);
  const gated = (s.gated ?? {}) as Record<string, number>;
  const errors = Array.isArray(s.errors) ? (s.errors as string[]) : [];
  return [
    `tick at ${s.scannedAt}`,
    `  due missions  ${s.dueMissionCount} (gated and skipped ones included)`,
    `  enqueued      ${n('enqueued')}`,
    `  superseded    ${n('superseded')}`,
    `  dead          ${n('dead')}`,
    `  gated         ${gated['skipped-archived'] ?? 0} archived, ${gated['skipped-paused'] ?? 0} paused, ` +
      `${gated['skipped-concurrency'] ?? 0} over quota, ${gated['skipped-budget'] ?? 0} over token budget`,
    `  errors        ${errors.length === 0 ? 'none' : ''}`,
    ...errors.map((e) => `    - ${e}`),
    '',
  ].join('\n');
}

/** The `tick` command. */
export const tickCommand = {
  summary: 'run mana_ai.tick() once (enqueue due missions, supersede, finish exhausted runs) and print its stats (admin)',
  usage: USAGE,
  run(args: string[], io: CliIo): Promise<number> {
    return withUsage('tick', io, async () => {
      const parsed = parseOptions(args, { json: { type: 'boolean' } });
      const stats = await runTick(io.env);
      io.stdout(parsed.values.json ? jsonLine(stats) : formatTickStats(stats));
      return 0;
    });
  },
};
