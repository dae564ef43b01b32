/**
 * `mana-ai status`: the operator's overview, read as the admin in a READ ONLY transaction from
 * `mana_ai.read_status()` (the SQL decides what is counted; this module only formats it).
 */
import { parseOptions, withUsage } from './args.js';
import type { CliIo } from './commands.js';
import { withAdminClient } from './db.js';
import { formatSeconds, jsonLine, plural, table } from './format.js';

/** One agent (or the legacy principal, agentId null) with load, as read_status reports it. */
export interface AgentLoad {
  userId: string;
  agentId: string | null;
  name: string | null;
  state: string | null;
  quota: number | null;
  running: number;
  runningExpired: number;
  queued: number;
  failed: number;
  blocked: number;
  gated: number;
  atQuota: boolean | null;
}

/** What `mana_ai.read_status()` returns (timestamps as toISOString() text, ages in seconds). */
export interface Status {
  now: string;
  missions: { projected: number; dueNow: number; gatedNow: number; nextDueAt: string | null; oldestDueAt: string | null };
  runs: {
    queued: number; running: number; runningLive: number; runningExpired: number; failed: number;
    failedRetryPending: number; dead: number; dead24h: number; done24h: number; superseded24h: number;
  };
  agents: AgentLoad[];
  quarantine: { total: number; last24h: number; skipped: number };
  /** The capture queue: ai rows captured from sync_changes and not yet folded. */
  capture: { rows: number; oldestCapturedAt: string | null; oldestAgeSeconds: number };
  tick: { ticks: number; lastTickAt: string | null; ageSeconds: number | null; lastStats: unknown };
  pgCron: boolean;
}

const USAGE = `mana-ai status [--json]

The runner at a glance, read from mana_ai.read_status() (psql: select mana_ai.read_status();):
missions due now (ungated), gated and the next due instant; runs queued, running (live lease or
expired), failed (retry pending) and dead; per-agent load against maxConcurrentMissions; quarantined
rows; the age of the last tick; whether pg_cron exists in this database.

Read-only (runs in a READ ONLY transaction). Connects as the admin: MANA_AI_ADMIN_DATABASE_URL,
falling back to SYNC_DATABASE_URL (the listener's role may not read across users).

Options:
  --json   one JSON object (the SQL function's result) instead of text
`;

/** Reads the status as the admin (read-only). */
export async function readStatus(env: CliIo['env']): Promise<Status> {
  return withAdminClient(env, 'status', async (client) => {
    const { rows } = await client.query<{ s: Status }>('select mana_ai.read_status() as s');
    return rows[0]!.s;
  }, { readOnly: true });
}

const at = (iso: string | null, now: string): string => {
  if (iso === null) return 'none';
  const d = (Date.parse(iso) - Date.parse(now)) / 1000;
  return `${iso} (${d >= 0 ? `in ${formatSeconds(d)}` : `${formatSeconds(d)} ago`})`;
};

/** The human form of a {@link Status}. */
export function formatStatus(s: Status): string {
  const m = s.missions;
  const r = s.runs;
  const lines = [
    `mana-ai status at ${s.now}`,
    '',
    `missions    ${m.projected} projected, ${m.dueNow} due now, ${m.gatedNow} due but gated by their agent`,
    `next due    ${at(m.nextDueAt, s.now)}`,
    ...(m.oldestDueAt === null ? [] : [`oldest due  ${at(m.oldestDueAt, s.now)}`]),
    `runs        ${r.queued} queued, ${r.running} running (${r.runningLive} live lease, ${r.runningExpired} expired), ` +
      `${r.failed} failed (${r.failedRetryPending} retry pending), ${r.dead} dead`,
    `last 24 h   ${r.done24h} done, ${r.dead24h} dead, ${r.superseded24h} superseded`,
    `capture     ${s.capture.rows === 0 ? 'nothing waiting to be folded'
      : `${plural(s.capture.rows, 'row')} waiting to be folded, the oldest ${formatSeconds(s.capture.oldestAgeSeconds)} old` +
        (s.capture.oldestAgeSeconds > 60 ? ' (no listener or pg_cron folding? see mana_ai.v_capture_backlog)' : '')}`,
    `quarantine  ${plural(s.quarantine.total, 'row')} (${s.quarantine.last24h} in the last 24 h, ${s.quarantine.skipped} skipped entirely)`,
    `last tick   ${s.tick.lastTickAt === null ? 'never' : `${s.tick.lastTickAt} (${formatSeconds(s.tick.ageSeconds ?? 0)} ago)`}, ${plural(s.tick.ticks, 'tick')} so far`,
    `pg_cron     ${s.pgCron ? 'present in this database (migrate schedules the job mana-ai-tick every minute)' : 'absent in this database (only the listeners\' timers tick)'}`,
    '',
  ];
  if (s.agents.length === 0) {
    lines.push('agents      none with running, queued, failed, blocked or gated work', '');
  } else {
    lines.push('agents with work:');
    lines.push(table(
      ['user', 'agent', 'state', 'running/quota', 'expired', 'queued', 'failed', 'blocked', 'gated'],
      s.agents.map((a) => [
        a.userId, a.agentId ?? '(legacy principal)', a.state, `${a.running}/${a.quota ?? '∞'}${a.atQuota ? ' full' : ''}`,
        a.runningExpired, a.queued, a.failed, a.blocked, a.gated,
      ]),
    ));
  }
  return lines.join('\n');
}

/** The `status` command. */
export const statusCommand = {
  summary: 'overview: due missions, runs by status, agent load, quarantine, last tick, pg_cron (read-only, admin)',
  usage: USAGE,
  run(args: string[], io: CliIo): Promise<number> {
    return withUsage('status', io, async () => {
      const parsed = parseOptions(args, { json: { type: 'boolean' } });
      const status = await readStatus(io.env);
      io.stdout(parsed.values.json ? jsonLine(status) : formatStatus(status));
      return 0;
    });
  },
};
