/**
 * The grant check, replay, decryption and audit every encrypted resolver runs first
 * (docs/crypto.md §5 steps 1–5, in that order). One audit row per record, written after the outcome is
 * known; audit writes and metric hooks are best effort and never fail the mission.
 */
import { DecryptError, decryptRecordFields, type DecryptReason } from '../crypto/field.js';
import { coerceError, errorFields } from '../errors.js';
import type { AuditRow, InputRef, ResolveContext, ResolverDeps, UnavailableReason } from './types.js';

/** Audit reason of a reference that is not in the grant's allowlist. */
export const REASON_NOT_IN_ALLOWLIST = 'record-not-in-grant-allowlist';
/** Audit reason when the single-record replay throws (project-defined, KI-16). */
export const REASON_REPLAY_FAILED = 'record-replay-failed';

/** A decrypted record, or why there is none. */
export type EncryptedLoad =
  | { ok: true; record: Record<string, unknown> }
  | { ok: false; reason: UnavailableReason; detail?: string };

/** Writes an audit row; a failure is logged and swallowed (docs/crypto.md §5: best effort). */
async function audit(deps: ResolverDeps, ctx: ResolveContext, row: AuditRow): Promise<void> {
  try {
    await deps.recordAudit(row);
  } catch (error) {
    deps.logger.error('decrypt audit write failed', {
      mission_id: ctx.missionId, iteration_id: ctx.iterationId,
      table: row.tableName, record_id: row.recordId, status: row.status, error: errorFields(error),
    });
  }
}

/** Runs a metric hook; a throwing hook is logged, never fatal. */
function metric(deps: ResolverDeps, name: string, bump: () => void): void {
  try {
    bump();
  } catch (error) {
    deps.logger.warn('metric hook failed', { metric: name, error: errorFields(error) });
  }
}

/**
 * Steps 1–5 of docs/crypto.md §5 for one reference read under `appId`:
 * no `mdk`/`allowlist` → nothing, no audit; not in allowlist → scope-violation audit + metric;
 * replay throws → audit `failed`/`record-replay-failed`; absent or deleted → nothing, no audit;
 * first decrypt failure → audit `failed`/<reason>; success → decrypt metric (only if > 0) and
 * audit `ok`/`null`, also when no field was encrypted. Never throws for these outcomes.
 */
export async function loadEncryptedRecord(
  appId: string,
  ref: InputRef,
  ctx: ResolveContext,
  deps: ResolverDeps,
): Promise<EncryptedLoad> {
  const { mdk, allowlist } = ctx;
  if (mdk === undefined || allowlist === undefined) return { ok: false, reason: 'no-grant' };

  const row = (status: AuditRow['status'], reason: string | null): AuditRow =>
    ({ tableName: ref.table, recordId: ref.id, status, reason });

  if (!allowlist.has(`${ref.table}:${ref.id}`)) {
    metric(deps, 'grant_scope_violations', () => deps.onScopeViolation(ref.table));
    await audit(deps, ctx, row('scope-violation', REASON_NOT_IN_ALLOWLIST));
    return { ok: false, reason: 'not-in-grant' };
  }

  let stored: Record<string, unknown> | null;
  try {
    stored = await deps.replayRecord(appId, ref.table, ref.id);
  } catch (error) {
    deps.logger.warn('record replay failed', {
      mission_id: ctx.missionId, app_id: appId, table: ref.table, record_id: ref.id, error: errorFields(error),
    });
    await audit(deps, ctx, row('failed', REASON_REPLAY_FAILED));
    return { ok: false, reason: 'replay-failed' };
  }
  // The replay contract already maps deleted records to null; the deletedAt check is a guard.
  if (stored === null || typeof stored !== 'object' || stored.deletedAt) return { ok: false, reason: 'missing' };

  // Decrypt a copy: the replay may hand out a cached object, which must never hold plaintext.
  const record = { ...stored };
  let count: number;
  try {
    count = decryptRecordFields(record, mdk);
  } catch (error) {
    const reason: DecryptReason = error instanceof DecryptError ? error.reason : 'decrypt-failed';
    deps.logger.warn('field decryption failed', {
      mission_id: ctx.missionId, table: ref.table, record_id: ref.id, reason, error: errorFields(coerceError(error)),
    });
    await audit(deps, ctx, row('failed', reason));
    return { ok: false, reason: 'decrypt-failed', detail: reason };
  }
  if (count > 0) metric(deps, 'decrypts', () => deps.onDecrypts(ref.table, count));
  await audit(deps, ctx, row('ok', null));
  return { ok: true, record };
}
