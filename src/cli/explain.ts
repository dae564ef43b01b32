/**
 * `mana-ai explain <missionId> [--user <id>]`: why a mission is or is not due. The decisions live in
 * `mana_ai.explain_mission()` (read as the admin in a READ ONLY transaction), which answers in codes
 * (verdict, cause, notes) and facts; this module words them.
 * Exit codes: 0 explained, 1 no such mission, 2 usage error or an id several users share (names them).
 */
import { parseOptions, stringOption, UsageError, withUsage } from './args.js';
import type { CliIo } from './commands.js';
import { withAdminClient } from './db.js';
import { formatSeconds, jsonLine, plural, table } from './format.js';

/** One ledger run as explain_mission lists it (newest slot first). */
export interface ExplainedRun {
  runId: number;
  slot: string;
  status: string;
  attempts: number;
  worker: string | null;
  errorClass: string | null;
  lastError: string | null;
  iterationId: string | null;
  finishedAt: string | null;
  retryAt: string | null;
}

/** What `mana_ai.explain_mission()` returns; the optional parts are absent for not-found/ambiguous. */
export interface Explanation {
  missionId: string;
  userId: string | null;
  now: string;
  found: boolean;
  verdict: string;
  /** Refines the verdict: see the header of explain_mission.sql for the codes. */
  cause: string | null;
  due: boolean;
  users?: string[];
  /** Codes that hold whatever the verdict: cadence-invalid, agent-unresolved, agent-gated. */
  notes?: string[];
  mission?: {
    present: boolean; deleted: boolean; state: string | null; agentId: string | null; cadence: unknown;
    cadenceError: string | null; nextRunAt: string | null; nextRunAtStored: unknown; dueAt: string | null;
    nextSlotIfRunNow: string | null; rowsApplied: number; lastChangeAt: string | null;
  };
  agent?: {
    id: string; resolved: boolean; found: boolean; present: boolean | null; deleted: boolean | null;
    state: string | null; name: string | null; quota: number | null; runningLive: number | null;
  } | null;
  gate?: string | null;
  slot?: {
    at: string; dueNow: boolean; lateBySeconds: number | null; dueInSeconds: number | null;
    run: {
      runId: number; status: string; attempts: number; worker: string | null; quotaBlocked: boolean; budgetBlocked?: boolean;
      budget?: { tokensUsed: number; maxTokensPerDay: number | null; freesAt: string | null } | null;
      retryAt: string | null; leaseUntil: string | null; lastError: string | null;
    } | null;
  } | null;
  runs?: ExplainedRun[];
  quarantine?: { at: string; reason: string; applied: boolean }[];
}

const USAGE = `mana-ai explain <missionId> [--user <id>] [--json]

Why this mission is or is not due, from mana_ai.explain_mission(user, mission) (psql:
select mana_ai.explain_mission('<user>', '<mission>');). It walks the decisions in the order SQL
applies them and names the first that stops the mission: not projected, folded away, deleted, state
not active (e.g. paused), no next slot (nextRunAt unset or unparseable, manual cadence), agent archived
or paused, slot still ahead; for a due mission it says what the ledger does with the slot (not yet
enqueued, queued, held back by the agent's quota, running, failed with its retry time, dead).
Also shown: the cadence and its cadence_error, the agent, the next slot a run now would set, the last
runs with their errors and quarantined rows of the mission.

Read-only. Connects as the admin (MANA_AI_ADMIN_DATABASE_URL, falling back to SYNC_DATABASE_URL).

Options:
  --user <id>   the mission's user; needed when several users have a mission with this id
  --json        the SQL function's JSON instead of text

Exit codes: 0 explained, 1 no such mission, 2 bad usage or an ambiguous id (the users are listed).
`;

/** Reads the explanation as the admin (read-only). */
export async function explainMission(env: CliIo['env'], missionId: string, userId: string | undefined): Promise<Explanation> {
  return withAdminClient(env, 'explain', async (client) => {
    const { rows } = await client.query<{ e: Explanation }>('select mana_ai.explain_mission($1, $2) as e', [userId ?? null, missionId]);
    return rows[0]!.e;
  }, { readOnly: true });
}

const yesNo = (b: boolean | null | undefined): string => (b ? 'yes' : 'no');

function agentLine(e: Explanation): string {
  const a = e.agent;
  if (!a) return 'none (legacy principal: no gate, no quota)';
  if (!a.resolved) {
    const why = !a.found ? 'does not exist' : !a.present ? 'folded away' : 'is deleted';
    return `${a.id} ${why} → runs as the legacy principal (no gate, no quota)`;
  }
  return `${a.id}${a.name ? ` "${a.name}"` : ''}: ${a.state ?? 'no state'}, quota ${a.quota ?? '-'}, ${a.runningLive ?? 0} running with a live lease`;
}

function slotLine(e: Explanation): string {
  const s = e.slot;
  if (!s) return 'none';
  const when = s.dueNow ? `due, ${formatSeconds(s.lateBySeconds ?? 0)} late` : `in ${formatSeconds(s.dueInSeconds ?? 0)}`;
  const run = s.run
    ? `run ${s.run.runId} ${s.run.status}${s.run.quotaBlocked ? ' (held back by the quota)' : ''}${s.run.budgetBlocked ? ' (waiting for the token budget)' : ''}, attempt ${s.run.attempts}`
    : 'no run yet';
  return `${s.at} (${when}); ${run}`;
}

/** The verdict in one sentence. */
export function summarize(e: Explanation): string {
  const m = e.mission;
  const a = e.agent;
  const run = e.slot?.run;
  switch (e.verdict) {
    case 'ambiguous':
      return `${(e.users ?? []).length} users have a mission with id ${e.missionId}: name one of them`;
    case 'not-found':
      return e.userId === null
        ? `no user has a projected ai mission with id ${e.missionId} (never synced, or not in app ai / table aiMissions)`
        : `user ${e.userId} has no projected ai mission with id ${e.missionId} (never synced, or another user's mission)`;
    case 'absent': return 'not due: the mission folded away (tombstone: hard-deleted, or no rows left in the log)';
    case 'deleted': return 'not due: the mission is deleted (deletedAt is set)';
    case 'not-active':
      return e.cause === 'no-state'
        ? 'not due: the mission has no state (only state "active" is due)'
        : `not due: the mission is ${m?.state} (state = "${m?.state}"; only "active" is due)`;
    case 'no-slot': return `not due: no next slot — ${noSlotReason(e)}`;
    case 'agent-archived': return `not run: agent archived — agent ${a?.id} is archived, so its missions are skipped (skipped-archived)`;
    case 'agent-paused': return `not run: agent paused — agent ${a?.id} is paused, so its missions are skipped (skipped-paused)`;
    case 'not-yet-due': return `not due yet: next slot ${e.slot?.at}`;
    case 'due': return `due since ${e.slot?.at}: ${e.cause === 'not-enqueued' || !run ? 'no run for this slot yet (the next tick enqueues it)' : dueReason(e.cause, run, a)}`;
    default: return `verdict ${e.verdict}`;
  }
}

function noSlotReason(e: Explanation): string {
  const stored = e.mission?.nextRunAtStored;
  switch (e.cause) {
    case 'next-run-at-unparseable': return `nextRunAt ${JSON.stringify(stored)} is not a parseable instant`;
    case 'next-run-at-not-string': return `nextRunAt is a ${Array.isArray(stored) ? 'array' : typeof stored}, not a string`;
    case 'cadence-invalid': return `nextRunAt is not set and the cadence is invalid (${e.mission?.cadenceError})`;
    case 'manual-cadence': return 'manual cadence and nextRunAt is not set (it runs only when a device sets nextRunAt)';
    case 'cron-no-fire': return 'cron cadence without a fire time after createdAt';
    default: return 'nextRunAt is not set (a device sets it on create, cadence change or resume)';
  }
}

type SlotRun = NonNullable<NonNullable<Explanation['slot']>['run']>;

function dueReason(cause: string | null, run: SlotRun, agent: Explanation['agent']): string {
  const error = run.lastError ?? 'no message';
  switch (cause) {
    case 'budget-blocked':
      return `run ${run.runId} waits for the agent's token budget (skipped-budget): ${run.budget?.tokensUsed ?? '?'} of ` +
        `maxTokensPerDay ${run.budget?.maxTokensPerDay ?? '?'} tokens used in the last 24 h; claimable again at ${run.budget?.freesAt ?? '?'}`;
    case 'quota-blocked':
      return `run ${run.runId} is queued but held back by the agent's quota (${agent?.runningLive ?? 0} of ${agent?.quota ?? '-'} running)`;
    case 'queued': return `run ${run.runId} is queued for the next claim`;
    case 'running': return `run ${run.runId} is running on ${run.worker} (attempt ${run.attempts}, lease until ${run.leaseUntil})`;
    case 'lease-lost': return `run ${run.runId} lost its lease (worker ${run.worker}); it is re-claimed or swept`;
    case 'retry-now': return `run ${run.runId} failed (attempt ${run.attempts}) and may be retried now: ${error}`;
    case 'retry-later': return `run ${run.runId} failed (attempt ${run.attempts}: ${error}); retry at ${run.retryAt ?? 'the next tick'}`;
    default: return `run ${run.runId} is ${run.status} (the schedule advances when its row is folded)`;
  }
}

/** The notes in words. */
export function noteLines(e: Explanation): string[] {
  const a = e.agent;
  return (e.notes ?? []).map((note) => {
    switch (note) {
      case 'cadence-invalid':
        return `cadence_error: ${e.mission?.cadenceError} — after a run nextRunAt becomes null and the mission stops being due`;
      case 'agent-unresolved':
        return `agent ${a?.id} ${!a?.found ? 'does not exist' : !a.present ? 'folded away' : 'is deleted'}: the mission runs as the legacy principal (no gate, no quota)`;
      case 'agent-gated':
        return `agent ${a?.id} is ${a?.state}: once due, the mission is skipped (${e.gate})`;
      default:
        return note;
    }
  });
}

/** The human form of an {@link Explanation}. */
export function formatExplanation(e: Explanation): string {
  const head = `mission ${e.missionId}${e.userId ? ` of user ${e.userId}` : ''}: ${e.verdict}`;
  if (!e.found || !e.mission) return `${head}\n  ${summarize(e)}\n`;
  const m = e.mission;
  const cadence = `${JSON.stringify(m.cadence ?? null)}${m.cadenceError ? `  INVALID — cadence_error: ${m.cadenceError}` : ''}`;
  const stored = m.nextRunAtStored === null || m.nextRunAtStored === undefined ? 'not set' : JSON.stringify(m.nextRunAtStored);
  const lines = [
    head,
    `  ${summarize(e)}`,
    '',
    `record      present ${yesNo(m.present)}, deleted ${yesNo(m.deleted)}, state ${m.state ?? '(none)'}`,
    `cadence     ${cadence}`,
    `nextRunAt   ${stored}${m.nextRunAt && JSON.stringify(m.nextRunAt) !== stored ? ` (= ${m.nextRunAt})` : ''}`,
    `slot        ${slotLine(e)}`,
    `agent       ${agentLine(e)}`,
    `gate        ${e.gate ?? 'none'}`,
    `after a run nextRunAt would be ${m.nextSlotIfRunNow ?? 'null (the mission stops being due)'}`,
    `as of ${e.now}; ${plural(Number(m.rowsApplied), 'row')} folded, the last at ${m.lastChangeAt ?? '-'}`,
  ];
  const notes = noteLines(e);
  if (notes.length > 0) lines.push('', 'notes:', ...notes.map((n) => `  - ${n}`));
  const runs = e.runs ?? [];
  lines.push('', runs.length === 0 ? 'last runs: none' : 'last runs:');
  if (runs.length > 0) {
    lines.push(table(['run', 'slot', 'status', 'attempts', 'worker', 'error'], runs.map((r) => [
      r.runId, r.slot, r.status, r.attempts, r.worker,
      r.lastError === null && r.errorClass === null ? null : `${r.errorClass ?? 'error'}: ${r.lastError ?? ''}`,
    ])).trimEnd());
  }
  const q = e.quarantine ?? [];
  if (q.length > 0) {
    lines.push('', 'quarantined rows:', ...q.map((x) => `  ${x.at}  ${x.applied ? 'applied' : 'skipped'}  ${x.reason}`));
  }
  return `${lines.join('\n')}\n`;
}

/** The `explain` command. */
export const explainCommand = {
  summary: 'why a mission is or is not due: state, agent gate, cadence and cadence_error, slot, last runs (admin)',
  usage: USAGE,
  run(args: string[], io: CliIo): Promise<number> {
    return withUsage('explain', io, async () => {
      const parsed = parseOptions(args, { user: { type: 'string' }, json: { type: 'boolean' } }, 1);
      const missionId = parsed.positionals[0];
      if (!missionId) throw new UsageError('a mission id is required');
      const user = stringOption(parsed, 'user');
      if (user === '') throw new UsageError('--user needs a user id');
      const e = await explainMission(io.env, missionId, user);
      if (parsed.values.json) io.stdout(jsonLine(e));
      if (e.verdict === 'ambiguous') {
        io.stderr(`mana-ai explain: ${(e.users ?? []).length} users have a mission with id ${missionId}: ${(e.users ?? []).join(', ')}\n` +
          `Run again with --user <id>, e.g. mana-ai explain ${missionId} --user ${(e.users ?? [])[0] ?? '<id>'}\n`);
        return 2;
      }
      if (!parsed.values.json) io.stdout(formatExplanation(e));
      return e.found ? 0 : 1;
    });
  },
};
