/**
 * When the listener works: every wake-up (NOTIFY, the next-wakeup timer, the periodic tick, the
 * periodic fold, a (re)connect, POST /internal/tick) ends up in {@link Scheduler.wake} or
 * {@link Scheduler.tickNow}. A wake-up first folds the capture queue (docs/architecture.md §3: a claim
 * must see what was committed before it), runs the SQL tick when its reason calls for one, asks the
 * runner to drain (claim and process what is claimable), then re-arms the timer for the next instant
 * something becomes due. All state that decides *what* runs is in SQL; this module only decides *when*.
 */
import type { FoldStats, SqlTickStats } from '../db/calls.js';
import { coerceError } from '../errors.js';
import type { TickStats } from '../http/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { RunResult } from '../run/process-run.js';

/** Why the listener woke up; the label of `mana_ai_wakeups_total{reason}`. */
export const WAKEUP_REASONS = ['notify', 'timer', 'tick', 'connected', 'manual', 'fold'] as const;
export type WakeupReason = (typeof WAKEUP_REASONS)[number];

/** Wake-ups that run the SQL tick before draining (a NOTIFY already means something is claimable). */
const TICKING_REASONS: ReadonlySet<WakeupReason> = new Set(['timer', 'tick', 'connected']);

/**
 * The periodic fold (docs/architecture.md §3): captured rows that woke nobody (a title edit, a
 * nextRunAt further ahead) are folded by it. While folds find rows it runs every FOLD_INTERVAL_MIN_MS
 * (under sync traffic a row waits ~0.1 s to be projected); each empty fold doubles the pause up to
 * FOLD_INTERVAL_MS, so an idle listener asks once a second. The capture trigger's wake horizon (2 s)
 * covers the longest pause.
 */
export const FOLD_INTERVAL_MS = 1_000;
export const FOLD_INTERVAL_MIN_MS = 100;
/** Rows per mana_ai.fold() call (one transaction each); a pass repeats while a batch comes back full. */
export const FOLD_BATCH = 250;
/**
 * When a pass's first batch comes back full the queue is behind (a burst, or sync traffic that one
 * folder cannot keep up with because every busy backend gets the same share of the CPU): the pass goes
 * on with this many folders at once, each on its own connection, taking disjoint batches (SKIP LOCKED).
 */
export const FOLD_WORKERS = 3;

export interface SchedulerDeps {
  /** `mana_ai.tick()`: enqueue due slots, sweep leases. */
  tick(): Promise<SqlTickStats>;
  /** `mana_ai.next_wakeup()`: the next instant something becomes due or claimable, or null. */
  nextWakeup(): Promise<Date | null>;
  /** `mana_ai.fold(limit)`: fold one batch of the capture queue. */
  fold(limit: number): Promise<FoldStats>;
  runner: { drain(reason: string): Promise<void>; drainAndWait(reason: string): Promise<RunResult[]> };
  metrics: Pick<Metrics, 'ticks' | 'tickDuration' | 'wakeups'>;
  logger: Logger;
  /** The periodic tick's period, also the longest the timer sleeps. */
  tickIntervalMs: number;
  /** Run the periodic tick (TICK_ENABLED). */
  tickEnabled: boolean;
}

export interface Scheduler {
  /** One wake-up: tick if the reason calls for it, drain, re-arm the timer. Never rejects. */
  wake(reason: WakeupReason): Promise<void>;
  /** POST /internal/tick: tick, drain and wait for every run it started; the reference's stats. */
  tickNow(): Promise<TickStats>;
  /** Starts the periodic tick (when enabled) and fold, and does the first wake-up ('connected'). */
  start(): Promise<void>;
  /** Stops the periodic tick, the periodic fold and the timer; later wake-ups do nothing. */
  stop(): void;
  /** Whether the periodic tick is running (for /health). */
  tickRunning(): boolean;
}

const MAX_TIMEOUT_MS = 2_147_483_647;

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { runner, metrics, logger } = deps;
  let stopping = false;
  let tickInterval: NodeJS.Timeout | undefined;
  let wakeTimer: NodeJS.Timeout | undefined;
  let foldTimer: NodeJS.Timeout | undefined;
  let foldPause = FOLD_INTERVAL_MIN_MS;
  let foldPass: Promise<number> | null = null;
  let foldAgain = false;
  /** After a failed next_wakeup (a transient database error) the timer looks again this soon. */
  const wakeupRetryMs = Math.min(5_000, deps.tickIntervalMs);
  let armCalls = 0;

  const sqlTick = async (): Promise<SqlTickStats> => {
    const stats = await deps.tick();
    metrics.ticks.inc();
    return stats;
  };

  /**
   * Folds the capture queue until a batch comes back short (with FOLD_WORKERS folders at once when the
   * first batch is full). A call made while a pass runs makes that pass go round once more, so the pass
   * it waits for covers every row committed before the call. Resolves with the rows folded.
   */
  const foldAll = (): Promise<number> => {
    if (foldPass) {
      foldAgain = true;
      return foldPass;
    }
    const loop = async (): Promise<number> => {
      let rows = 0;
      for (;;) {
        const batch = (await deps.fold(FOLD_BATCH)).rows;
        rows += batch;
        if (batch < FOLD_BATCH || stopping) return rows;
      }
    };
    foldPass = (async () => {
      let total = 0;
      do {
        foldAgain = false;
        const first = (await deps.fold(FOLD_BATCH)).rows;
        total += first;
        if (first === FOLD_BATCH && !stopping) {
          const counts = await Promise.all(Array.from({ length: FOLD_WORKERS }, loop));
          total += counts.reduce((sum, n) => sum + n, 0);
        }
      } while (foldAgain && !stopping);
      return total;
    })().finally(() => {
      foldPass = null;
    });
    return foldPass;
  };

  /** The periodic fold: when it projected anything, that may have made work due or moved the timer. */
  const foldNow = async () => {
    if (stopping) return;
    let folded = 0;
    try {
      folded = await foldAll();
      if (folded > 0) await wake('fold');
    } catch (error) {
      logger.warn('fold failed', { message: coerceError(error).message });
    }
    if (stopping) return;
    foldPause = folded > 0 ? FOLD_INTERVAL_MIN_MS : Math.min(FOLD_INTERVAL_MS, foldPause * 2);
    foldTimer = setTimeout(() => void foldNow(), foldPause);
    foldTimer.unref();
  };

  const setTimer = (delayMs: number) => {
    wakeTimer = setTimeout(() => void wake('timer'), delayMs);
    wakeTimer.unref();
  };

  /**
   * Re-arms the timer for the next instant something becomes due or claimable. Calls overlap (every
   * wake-up ends here), so only the latest one decides: an older, slower answer never replaces a newer
   * one. A failed read must not drop the timer (the mission would wait for the periodic tick, or forever
   * with TICK_ENABLED=false): it retries (test/chaos/02-postgres-restart.test.ts).
   */
  const armTimer = async () => {
    if (stopping) return;
    const call = ++armCalls;
    let next: Date | null = null;
    let failed = false;
    try {
      next = await deps.nextWakeup();
    } catch (error) {
      failed = true;
      logger.warn('next_wakeup failed', { message: coerceError(error).message });
    }
    if (stopping || call !== armCalls) return;
    clearTimeout(wakeTimer);
    if (failed) return setTimer(wakeupRetryMs);
    if (!next) return;
    setTimer(Math.min(Math.max(0, new Date(next).getTime() - Date.now()), deps.tickIntervalMs, MAX_TIMEOUT_MS));
  };

  /** The wake path: every reason except 'manual' comes through here. */
  const wake = async (reason: WakeupReason) => {
    if (stopping) return;
    metrics.wakeups.inc({ reason });
    try {
      // (the periodic fold wakes up with 'fold' right after a pass of its own: no second pass)
      if (reason !== 'fold') await foldAll();
      if (TICKING_REASONS.has(reason)) {
        const started = performance.now();
        const stats = await sqlTick();
        metrics.tickDuration.observe((performance.now() - started) / 1000);
        if (reason !== 'timer') logger.info('tick', { source: reason, ...stats });
      }
      await runner.drain(reason);
    } catch (error) {
      logger.error('wake-up failed', { reason, message: coerceError(error).message });
    }
    await armTimer();
  };

  const tickNow = async (): Promise<TickStats> => {
    const started = performance.now();
    metrics.wakeups.inc({ reason: 'manual' });
    await foldAll();
    const stats = await sqlTick();
    const results = await runner.drainAndWait('manual');
    metrics.tickDuration.observe((performance.now() - started) / 1000);
    void armTimer();
    return tickStats(stats, results);
  };

  return {
    wake,
    tickNow,
    async start() {
      if (deps.tickEnabled) tickInterval = setInterval(() => void wake('tick'), deps.tickIntervalMs);
      foldTimer = setTimeout(() => void foldNow(), FOLD_INTERVAL_MIN_MS);
      foldTimer.unref();
      await wake('connected');
    },
    stop() {
      stopping = true;
      clearInterval(tickInterval);
      tickInterval = undefined;
      clearTimeout(wakeTimer);
      clearTimeout(foldTimer);
    },
    tickRunning: () => tickInterval !== undefined,
  };
}

/** The reference's tick answer from the SQL tick and the runs the manual drain finished. */
export function tickStats(stats: SqlTickStats, results: readonly RunResult[]): TickStats {
  return {
    scannedAt: stats.scannedAt,
    dueMissionCount: stats.dueMissionCount,
    plansProduced: results.filter((r) => r.outcome === 'done' || ('planProduced' in r && r.planProduced)).length,
    plansWrittenBack: results.filter((r) => r.outcome === 'done').length,
    parseFailures: results.filter((r) => 'parseFailure' in r && r.parseFailure).length,
    errors: results
      .filter((r) => r.outcome === 'failed' || r.outcome === 'dead')
      .map((r) => `mission=${r.missionId}: ${'message' in r ? r.message : r.outcome}`),
  };
}
