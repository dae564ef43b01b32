/**
 * The drain loop: claim runs in batches up to the free concurrency and process them concurrently
 * until a claim returns nothing. Wake-ups (NOTIFY, timers, ticks, reconnects) only ask for a drain;
 * overlapping requests collapse into one more pass. All correctness (one plan per slot, quotas,
 * leases) comes from the SQL ledger, so any number of runners may drain one database.
 */
import { coerceError } from '../errors.js';
import type { ClaimedRun } from '../db/calls.js';
import { processRun, type ProcessRunDeps, type RunResult } from './process-run.js';

export interface RunnerOptions extends Omit<ProcessRunDeps, 'signal'> {
  worker: string;
  concurrency: number;
}

export interface Runner {
  /** Ask for a drain; resolves when the drain pass that covers this request has claimed all it could. */
  drain(reason: string): Promise<void>;
  /** Drain and wait until every run claimed meanwhile has finished; returns their results. */
  drainAndWait(reason: string): Promise<RunResult[]>;
  /** Runs in flight now. */
  inFlight(): number;
  /** Stop claiming; let in-flight runs finish within graceMs, then abort them (their slots are released). */
  stop(graceMs: number): Promise<void>;
}

export function createRunner(options: RunnerOptions): Runner {
  const { calls, metrics, logger } = options;
  const shutdown = new AbortController();
  const running = new Map<string, Promise<RunResult>>();
  const collectors = new Set<RunResult[]>();
  let stopping = false;
  let pass: Promise<void> | null = null;
  let again = false;

  const start = (run: ClaimedRun) => {
    const p = processRun(run, { ...options, signal: shutdown.signal })
      .catch((error): RunResult => {
        logger.error('run crashed', { run_id: run.run_id, message: coerceError(error).message });
        return { outcome: 'failed', missionId: run.mission_id, parseFailure: false, planProduced: false, message: coerceError(error).message };
      })
      .then((result) => {
        running.delete(run.run_id);
        metrics.runsInFlight.set(running.size);
        for (const c of collectors) c.push(result);
        if (!stopping) void drain('slot-free');
        return result;
      });
    running.set(run.run_id, p);
    metrics.runsInFlight.set(running.size);
  };

  const claimLoop = async () => {
    do {
      again = false;
      while (!stopping) {
        const free = options.concurrency - running.size;
        if (free <= 0) break;
        if (options.llm.isOpen()) {
          metrics.llmCircuitOpen.set(1);
          break;
        }
        metrics.llmCircuitOpen.set(0);
        let claimed: ClaimedRun[];
        try {
          claimed = await calls.claimAndLoadRuns(options.worker, free, options.leaseMs);
        } catch (error) {
          logger.error('claim failed', { message: coerceError(error).message });
          break;
        }
        if (claimed.length === 0) break;
        metrics.runClaims.inc(claimed.length);
        for (const run of claimed) start(run);
      }
    } while (again && !stopping);
  };

  const drain = (reason: string): Promise<void> => {
    if (pass) {
      again = true;
      return pass;
    }
    logger.debug('drain', { reason });
    pass = claimLoop().finally(() => {
      pass = null;
    });
    return pass;
  };

  return {
    drain,
    async drainAndWait(reason) {
      const results: RunResult[] = [];
      collectors.add(results);
      try {
        await drain(reason);
        // Runs finishing trigger further drains; wait until nothing is running and nothing is claimable.
        while (running.size > 0 || pass) {
          await Promise.race([...running.values(), ...(pass ? [pass] : [])]);
          if (pass) await pass;
        }
        return results;
      } finally {
        collectors.delete(results);
      }
    },
    inFlight: () => running.size,
    async stop(graceMs) {
      stopping = true;
      if (pass) await pass.catch(() => undefined);
      const all = Promise.allSettled([...running.values()]);
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), graceMs);
      });
      if ((await Promise.race([all, expired])) === 'expired') {
        logger.warn('grace period over: aborting in-flight runs and releasing their slots', { in_flight: running.size });
        shutdown.abort(new Error('listener shutting down'));
        await all;
      }
      clearTimeout(timer);
    },
  };
}
