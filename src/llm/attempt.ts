/**
 * One HTTP attempt against mana-llm under its own deadline. Bodies are read with a byte cap, so a
 * huge body cannot exhaust memory, and the deadline's AbortSignal destroys a dripping body, so a
 * slow drip cannot outlive `timeoutMs` (undici's bodyTimeout alone resets on every chunk).
 */
import { request, type Dispatcher } from 'undici';
import { coerceError } from '../errors.js';
import { parseRetryAfterMs } from './backoff.js';
import {
  LlmAbortedError,
  LlmBadJsonError,
  LlmConnectError,
  LlmError,
  LlmHttpError,
  LlmTimeoutError,
  LlmTooLargeError,
} from './errors.js';

/** How much of an error body ends up in the error message. */
export const ERROR_BODY_LIMIT_BYTES = 4096;

/** Everything one attempt needs. */
export interface AttemptRequest {
  readonly dispatcher: Dispatcher;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);

/** Maps a low-level failure (undici `UND_ERR_*`, socket errno) to an {@link LlmError}. */
export function classifyFailure(value: unknown, timeoutMs: number): LlmError {
  const error = coerceError(value);
  if (error instanceof LlmError) return error;
  const codes = [error, error.cause].map((e) => (e as { code?: unknown } | undefined)?.code);
  const has = (set: ReadonlySet<string>) => codes.some((c) => typeof c === 'string' && set.has(c));
  if (has(TIMEOUT_CODES)) return new LlmTimeoutError(timeoutMs, { cause: error });
  if (has(CONNECT_CODES)) return new LlmConnectError(error.message, { cause: error });
  // Not a network failure (e.g. an invalid URL): a bug or misconfiguration, so never retried.
  const message = `mana-llm request failed: ${error.message}`;
  return new LlmError('LLM_REQUEST_FAILED', 'connect', false, message, { cause: error });
}

/** Stops reading a body: the connection is dropped rather than drained. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined); // destroying an unread undici body emits an AbortError
  body.destroy();
}

/** Reads at most `limit` bytes. Over the limit: `truncate` keeps the head, else throws too-large. */
async function readCapped(body: Dispatcher.ResponseData['body'], limit: number, truncate: boolean): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size + chunk.length > limit) {
      discard(body);
      if (!truncate) throw new LlmTooLargeError(limit);
      chunks.push(chunk.subarray(0, limit - size));
      return `${Buffer.concat(chunks).toString('utf8')}…`;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `choices[0].message.content` when it is a string, else `''` (which then fails parsing). */
function contentOf(json: unknown): string {
  const content = (json as { choices?: { message?: { content?: unknown } }[] } | null)?.choices?.[0]?.message?.content;
  return typeof content === 'string' ? content : '';
}

/**
 * `usage.total_tokens` of a gateway answer when it is a finite number >= 0 (fractions cut), else 0: a
 * response without usage still counts as received, at no tokens.
 */
export function totalTokensOf(json: unknown): number {
  const total = (json as { usage?: { total_tokens?: unknown } } | null)?.usage?.total_tokens;
  return typeof total === 'number' && Number.isFinite(total) && total >= 0 ? Math.floor(total) : 0;
}

/** A received 2xx answer: the plan text and the tokens the gateway reports for it. */
export interface AttemptResponse {
  readonly text: string;
  readonly totalTokens: number;
}

/** Sends one request; resolves with the plan text and its tokens or rejects with an {@link LlmError}. */
export async function sendAttempt(req: AttemptRequest, signal?: AbortSignal): Promise<AttemptResponse> {
  if (signal?.aborted) throw new LlmAbortedError({ cause: signal.reason });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new LlmTimeoutError(req.timeoutMs)), req.timeoutMs);
  const onAbort = () => controller.abort(new LlmAbortedError({ cause: signal?.reason }));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await request(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      dispatcher: req.dispatcher,
      signal: controller.signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    if (res.statusCode < 200 || res.statusCode > 299) {
      const text = await readCapped(res.body, ERROR_BODY_LIMIT_BYTES, true);
      throw new LlmHttpError(res.statusCode, text, parseRetryAfterMs(res.headers['retry-after'], Date.now()));
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > req.maxResponseBytes) {
      discard(res.body);
      throw new LlmTooLargeError(req.maxResponseBytes);
    }
    const text = await readCapped(res.body, req.maxResponseBytes, false);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new LlmBadJsonError(coerceError(error).message, { cause: error });
    }
    return { text: contentOf(json), totalTokens: totalTokensOf(json) };
  } catch (error) {
    if (error instanceof LlmError) throw error;
    // An abort may surface as an undici error; the controller's reason says what happened.
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
    throw reason instanceof LlmError ? reason : classifyFailure(error, req.timeoutMs);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
