/**
 * `GET /api/v1/me/ai-audit` (docs/crypto.md §6): the caller's decrypt-audit rows. The user comes from a
 * verified Bearer JWT (`sub`), or from the development bypass; any auth failure is a plain-text 401.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorFields } from '../errors.js';
import type { Logger } from '../log.js';
import { JwtError } from './jwt.js';
import { sendJson, sendText } from './respond.js';
import type { AuditRow, VerifyJwt } from './types.js';

/** Reads the caller's audit rows, newest first. */
export type ReadAudit = (userId: string, missionId: string | null, limit: number) => Promise<readonly AuditRow[]>;

export interface AuditHandlerOptions {
  readAudit: ReadAudit;
  /** Used unless `bypassUserId` is set. */
  verifyJwt: VerifyJwt;
  /** Development bypass: every request acts as this user, no token needed. */
  bypassUserId: string | null;
  logger: Logger;
}

/** `limit` like the reference: parseInt, non-finite → 200, then clamped to [1, 1000]. */
export function parseAuditLimit(raw: string | null): number {
  const n = Number.parseInt(raw ?? '', 10);
  if (!Number.isFinite(n)) return 200;
  return Math.min(1000, Math.max(1, n));
}

/** The token of an `Authorization: Bearer <token>` header, else `undefined`. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer +([^\s]+) *$/i.exec(header ?? '');
  return m?.[1];
}

/** Projects a row onto exactly the wire fields, so nothing else (e.g. user_id) ever leaks. */
export function toWireRow(row: AuditRow): Record<string, unknown> {
  return {
    id: String(row.id),
    missionId: row.missionId,
    iterationId: row.iterationId ?? null,
    tableName: row.tableName,
    recordId: row.recordId,
    status: row.status,
    reason: row.reason ?? null,
    ts: row.ts instanceof Date ? row.ts.toISOString() : row.ts,
  };
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="mana-ai"' };

/** Creates the route handler. */
export function createAuditHandler(options: AuditHandlerOptions) {
  const authenticate = async (req: IncomingMessage, res: ServerResponse): Promise<string | undefined> => {
    if (options.bypassUserId !== null) return options.bypassUserId;
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) {
      sendText(res, 401, 'Unauthorized: missing bearer token', CHALLENGE);
      return undefined;
    }
    try {
      return (await options.verifyJwt(token)).sub;
    } catch (error) {
      if (error instanceof JwtError) {
        sendText(res, 401, `Unauthorized: ${error.message}`, CHALLENGE);
      } else {
        // JWKS down or broken: still a 401 (docs/operations.md §1), but worth a warning.
        options.logger.warn('token verification failed', { error: errorFields(error) });
        sendText(res, 401, 'Unauthorized: token could not be verified', CHALLENGE);
      }
      return undefined;
    }
  };

  return async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> => {
    const userId = await authenticate(req, res);
    if (userId === undefined) return;
    const missionId = query.get('missionId');
    const rows = await options.readAudit(userId, missionId === null || missionId === '' ? null : missionId,
      parseAuditLimit(query.get('limit')));
    sendJson(res, 200, { rows: rows.map(toWireRow) });
  };
}
