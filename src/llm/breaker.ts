/**
 * A consecutive-failure circuit breaker. Closed: calls pass, transient failures are counted.
 * After `failureThreshold` in a row it opens for `cooldownMs`: calls fail fast. Then it is
 * half-open: exactly one probe passes; success closes it, a transient failure reopens it.
 */

/** Breaker settings. */
export interface BreakerOptions {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
}

/** Breaker state as reported to logs and health. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** How an attempt ended, from the breaker's point of view. */
export type BreakerOutcome = 'success' | 'transient-failure' | 'other-failure' | 'cancelled';

/** Returned by {@link CircuitBreaker.acquire}: either a permit or how long to wait. */
export type BreakerPermit =
  | { readonly ok: true; readonly probe: boolean }
  | { readonly ok: false; readonly retryInMs: number };

/** The breaker's interface. */
export interface CircuitBreaker {
  /** Asks to send one request; a granted half-open permit makes this request the probe. */
  acquire(): BreakerPermit;
  /** Reports how a granted request ended (must be called exactly once per granted permit). */
  release(permit: { readonly probe: boolean }, outcome: BreakerOutcome): void;
  /** True while calls would fail fast (open and cooling down, or a probe is in flight). */
  isOpen(): boolean;
  state(): BreakerState;
}

/**
 * Creates a breaker on the injected monotonic clock (ms). `onChange` is told of every transition.
 * A non-transient failure (4xx, bad JSON) proves the gateway is reachable, so it resets the count.
 */
export function createCircuitBreaker(
  options: BreakerOptions,
  now: () => number,
  onChange: (from: BreakerState, to: BreakerState) => void = () => undefined,
): CircuitBreaker {
  const threshold = Math.max(1, Math.floor(options.failureThreshold));
  let failures = 0;
  let openedAt: number | null = null;
  let probeInFlight = false;

  const state = (): BreakerState => {
    if (openedAt === null) return 'closed';
    return now() - openedAt >= options.cooldownMs ? 'half-open' : 'open';
  };
  const move = (to: 'closed' | 'open') => {
    const from = state();
    openedAt = to === 'open' ? now() : null;
    if (to === 'closed') failures = 0;
    if (from !== to) onChange(from, to);
  };

  return {
    acquire() {
      const s = state();
      if (s === 'closed') return { ok: true, probe: false };
      if (s === 'half-open' && !probeInFlight) {
        probeInFlight = true;
        return { ok: true, probe: true };
      }
      const retryInMs = s === 'open' && openedAt !== null ? Math.max(0, openedAt + options.cooldownMs - now()) : 0;
      return { ok: false, retryInMs };
    },
    release(permit, outcome) {
      if (permit.probe) probeInFlight = false;
      if (outcome === 'cancelled') return;
      if (outcome === 'transient-failure') {
        failures += 1;
        // A failed probe reopens at once; in closed state the threshold decides.
        if (permit.probe || (openedAt === null && failures >= threshold)) move('open');
        return;
      }
      // A request granted while closed may finish after the breaker opened; only a probe closes it.
      if (openedAt === null) failures = 0;
      else if (permit.probe) move('closed');
    },
    isOpen() {
      const s = state();
      return s === 'open' || (s === 'half-open' && probeInFlight);
    },
    state,
  };
}
