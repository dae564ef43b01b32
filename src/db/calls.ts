/**
 * One typed method per `mana_ai.*` SQL function. The listener builds no SQL of its own: rows, rules
 * and transactions live in Postgres; this file only binds parameters and shapes results.
 * bigint columns arrive as strings (pg's default), and stay strings.
 */
import type { Pool } from 'pg';
import { AppError, fromPgError } from '../errors.js';

/** The SQL API version this build speaks (`mana_ai.api_version()`). */
export const EXPECTED_API_VERSION = 1;

export type Queryable = Pick<Pool, 'query'>;

/** A run handed to this listener by `mana_ai.claim_runs`. */
export interface ClaimedRun {
  run_id: string;
  user_id: string;
  mission_id: string;
  slot: Date;
  attempt: number;
  lease_token: string;
  lease_until: Date;
  agent_id: string | null;
  became_due_at: Date;
  /** What load_run returned for it in the same call (claimAndLoadRuns); absent from claimRuns. */
  loaded?: LoadedRun | null;
}

/** What `mana_ai.load_run` returns for the current lease holder. */
export interface LoadedRun {
  run: Record<string, unknown>;
  mission: Record<string, unknown>;
  agent: Record<string, unknown> | null;
  agentResolved: boolean;
}

export interface CompleteResult {
  status: 'done' | 'superseded' | 'stale';
  iterationId?: string;
  nextRunAt?: string | null;
  stamp?: string;
  changeId?: string;
  agentResolved?: boolean;
}

export interface FailResult {
  /** superseded: the mission is no longer due at the slot (nothing is retried or advanced). */
  status: 'failed' | 'dead' | 'stale' | 'superseded';
  retryAt?: string | null;
  attempts?: number;
  /** Set when the schedule-only row could not be written; tick() retries it. */
  error?: string;
}

/** The SQL tick's stats (docs/operations.md §4 fields plus the ledger's own). */
export interface SqlTickStats {
  scannedAt: string;
  dueMissionCount: number;
  enqueued?: number;
  [key: string]: unknown;
}

/** What one mana_ai.fold() call did: rows taken from the capture queue, and the fold's own stats. */
export interface FoldStats {
  rows: number;
  records?: number;
  enqueued?: number;
  [key: string]: unknown;
}

export interface AuditDbRow {
  id: string;
  mission_id: string;
  iteration_id: string | null;
  table_name: string;
  record_id: string;
  status: 'ok' | 'failed' | 'scope-violation';
  reason: string | null;
  ts: Date;
}

/** Facts the listener checks at start. */
export interface RuntimeInfo {
  apiVersion: number;
  timezone: string;
  superuser: boolean;
  bypassRls: boolean;
  runnerMember: boolean;
  role: string;
}

/** The database's SQL API does not match this build. */
export class SchemaMismatchError extends AppError {
  constructor(found: number | null) {
    super('SCHEMA_MISMATCH', `database has mana_ai API version ${found ?? 'none'}, this build needs ${EXPECTED_API_VERSION}: run \`mana-ai migrate\``);
  }
}

/** Typed wrappers around the SQL API. */
export function createCalls(raw: Queryable) {
  // Every call maps our deliberate SQLSTATEs (MAxxx) to error classes with stable codes.
  const db: Queryable = {
    query: ((text: string, params?: unknown[]) =>
      raw.query(text, params).catch((error: unknown) => {
        throw fromPgError(error);
      })) as Queryable['query'],
  };
  const one = async <T>(sql: string, params: unknown[]): Promise<T> => {
    const { rows } = await db.query<{ v: T }>(sql, params);
    return rows[0]!.v;
  };
  return {
    async runtimeInfo(): Promise<RuntimeInfo> {
      const { rows } = await db.query<RuntimeInfo & { api_version: number | null }>(
        `select (select mana_ai.api_version()) as "apiVersion",
                r.rolsuper as superuser, r.rolbypassrls as "bypassRls", current_user as role,
                pg_has_role(current_user, 'mana_ai_runner', 'member') as "runnerMember",
                mana_ai.runtime_settings() ->> 'timezone' as timezone
           from pg_catalog.pg_roles r where r.rolname = current_user`,
      );
      return rows[0]!;
    },
    async claimRuns(worker: string, limit: number, leaseMs: number): Promise<ClaimedRun[]> {
      const { rows } = await db.query<ClaimedRun>('select * from mana_ai.claim_runs($1, $2, $3)', [worker, limit, leaseMs]);
      return rows;
    },
    /** claim_runs plus each run's load_run payload, one round trip per batch. */
    async claimAndLoadRuns(worker: string, limit: number, leaseMs: number): Promise<ClaimedRun[]> {
      const { rows } = await db.query<ClaimedRun>('select * from mana_ai.claim_and_load_runs($1, $2, $3)', [worker, limit, leaseMs]);
      return rows;
    },
    extendLease: (runId: string, token: string, leaseMs: number) =>
      one<Date | null>('select mana_ai.extend_lease($1, $2, $3) as v', [runId, token, leaseMs]),
    releaseRun: (runId: string, token: string, reason: string) =>
      one<boolean>('select mana_ai.release_run($1, $2, $3) as v', [runId, token, reason]),
    loadRun: (runId: string, token: string) => one<LoadedRun | null>('select mana_ai.load_run($1, $2) as v', [runId, token]),
    replayInput: (runId: string, token: string, appId: string, table: string, recordId: string) =>
      one<Record<string, unknown> | null>('select mana_ai.replay_input($1, $2, $3, $4, $5) as v', [runId, token, appId, table, recordId]),
    /** `tokens`: the LLM tokens of this attempt for the token ledger; `null` = no LLM response received. */
    completeRun: (runId: string, token: string, iteration: unknown, tokens: number | null = null) =>
      one<CompleteResult>('select mana_ai.complete_run($1, $2, $3, $4) as v', [runId, token, JSON.stringify(iteration), tokens]),
    /** `tokens`: the LLM tokens of this attempt for the token ledger; `null` = no LLM response received. */
    failRun: (runId: string, token: string, errorClass: string, message: string, tokens: number | null = null) =>
      one<FailResult>('select mana_ai.fail_run($1, $2, $3, $4, $5) as v', [runId, token, errorClass, message, tokens]),
    recordDecryptAudit: (
      runId: string, token: string, iterationId: string, table: string, recordId: string, status: string, reason: string | null,
    ) =>
      one<string>('select mana_ai.record_decrypt_audit($1, $2, $3, $4, $5, $6, $7) as v', [runId, token, iterationId, table, recordId, status, reason]),
    async readDecryptAudit(userId: string, missionId: string | null, limit: number): Promise<AuditDbRow[]> {
      const { rows } = await db.query<AuditDbRow>('select * from mana_ai.read_decrypt_audit($1, $2, $3)', [userId, missionId, limit]);
      return rows;
    },
    tick: () => one<SqlTickStats>('select mana_ai.tick() as v', []),
    fold: (limit: number) => one<FoldStats>('select mana_ai.fold($1) as v', [limit]),
    nextWakeup: () => one<Date | null>('select mana_ai.next_wakeup() as v', []),
    async readCounters(): Promise<Record<string, number>> {
      const { rows } = await db.query<{ name: string; value: string }>('select name, value from mana_ai.read_counters()');
      return Object.fromEntries(rows.map((r) => [r.name, Number(r.value)]));
    },
    runtimeSettings: () =>
      one<{ timezone: string; maxAttempts: number; defaultLeaseMs: number; pgCron: boolean; lastTickAt: string | null }>(
        'select mana_ai.runtime_settings() as v', []),
    async ping(): Promise<void> {
      await db.query('select 1');
    },
  };
}

export type Calls = ReturnType<typeof createCalls>;
