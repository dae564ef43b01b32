/**
 * Prometheus metrics (docs/operations.md §3) on a registry of our own, never prom-client's global one,
 * so tests and several instances in one process never collide. Reference series keep their exact
 * names, types, labels and buckets (KI-20); everything the project adds has a new name.
 *
 * Snapshot counters and the SQL-side agent decisions are counted inside Postgres; they are read at
 * scrape time through an injected reader (a prom-client `collect` callback), never estimated here.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { UNWRAP_REASONS, type UnwrapReason } from './crypto/grant.js';
import { errorFields } from './errors.js';
import { LLM_ATTEMPT_OUTCOMES, type LlmAttemptOutcome } from './llm/client.js';
import { WAKEUP_REASONS, type WakeupReason } from './schedule/scheduler.js';
import { silentLogger, type Logger } from './log.js';

/** Label values of `mana_ai_grant_skips_total{reason}`: the reasons unwrapGrant reports. */
export const GRANT_SKIP_REASONS = UNWRAP_REASONS;
/** Label values of `mana_ai_agent_decisions_total{decision}`. */
export const AGENT_DECISIONS = ['ran', 'skipped-paused', 'skipped-archived', 'skipped-concurrency', 'skipped-budget'] as const;
/** Label values of `mana_ai_runs_total{outcome}`. */
export const RUN_OUTCOMES = ['done', 'superseded', 'failed', 'dead', 'released'] as const;
/** Label values of `mana_ai_lease_extensions_total{result}`. */
export const LEASE_RESULTS = ['ok', 'lost'] as const;
/** Label values of `mana_ai_llm_attempts_total{outcome}`: the outcomes the LLM client reports. */
export { LLM_ATTEMPT_OUTCOMES };
/** Label values of `mana_ai_wakeups_total{reason}`: the scheduler's wake-up reasons. */
export { WAKEUP_REASONS };

export type GrantSkipReason = UnwrapReason;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];
export type LeaseResult = (typeof LEASE_RESULTS)[number];
export type { LlmAttemptOutcome };
export type { WakeupReason };

/**
 * Keys the SQL counter reader returns (names in `mana_ai_private.counters`). Missing keys keep
 * their last value; values are cumulative totals, not deltas.
 */
export const SQL_COUNTERS = {
  snapshotsNew: 'snapshots_new',
  snapshotsUpdated: 'snapshots_updated',
  snapshotRowsApplied: 'snapshot_rows_applied',
  skippedPaused: 'agent_decisions:skipped-paused',
  skippedArchived: 'agent_decisions:skipped-archived',
  skippedConcurrency: 'agent_decisions:skipped-concurrency',
  skippedBudget: 'agent_decisions:skipped-budget',
  /** Runs that died: finished by fail_run or by a tick, wherever the last attempt ended. */
  runsDead: 'runs:dead',
  /** Captured sync_changes rows folded into the projections (mana_ai.fold() and tick()). */
  foldRows: 'fold_rows',
  /** Gauges of the capture queue, read at scrape time: rows not yet folded, age of the oldest (ms). */
  captureBacklogRows: 'capture_backlog_rows',
  captureBacklogOldestAgeMs: 'capture_backlog_oldest_age_ms',
} as const;

/** Reads the cumulative SQL-side counters, keyed by {@link SQL_COUNTERS} values. */
export type SqlCounterReader = () => Promise<Record<string, number>>;

export interface MetricsOptions {
  readSqlCounters?: SqlCounterReader;
  /** Gets one warning when the SQL read starts failing (and one info when it recovers). */
  logger?: Logger;
  /** A scrape waits at most this long for SQL; default 2000. */
  sqlReadTimeoutMs?: number;
}

/** Metric handles plus the registry that holds them. */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'path' | 'status'>;
  readonly httpRequestDuration: Histogram<'method' | 'path' | 'status'>;
  readonly ticks: Counter;
  readonly tickDuration: Histogram;
  readonly plansProduced: Counter;
  readonly plansWrittenBack: Counter;
  readonly parseFailures: Counter;
  readonly missionErrors: Counter;
  readonly plannerRequestDuration: Histogram;
  readonly snapshotsNew: Counter;
  readonly snapshotsUpdated: Counter;
  readonly snapshotRowsApplied: Counter;
  readonly foldRows: Counter;
  readonly captureBacklogRows: Gauge;
  readonly captureBacklogOldestAge: Gauge;
  readonly decrypts: Counter<'table'>;
  readonly grantScopeViolations: Counter<'table'>;
  readonly grantSkips: Counter<'reason'>;
  /** Only `ran` is counted by the listener (use {@link Metrics.countAgentRan}); `skipped-*` come from SQL. */
  readonly agentDecisions: Counter<'decision'>;
  readonly runs: Counter<'outcome'>;
  readonly runClaims: Counter;
  readonly leaseExtensions: Counter<'result'>;
  readonly llmAttempts: Counter<'outcome'>;
  readonly llmRetries: Counter;
  readonly llmCircuitOpen: Gauge;
  readonly dueToLlm: Histogram;
  readonly runsInFlight: Gauge;
  readonly wakeups: Counter<'reason'>;
  /** LLM tokens (`usage.total_tokens`) of every received answer; per agent they live in SQL (v_token_budget). */
  readonly tokensUsed: Counter;
  /** Prompt inputs cut by the input size limit (MANA_AI_PROMPT_MAX_CHARS). */
  readonly promptInputsCut: Counter;
  /** Counts `mana_ai_agent_decisions_total{decision="ran"}` (a run of a mission with a resolved agent). */
  countAgentRan(n?: number): void;
}

/** Creates the registry, default process metrics (prefix `mana_ai_`) and every project family. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'mana-ai' });
  collectDefaultMetrics({ register: registry, prefix: 'mana_ai_' });
  const registers = [registry];
  const sql = createSqlCounterSource(options);

  const counter = <L extends string = never>(name: string, help: string, labelNames: L[] = [],
    preset: Partial<Record<L, readonly string[]>> = {}): Counter<L> => {
    const c = new Counter<L>({ name, help, labelNames, registers });
    for (const [label, values] of Object.entries(preset) as [L, readonly string[]][]) {
      for (const v of values) c.inc({ [label]: v } as Partial<Record<L, string>>, 0);
    }
    return c;
  };
  const histogram = <L extends string = never>(name: string, help: string, buckets: number[], labelNames: L[] = []) =>
    new Histogram<L>({ name, help, buckets, labelNames, registers });
  /** An unlabelled counter whose value is the SQL total at scrape time. */
  const sqlCounter = (name: string, help: string, key: string): Counter =>
    new Counter({ name, help, registers, async collect() {
      const v = pick(await sql.read(), key);
      if (v !== undefined) { this.reset(); this.inc(v); }
    } });

  /** An unlabelled gauge whose value is a SQL reading at scrape time, times `scale`. */
  const sqlGauge = (name: string, help: string, key: string, scale = 1): Gauge =>
    new Gauge({ name, help, registers, async collect() {
      const v = pick(await sql.read(), key);
      if (v !== undefined) this.set(v * scale);
    } });

  const skipped: [string, string][] = [['skipped-paused', SQL_COUNTERS.skippedPaused],
    ['skipped-archived', SQL_COUNTERS.skippedArchived], ['skipped-concurrency', SQL_COUNTERS.skippedConcurrency],
    ['skipped-budget', SQL_COUNTERS.skippedBudget]];
  const agentDecisions = new Counter<'decision'>({
    name: 'mana_ai_agent_decisions_total', help: 'Agent gate decisions, for missions with a resolved agent',
    labelNames: ['decision'], registers,
    async collect() {
      const values = await sql.read();
      for (const [decision, key] of skipped) {
        const v = pick(values, key);
        if (v !== undefined) { this.remove({ decision }); this.inc({ decision }, v); }
      }
    },
  });
  for (const decision of AGENT_DECISIONS) agentDecisions.inc({ decision }, 0);
  // outcome="dead" is read from SQL: a run also dies in a tick (lease expired on its last attempt),
  // where no listener sees it. The other outcomes are this listener's own.
  const runs = new Counter<'outcome'>({
    name: 'mana_ai_runs_total', help: 'Runs finished, by outcome (dead: database-wide, from SQL)',
    labelNames: ['outcome'], registers,
    async collect() {
      const v = pick(await sql.read(), SQL_COUNTERS.runsDead);
      if (v !== undefined) { this.remove({ outcome: 'dead' }); this.inc({ outcome: 'dead' }, v); }
    },
  });
  for (const outcome of RUN_OUTCOMES) runs.inc({ outcome }, 0);

  return {
    registry,
    httpRequests: counter('mana_ai_http_requests_total', 'HTTP requests', ['method', 'path', 'status']),
    httpRequestDuration: histogram('mana_ai_http_request_duration_seconds', 'HTTP request duration',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], ['method', 'path', 'status']),
    ticks: counter('mana_ai_ticks_total', 'Ticks that ran (not overlap-skipped)'),
    tickDuration: histogram('mana_ai_tick_duration_seconds', 'Duration of ticks that ran',
      [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120]),
    plansProduced: counter('mana_ai_plans_produced_total', 'Plans that parsed'),
    plansWrittenBack: counter('mana_ai_plans_written_back_total', 'Iteration rows inserted'),
    parseFailures: counter('mana_ai_parse_failures_total', 'Plans the parser rejected'),
    missionErrors: counter('mana_ai_mission_errors_total', 'Exceptions in per-mission processing'),
    plannerRequestDuration: histogram('mana_ai_planner_request_duration_seconds', 'LLM calls, success or failure',
      [0.25, 0.5, 1, 2, 5, 10, 30, 60]),
    snapshotsNew: sqlCounter('mana_ai_snapshots_new_total', 'Mission snapshots created', SQL_COUNTERS.snapshotsNew),
    snapshotsUpdated: sqlCounter('mana_ai_snapshots_updated_total', 'Mission snapshots whose stored state changed',
      SQL_COUNTERS.snapshotsUpdated),
    snapshotRowsApplied: sqlCounter('mana_ai_snapshot_rows_applied_total', 'Mission rows folded',
      SQL_COUNTERS.snapshotRowsApplied),
    foldRows: sqlCounter('mana_ai_fold_rows_total', 'Captured ai rows folded into the projections (database-wide)',
      SQL_COUNTERS.foldRows),
    captureBacklogRows: sqlGauge('mana_ai_capture_backlog_rows', 'Captured ai rows not yet folded (database-wide)',
      SQL_COUNTERS.captureBacklogRows),
    captureBacklogOldestAge: sqlGauge('mana_ai_capture_backlog_oldest_age_seconds',
      'Age of the oldest captured ai row not yet folded (0 when none)', SQL_COUNTERS.captureBacklogOldestAgeMs, 1 / 1000),
    decrypts: counter('mana_ai_decrypts_total', 'Decrypted fields', ['table']),
    grantScopeViolations: counter('mana_ai_grant_scope_violations_total', 'Allowlist misses; must stay 0', ['table']),
    grantSkips: counter('mana_ai_grant_skips_total', 'Grants not used', ['reason'], { reason: GRANT_SKIP_REASONS }),
    agentDecisions,
    runs,
    runClaims: counter('mana_ai_run_claims_total', 'Runs claimed by this listener'),
    leaseExtensions: counter('mana_ai_lease_extensions_total', 'Lease heartbeats', ['result'],
      { result: LEASE_RESULTS }),
    llmAttempts: counter('mana_ai_llm_attempts_total', 'LLM request attempts', ['outcome'],
      { outcome: LLM_ATTEMPT_OUTCOMES }),
    llmRetries: counter('mana_ai_llm_retries_total', 'LLM attempts that were retries'),
    llmCircuitOpen: new Gauge({ name: 'mana_ai_llm_circuit_open', help: '1 while the LLM circuit is open', registers }),
    dueToLlm: histogram('mana_ai_due_to_llm_seconds', 'From a run becoming due to its LLM request',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]),
    runsInFlight: new Gauge({ name: 'mana_ai_runs_in_flight', help: 'Runs being processed', registers }),
    wakeups: counter('mana_ai_wakeups_total', 'Listener wake-ups', ['reason'], { reason: WAKEUP_REASONS }),
    tokensUsed: counter('mana_ai_tokens_used_total', 'LLM tokens (usage.total_tokens) of received answers'),
    promptInputsCut: counter('mana_ai_prompt_inputs_cut_total', 'Prompt inputs shortened or dropped by the input size limit'),
    countAgentRan: (n = 1) => agentDecisions.inc({ decision: 'ran' }, n),
  };
}

/**
 * One SQL read per scrape, shared by every collect callback of that scrape (prom-client starts them
 * all synchronously). A failed or slow read yields `undefined`, so the last value stays exposed.
 */
function createSqlCounterSource(options: MetricsOptions) {
  const read = options.readSqlCounters ?? (async () => ({}));
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.sqlReadTimeoutMs ?? 2000;
  let pending: Promise<Record<string, number> | undefined> | undefined;
  let failing = false;

  const readOnce = async (): Promise<Record<string, number> | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      const values = await Promise.race([read(), timeout]);
      if (failing) logger.info('sql counters readable again');
      failing = false;
      return values;
    } catch (error) {
      if (!failing) logger.warn('sql counters unreadable; exposing last values', { error: errorFields(error) });
      failing = true;
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    /** The totals of the current scrape, or `undefined` when SQL could not be read. */
    read(): Promise<Record<string, number> | undefined> {
      if (pending === undefined) {
        pending = readOnce();
        void pending.finally(() => { pending = undefined; });
      }
      return pending;
    },
  };
}

/** A usable cumulative total for `key`, else `undefined` (keep the last value). */
function pick(values: Record<string, number> | undefined, key: string): number | undefined {
  const v = values?.[key];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}
