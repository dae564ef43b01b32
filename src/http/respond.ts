/**
 * Response helpers: every answer has an explicit length and type, and errors are small JSON objects
 * without stack traces.
 */
import type { ServerResponse } from 'node:http';

type Headers = Record<string, string | number>;

const COMMON: Headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/** Sends `body` with `status`; if headers already went out, the socket is dropped instead. */
export function sendBody(res: ServerResponse, status: number, contentType: string, body: string | Buffer,
  headers: Headers = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { ...COMMON, ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Headers = {}): void {
  sendBody(res, status, 'application/json; charset=utf-8', JSON.stringify(value), headers);
}

/** Sends a JSON error `{"error": message}`. */
export function sendError(res: ServerResponse, status: number, message: string, headers: Headers = {}): void {
  sendJson(res, status, { error: message }, headers);
}

/** Sends plain text (the JWT failures are plain text, docs/operations.md §1). */
export function sendText(res: ServerResponse, status: number, text: string, headers: Headers = {}): void {
  sendBody(res, status, 'text/plain; charset=utf-8', text, headers);
}
