/**
 * Shapes the HTTP layer exchanges with the rest of the listener. Structural types, so the tick and
 * audit modules can return their own objects as long as these fields are there.
 */

/** What `GET /health` reports besides the fixed `ok`/`service`/`version` fields. */
export interface HealthInfo {
  /** `unreachable` turns the answer into 503 with `ok:false`. */
  readonly db: 'ok' | 'unreachable';
  /** State of the LISTEN connection, e.g. `connected`, `reconnecting`. */
  readonly listener: string;
  /** Seconds since the last tick that ran, `null` before the first. */
  readonly lastTickAgeSeconds: number | null;
  /** `running` means "the interval is scheduled", not "a tick is in progress" (docs/operations.md §1). */
  readonly tick: { readonly enabled: boolean; readonly running: boolean };
}

/** Tick stats (docs/operations.md §4), returned by `POST /internal/tick` as they are. */
export interface TickStats {
  readonly scannedAt: string;
  readonly dueMissionCount: number;
  readonly plansProduced: number;
  readonly plansWrittenBack: number;
  readonly parseFailures: number;
  readonly errors: readonly string[];
}

/** One decrypt-audit row in wire shape (docs/crypto.md §6). */
export interface AuditRow {
  /** bigserial as a string. */
  readonly id: string;
  readonly missionId: string;
  readonly iterationId: string | null;
  readonly tableName: string;
  readonly recordId: string;
  readonly status: 'ok' | 'failed' | 'scope-violation';
  readonly reason: string | null;
  /** ISO timestamp (a Date is converted). */
  readonly ts: string | Date;
}

/** Claims of a verified token; `sub` is the user. */
export interface JwtClaims {
  readonly sub: string;
  readonly [claim: string]: unknown;
}

/** Verifies a compact JWT; rejects with an error whose message says why (sent as the 401 text). */
export type VerifyJwt = (token: string) => Promise<JwtClaims>;
