/**
 * The HTTP layer's two database-backed inputs, built from the SQL API calls: the audit reader (rows
 * of `mana_ai.read_decrypt_audit` in wire shape) and the health probe (database reachable, LISTEN
 * state, age of the last tick, whether the periodic tick runs).
 */
import type { Calls } from '../db/calls.js';
import type { AuditRow, HealthInfo } from './types.js';
import type { HttpServerOptions } from './server.js';

/** `readAudit` for the HTTP server: the caller's rows, newest first, in wire shape. */
export function createAuditReader(calls: Pick<Calls, 'readDecryptAudit'>): HttpServerOptions['readAudit'] {
  return async (userId, missionId, limit) =>
    (await calls.readDecryptAudit(userId, missionId, limit)).map((r): AuditRow => ({
      id: String(r.id), missionId: r.mission_id, iterationId: r.iteration_id, tableName: r.table_name,
      recordId: r.record_id, status: r.status, reason: r.reason, ts: r.ts,
    }));
}

export interface HealthSources {
  calls: Pick<Calls, 'runtimeSettings'>;
  listenerState(): string;
  tickEnabled: boolean;
  tickRunning(): boolean;
  now?: () => number;
}

/** `health` for the HTTP server: never rejects; an unreachable database is reported, not thrown. */
export function createHealthProbe(sources: HealthSources): () => Promise<HealthInfo> {
  const now = sources.now ?? Date.now;
  return async () => {
    let db: HealthInfo['db'] = 'ok';
    let lastTickAgeSeconds: number | null = null;
    try {
      const s = await sources.calls.runtimeSettings();
      if (s.lastTickAt) lastTickAgeSeconds = Math.max(0, (now() - new Date(s.lastTickAt).getTime()) / 1000);
    } catch {
      db = 'unreachable';
    }
    return {
      db, listener: sources.listenerState(), lastTickAgeSeconds,
      tick: { enabled: sources.tickEnabled, running: sources.tickRunning() },
    };
  };
}
