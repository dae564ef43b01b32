/**
 * Types shared by the input resolvers (docs/resolvers.md). Resolvers are pure logic: reading records,
 * writing audit rows and counting metrics are injected through {@link ResolverDeps}.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from '../log.js';

/** One entry of `mission.inputs`, after shape validation. */
export interface InputRef {
  module: string;
  table: string;
  id: string;
}

/** A reference turned into prompt material. */
export interface ResolvedInput {
  id: string;
  module: string;
  table: string;
  title: string;
  content: string;
}

/**
 * Why a reference produced nothing. `no-grant`: no usable grant (no audit row); `not-in-grant`:
 * not in the allowlist (scope violation); `missing`: absent or deleted; `replay-failed`: reading
 * the record threw; `decrypt-failed`: a field did not decrypt (`detail` holds the audit reason);
 * `unknown-module`: no resolver for the module; `resolver-error`: the resolver threw.
 */
export type UnavailableReason =
  | 'no-grant'
  | 'not-in-grant'
  | 'missing'
  | 'replay-failed'
  | 'decrypt-failed'
  | 'unknown-module'
  | 'resolver-error';

/** A reference that could not be resolved, so the prompt can say which inputs were unavailable. */
export interface UnavailableInput extends InputRef {
  reason: UnavailableReason;
  detail?: string;
}

/** Per-run context. `mdk` and `allowlist` are present only after a successful unwrap. */
export interface ResolveContext {
  missionId: string;
  /** The id the new iteration will carry (KI-16); used in logs, audit rows get it from the deps. */
  iterationId: string;
  mdk?: KeyObject;
  allowlist?: ReadonlySet<string>;
}

/** One `decrypt_audit` row; the caller binds user, mission and iteration. */
export interface AuditRow {
  tableName: string;
  recordId: string;
  status: 'ok' | 'failed' | 'scope-violation';
  reason: string | null;
}

/** Injected data access, metrics and logging. */
export interface ResolverDeps {
  /** Single-record replay in the owner's scope, LWW-folded; `null` when absent or deleted. May throw. */
  replayRecord(appId: string, table: string, recordId: string): Promise<Record<string, unknown> | null>;
  /** Writes one audit row in its own per-user transaction. Failures are logged, never fatal. */
  recordAudit(row: AuditRow): Promise<void>;
  /** `mana_ai_decrypts_total{table}` += n (called only with n > 0). */
  onDecrypts(table: string, n: number): void;
  /** `mana_ai_grant_scope_violations_total{table}` += 1. */
  onScopeViolation(table: string): void;
  logger: Logger;
}

/** What one resolver returns for one reference. */
export type ResolveOutcome =
  | { ok: true; input: ResolvedInput }
  | { ok: false; reason: UnavailableReason; detail?: string };

/** A resolver: turns one reference into an input or a reason. May throw (the registry catches). */
export type Resolver = (ref: InputRef, ctx: ResolveContext, deps: ResolverDeps) => Promise<ResolveOutcome>;

/** Result of resolving a mission's inputs: both lists keep the order of `mission.inputs`. */
export interface ResolveResult {
  inputs: ResolvedInput[];
  unavailable: UnavailableInput[];
}
