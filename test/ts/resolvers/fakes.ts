/**
 * In-memory dependencies for resolver tests: a record store keyed by app/table/id, recorded audit
 * rows, metric calls and log lines, with knobs for delays and failures.
 */
import { createLogger } from '../../../src/log.js';
import type { AuditRow, ResolverDeps } from '../../../src/resolvers/types.js';

export interface FakeDeps extends ResolverDeps {
  store: Map<string, Record<string, unknown>>;
  replays: string[];
  audits: AuditRow[];
  decrypts: [string, number][];
  violations: string[];
  logs: Record<string, unknown>[];
  /** Per `app/table/id`: delay in ms before the replay answers. */
  delays: Map<string, number>;
  /** Per `app/table/id`: the replay throws. */
  throwing: Set<string>;
  auditFails: boolean;
  metricsFail: boolean;
  inFlight: number;
  maxInFlight: number;
}

export const storeKey = (app: string, table: string, id: string): string => `${app}/${table}/${id}`;

export function fakeDeps(records: Record<string, Record<string, unknown>> = {}): FakeDeps {
  const logs: Record<string, unknown>[] = [];
  const deps: FakeDeps = {
    store: new Map(Object.entries(records)),
    replays: [], audits: [], decrypts: [], violations: [], logs,
    delays: new Map(), throwing: new Set(), auditFails: false, metricsFail: false, inFlight: 0, maxInFlight: 0,
    logger: createLogger({ write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>), level: 'debug' }),
    async replayRecord(app, table, id) {
      const key = storeKey(app, table, id);
      deps.replays.push(key);
      deps.inFlight++;
      deps.maxInFlight = Math.max(deps.maxInFlight, deps.inFlight);
      try {
        const ms = deps.delays.get(key) ?? 0;
        if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
        if (deps.throwing.has(key)) throw new Error(`replay of ${key} failed`);
        return deps.store.get(key) ?? null;
      } finally {
        deps.inFlight--;
      }
    },
    async recordAudit(row) {
      if (deps.auditFails) throw new Error('audit insert failed');
      deps.audits.push(row);
    },
    onDecrypts(table, n) {
      if (deps.metricsFail) throw new Error('metric broke');
      deps.decrypts.push([table, n]);
    },
    onScopeViolation(table) {
      if (deps.metricsFail) throw new Error('metric broke');
      deps.violations.push(table);
    },
  };
  return deps;
}
