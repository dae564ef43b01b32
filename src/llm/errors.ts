/**
 * Failures of the mana-llm call, each with a stable `code` and a `kind` label for metrics and logs.
 * `transient` failures (timeouts, connection errors, 5xx, 429) are retried and count towards the
 * circuit breaker; everything else is final for this call.
 */
import { AppError } from '../errors.js';

/** Every metric/log label of an LLM failure: the one list (metrics presets its label values from it). */
export const LLM_ERROR_KINDS = ['timeout', 'http-5xx', 'http-429', 'http-4xx', 'connect', 'bad-json', 'too-large',
  'circuit-open', 'aborted'] as const;

/** Metric/log label of an LLM failure. */
export type LlmErrorKind = (typeof LLM_ERROR_KINDS)[number];

/** Base class of every error `complete()` rejects with. */
export class LlmError extends AppError {
  readonly kind: LlmErrorKind;
  readonly transient: boolean;
  constructor(code: string, kind: LlmErrorKind, transient: boolean, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.kind = kind;
    this.transient = transient;
  }
}

/** No complete answer within the per-attempt deadline (KI-3). The message is the spec's. */
export class LlmTimeoutError extends LlmError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, options?: ErrorOptions) {
    super('LLM_TIMEOUT', 'timeout', true, 'mana-llm timeout', options);
    this.timeoutMs = timeoutMs;
  }
}

/** A non-2xx status: `mana-llm <status>: <body text>` (body truncated). */
export class LlmHttpError extends LlmError {
  readonly status: number;
  /** The server's `Retry-After`, in ms, when it sent a usable one. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, bodyText: string, retryAfterMs?: number) {
    const kind: LlmErrorKind = status === 429 ? 'http-429' : status >= 500 ? 'http-5xx' : 'http-4xx';
    const code = status === 429 ? 'LLM_HTTP_429' : status >= 500 ? 'LLM_HTTP_5XX' : 'LLM_HTTP_4XX';
    super(code, kind, kind !== 'http-4xx', `mana-llm ${status}: ${bodyText}`);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The connection failed or broke (refused, reset, closed mid-response). */
export class LlmConnectError extends LlmError {
  constructor(detail: string, options?: ErrorOptions) {
    super('LLM_CONNECT', 'connect', true, `mana-llm connection failed: ${detail}`, options);
  }
}

/** A 2xx answer whose body is not JSON. */
export class LlmBadJsonError extends LlmError {
  constructor(detail: string, options?: ErrorOptions) {
    super('LLM_BAD_JSON', 'bad-json', false, `mana-llm answered with invalid JSON: ${detail}`, options);
  }
}

/** The response body exceeded the size cap; it was not read further. */
export class LlmTooLargeError extends LlmError {
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super('LLM_RESPONSE_TOO_LARGE', 'too-large', false, `mana-llm response larger than ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

/** The circuit breaker is open: failed fast, no request was sent. */
export class LlmCircuitOpenError extends LlmError {
  /** Milliseconds until a probe will be let through (0 when a probe is already in flight). */
  readonly retryInMs: number;
  constructor(retryInMs: number) {
    super('LLM_CIRCUIT_OPEN', 'circuit-open', false, 'mana-llm circuit open');
    this.retryInMs = retryInMs;
  }
}

/** The caller's signal aborted the call (e.g. shutdown). */
export class LlmAbortedError extends LlmError {
  constructor(options?: ErrorOptions) {
    super('LLM_ABORTED', 'aborted', false, 'mana-llm call aborted', options);
  }
}
