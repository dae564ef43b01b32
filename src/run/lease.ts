/**
 * The lease a listener holds on one claimed run while it plans it (docs/scheduling.md §5.3): heartbeats
 * extend it every third of its length; a heartbeat answered NULL, or a leased SQL call refused with
 * LeaseLostError, means another listener owns the run now, and the holder is told once (onLost).
 * Once the run's final SQL call (complete, fail, release) has been sent, no heartbeat is sent, and one
 * still in flight that finds the run finished by that very call is our own ending, not a lost lease
 * (the final call is fenced by the token itself).
 */
import type { Calls } from '../db/calls.js';
import { coerceError, LeaseLostError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

export interface LeaseOptions {
  calls: Pick<Calls, 'extendLease'>;
  metrics: Pick<Metrics, 'leaseExtensions'>;
  log: Logger;
  runId: string;
  token: string;
  leaseMs: number;
  /** Heartbeat period; default a third of the lease (at least 250 ms). */
  heartbeatMs?: number;
  /** Called once when the lease is lost, with why. */
  onLost(why: string): void;
}

export interface Lease {
  /** Whether the lease was lost. */
  readonly lost: boolean;
  /** Runs a SQL call that needs the lease: a LeaseLostError loses it (and is rethrown). */
  leased<T>(call: Promise<T>): Promise<T>;
  /** Sends the run's final SQL call: heartbeats stop, and their late answers no longer count. */
  settle<T>(call: () => Promise<T>): Promise<T>;
  /** Stops the heartbeats (always, when the run ends). */
  stop(): void;
}

/** Starts the heartbeats of a freshly claimed run. */
export function holdLease(options: LeaseOptions): Lease {
  const { calls, metrics, log } = options;
  let lost = false;
  let settling = false;
  const lose = (why: string) => {
    if (lost) return;
    lost = true;
    log.warn(`lease lost (${why}): another listener owns this run now; abandoning it`);
    options.onLost(why);
  };
  const heartbeat = setInterval(() => {
    if (settling) return;
    calls.extendLease(options.runId, options.token, options.leaseMs).then(
      (until) => {
        if (settling) return;
        metrics.leaseExtensions.inc({ result: until ? 'ok' : 'lost' });
        if (!until) lose('heartbeat');
      },
      (error) => log.warn('lease extension failed', { message: coerceError(error).message }),
    );
  }, options.heartbeatMs ?? Math.max(250, Math.floor(options.leaseMs / 3)));
  heartbeat.unref();
  return {
    get lost() {
      return lost;
    },
    async leased(call) {
      try {
        return await call;
      } catch (error) {
        if (error instanceof LeaseLostError) lose(error.sqlState);
        throw error;
      }
    },
    settle(call) {
      settling = true;
      return call();
    },
    stop() {
      clearInterval(heartbeat);
    },
  };
}
