/**
 * Limits that keep slow or greedy clients from holding sockets or memory: Node's header and
 * request timeouts (checked every `connectionsCheckingIntervalMs`), a body size cap, and bounds on
 * how long `/health` and shutdown may take.
 */
import type { IncomingMessage } from 'node:http';

export interface HttpLimits {
  /** Largest request body; more → 413. No route needs a body, so this is small. */
  readonly bodyBytes: number;
  /** Time to receive the request headers (Node answers 408 and closes). */
  readonly headersTimeoutMs: number;
  /** Time to receive the whole request, body included. Handler time is not limited by it. */
  readonly requestTimeoutMs: number;
  /** Idle time of a keep-alive socket between requests. */
  readonly keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above (its default of 30 s lets them overrun a lot). */
  readonly connectionsCheckingIntervalMs: number;
  /** `/health` answers 503 if the health probe takes longer. */
  readonly healthTimeoutMs: number;
  /** close(): in-flight requests get this long before their sockets are cut. */
  readonly closeGraceMs: number;
}

/** Defaults, overridden by `partial`. */
export function requestLimits(partial: Partial<HttpLimits> = {}): HttpLimits {
  return {
    bodyBytes: 64 * 1024,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 15_000,
    keepAliveTimeoutMs: 5000,
    connectionsCheckingIntervalMs: 1000,
    healthTimeoutMs: 3000,
    closeGraceMs: 3000,
    ...partial,
  };
}

/**
 * Consumes and discards the request body; `false` as soon as it exceeds `maxBytes` (a declared
 * Content-Length above it is refused without reading). Reading then stops without destroying the
 * request (a `for await` that breaks would destroy the socket before the 413 could be sent).
 */
export function readBodyWithin(req: IncomingMessage, maxBytes: number): Promise<boolean> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return Promise.resolve(false);
  if (req.complete) return Promise.resolve(true);
  return new Promise((resolve, reject) => {
    let size = 0;
    const done = (result: boolean | Error) => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        done(false);
      }
    };
    const onEnd = () => done(true);
    const onError = (error: Error) => done(error);
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
