/**
 * The mana-llm client (docs/planner.md §5): one chat completion per plan, each attempt under its own
 * deadline (KI-3), transient failures retried with jittered backoff, and a circuit breaker so an
 * unreachable gateway costs one fast failure instead of a timeout per mission. It owns its undici
 * Agent (never the global dispatcher).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { errorFields } from '../errors.js';
import type { Logger } from '../log.js';
import { classifyFailure, sendAttempt } from './attempt.js';
import { retryDelayMs } from './backoff.js';
import { createCircuitBreaker, type BreakerOptions, type BreakerState } from './breaker.js';
import { LLM_ERROR_KINDS, LlmAbortedError, LlmCircuitOpenError, LlmHttpError, type LlmError } from './errors.js';

/** Every outcome label of one attempt: `ok` or a failure kind (`mana_ai_llm_attempts_total{outcome}`). */
export const LLM_ATTEMPT_OUTCOMES = ['ok', ...LLM_ERROR_KINDS] as const;

/** Outcome label of one attempt: `ok` or the failure kind. */
export type LlmAttemptOutcome = (typeof LLM_ATTEMPT_OUTCOMES)[number];

/** Default response size cap (1 MiB): a plan is a few KB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Dependencies and settings of {@link createLlmClient}. */
export interface LlmClientOptions {
  /** Gateway base URL, e.g. `http://localhost:3025` (a trailing slash is ignored). */
  readonly baseUrl: string;
  /** Sent as `authorization: Bearer …` when set. */
  readonly serviceKey?: string;
  /** Sent as `x-api-key` when set (KI-23). */
  readonly apiKey?: string;
  readonly model: string;
  /** Deadline of each attempt, connect to last body byte. */
  readonly timeoutMs: number;
  /** Attempts per call including the first. Default 3. */
  readonly maxAttempts?: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly breaker: BreakerOptions;
  /** Default {@link DEFAULT_MAX_RESPONSE_BYTES}. */
  readonly maxResponseBytes?: number;
  /** TCP connect timeout; default `min(timeoutMs, 10000)`. */
  readonly connectTimeoutMs?: number;
  /** Called after every attempt that reached the network, success or failure. */
  readonly onAttempt?: (durationSeconds: number, outcome: LlmAttemptOutcome) => void;
  /** Called once before each retry (the wait before attempt 2, 3, …). */
  readonly onRetry?: () => void;
  readonly logger: Logger;
  /** Monotonic clock in ms (breaker cooldown, attempt durations). Default `performance.now`. */
  readonly now?: () => number;
  /** Jitter source in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  /** Backoff sleep; must reject when `signal` aborts. Default: an abortable timer. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The two chat messages of one plan request. */
export interface LlmPrompt {
  readonly system: string;
  readonly user: string;
}

/** Per-call options of {@link LlmClient.complete}. */
export interface CompleteOptions {
  readonly signal?: AbortSignal;
  /**
   * Called once per received answer with its `usage.total_tokens` (0 when absent): the token budget
   * counts every response, also one whose plan then fails to parse.
   */
  readonly onUsage?: (totalTokens: number) => void;
}

/** The client the runner uses. */
export interface LlmClient {
  /** Resolves with the plan text (`choices[0].message.content`, `''` if missing); rejects with an LlmError. */
  complete(prompt: LlmPrompt, options?: CompleteOptions): Promise<string>;
  /** True while calls would fail fast; the runner stops claiming meanwhile. */
  isOpen(): boolean;
  breakerState(): BreakerState;
  /** Destroys the client's connections (call after in-flight calls have settled). */
  close(): Promise<void>;
}

/** Creates the client and its own undici Agent. */
export function createLlmClient(options: LlmClientOptions): LlmClient {
  const log = options.logger.child({ component: 'llm' });
  const now = options.now ?? (() => performance.now());
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }));
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
  const { timeoutMs } = options;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/chat/completions`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.serviceKey) headers['authorization'] = `Bearer ${options.serviceKey}`;
  if (options.apiKey) headers['x-api-key'] = options.apiKey;
  const dispatcher = new Agent({
    connect: { timeout: options.connectTimeoutMs ?? Math.min(timeoutMs, 10_000) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const breaker = createCircuitBreaker(options.breaker, now, (from, to) => {
    const fields = { from, to, cooldown_ms: options.breaker.cooldownMs };
    if (to === 'open') log.warn('llm circuit breaker opened', fields);
    else log.info('llm circuit breaker closed', fields);
  });

  const record = (startedAt: number, outcome: LlmAttemptOutcome) => {
    try {
      options.onAttempt?.(Math.max(0, now() - startedAt) / 1000, outcome);
    } catch (error) {
      log.warn('onAttempt hook failed', { error: errorFields(error) });
    }
  };

  async function complete(prompt: LlmPrompt, callOptions: CompleteOptions = {}): Promise<string> {
    const { signal } = callOptions;
    // Exactly these fields (docs/planner.md §5): no max_tokens, response_format, stream or tools.
    const body = JSON.stringify({
      model: options.model,
      temperature: 0.3,
      messages: [
        { role: 'system', content: prompt.system },
        { role: 'user', content: prompt.user },
      ],
    });
    let last: LlmError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      if (signal?.aborted) throw new LlmAbortedError({ cause: signal.reason });
      const permit = breaker.acquire();
      // Mid-retry, an opened breaker ends the call with the failure that opened it.
      if (!permit.ok) throw last ?? new LlmCircuitOpenError(permit.retryInMs);
      const startedAt = now();
      try {
        const { text, totalTokens } = await sendAttempt({ dispatcher, url, headers, body, timeoutMs, maxResponseBytes }, signal);
        record(startedAt, 'ok');
        breaker.release(permit, 'success');
        try {
          callOptions.onUsage?.(totalTokens);
        } catch (hookError) {
          log.warn('onUsage hook failed', { error: errorFields(hookError) });
        }
        return text;
      } catch (caught) {
        const error = classifyFailure(caught, timeoutMs);
        record(startedAt, error.kind);
        const outcome = error.kind === 'aborted' ? 'cancelled' : error.transient ? 'transient-failure' : 'other-failure';
        breaker.release(permit, outcome);
        last = error;
        if (!error.transient || attempt >= maxAttempts) throw error;
        const retryAfterMs = error instanceof LlmHttpError ? error.retryAfterMs : undefined;
        const waitMs = retryDelayMs(attempt, retryAfterMs, options, random);
        log.warn('llm attempt failed, retrying', {
          attempt,
          max_attempts: maxAttempts,
          kind: error.kind,
          delay_ms: waitMs,
          error: errorFields(error),
        });
        try {
          options.onRetry?.();
        } catch (hookError) {
          log.warn('onRetry hook failed', { error: errorFields(hookError) });
        }
        try {
          await sleep(waitMs, signal);
        } catch (sleepError) {
          throw new LlmAbortedError({ cause: sleepError });
        }
      }
    }
    throw last ?? new LlmAbortedError(); // unreachable: the loop returns or throws
  }

  return {
    complete,
    isOpen: () => breaker.isOpen(),
    breakerState: () => breaker.state(),
    close: () => dispatcher.destroy(),
  };
}
