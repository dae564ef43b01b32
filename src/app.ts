/**
 * Composition of the listener process: builds every dependency from the validated config, checks the
 * database before serving (schema version, role, timezone), and owns the ordered start and stop.
 * main.ts (the `serve` command) only calls createApp → start → stop on a signal.
 */
import { hostname } from 'node:os';
import type { Config } from './config.js';
import { loadPrivateKey } from './crypto/grant.js';
import { createCalls, EXPECTED_API_VERSION, SchemaMismatchError, type SqlTickStats } from './db/calls.js';
import { createPool } from './db/pool.js';
import { AppError, coerceError } from './errors.js';
import { createHttpServer, type HttpServer } from './http/server.js';
import type { TickStats } from './http/types.js';
import { createListener } from './listen/listener.js';
import { createLlmClient } from './llm/client.js';
import type { Logger } from './log.js';
import { createMetrics, type WakeupReason } from './metrics.js';
import { createRunner } from './run/runner.js';

/** The database role is not one the listener may run as. */
export class RoleRefusedError extends AppError {
  constructor(message: string) {
    super('ROLE_REFUSED', message);
  }
}

/**
 * The periodic fold (docs/architecture.md, "Capture, then fold"): captured rows that woke nobody (a title
 * edit, a nextRunAt further ahead) are folded by it. While folds find rows it runs every
 * FOLD_INTERVAL_MIN_MS (under sync traffic a row waits ~0.1 s to be projected); each empty fold doubles
 * the pause up to FOLD_INTERVAL_MS, so an idle listener asks once a second. The capture trigger's wake
 * horizon (2 s) covers the longest pause.
 */
export const FOLD_INTERVAL_MS = 1_000;
export const FOLD_INTERVAL_MIN_MS = 100;
/** Rows per mana_ai.fold() call (one transaction each); a pass repeats while a batch comes back full. */
export const FOLD_BATCH = 1_000;

/** At most this many pool connections serve runs (plus 4 for ticks, heartbeats, HTTP and scrapes). */
export const POOL_RUN_CONNECTIONS = 16;

export interface App {
  /** Checks the database, starts LISTEN, HTTP and the loops; resolves with the HTTP port. */
  start(): Promise<{ port: number }>;
  /** Stops claiming, lets in-flight runs finish within the grace period, closes everything. */
  stop(): Promise<void>;
  /** One tick as POST /internal/tick runs it (also used by tests). */
  tickNow(): Promise<TickStats>;
}

export interface AppOptions {
  config: Config;
  logger: Logger;
  version: string;
  /** Called when the process cannot continue (LISTEN gave up reconnecting). */
  onFatal?: (error: Error) => void;
  /** Override the worker name recorded on claimed runs. */
  worker?: string;
}

export function createApp(options: AppOptions): App {
  const { config, logger } = options;
  const worker = options.worker ?? `${hostname()}:${process.pid}`;
  // Runs share the pool: with more runs in flight than connections their short SQL calls queue, which
  // beats exhausting the server's max_connections under a burst (bench B6 at concurrency 1,000).
  const pool = createPool({ connectionString: config.syncDatabaseUrl, max: Math.min(config.concurrency, POOL_RUN_CONNECTIONS) + 4, logger });
  const calls = createCalls(pool);
  const metrics = createMetrics({ readSqlCounters: () => calls.readCounters(), logger });
  const llm = createLlmClient({
    baseUrl: config.llmUrl,
    serviceKey: config.serviceKey,
    apiKey: config.llmApiKey,
    model: config.llmModel,
    timeoutMs: config.llmTimeoutMs,
    maxAttempts: config.llmMaxAttempts,
    backoffBaseMs: 500,
    backoffMaxMs: 10_000,
    breaker: { failureThreshold: 5, cooldownMs: 30_000 },
    logger: logger.child({ component: 'llm' }),
    onAttempt: (seconds, outcome) => {
      metrics.plannerRequestDuration.observe(seconds);
      metrics.llmAttempts.inc({ outcome });
    },
    onRetry: () => metrics.llmRetries.inc(),
  });
  const runner = createRunner({
    calls, llm, metrics, worker,
    logger: logger.child({ component: 'runner' }),
    grantKey: loadPrivateKey(config.privateKeyPem),
    leaseMs: config.leaseMs,
    concurrency: config.concurrency,
  });

  let stopping = false;
  let tickInterval: NodeJS.Timeout | undefined;
  let foldTimer: NodeJS.Timeout | undefined;
  let foldPause = FOLD_INTERVAL_MIN_MS;
  let wakeTimer: NodeJS.Timeout | undefined;
  let http: HttpServer | undefined;

  const sqlTick = async (): Promise<SqlTickStats> => {
    const stats = await calls.tick();
    metrics.ticks.inc();
    return stats;
  };

  let foldPass: Promise<number> | null = null;
  let foldAgain = false;
  /**
   * Folds the capture queue until a batch comes back short. A call made while a pass runs makes that
   * pass go round once more, so the pass it waits for covers every row committed before the call.
   * Resolves with the rows folded.
   */
  const foldAll = (): Promise<number> => {
    if (foldPass) {
      foldAgain = true;
      return foldPass;
    }
    foldPass = (async () => {
      let total = 0;
      do {
        foldAgain = false;
        for (;;) {
          const { rows } = await calls.fold(FOLD_BATCH);
          total += rows;
          if (rows < FOLD_BATCH || stopping) break;
        }
      } while (foldAgain && !stopping);
      return total;
    })().finally(() => {
      foldPass = null;
    });
    return foldPass;
  };

  /** The periodic fold: when it projected anything, that may have made work due or moved the timer. */
  const foldNow = async () => {
    if (stopping) return;
    let folded = 0;
    try {
      folded = await foldAll();
      if (folded > 0) await wake('fold');
    } catch (error) {
      logger.warn('fold failed', { message: coerceError(error).message });
    }
    if (stopping) return;
    foldPause = folded > 0 ? FOLD_INTERVAL_MIN_MS : Math.min(FOLD_INTERVAL_MS, foldPause * 2);
    foldTimer = setTimeout(() => void foldNow(), foldPause);
    foldTimer.unref();
  };

  /** After a failed next_wakeup (a transient database error) the timer looks again this soon. */
  const wakeupRetryMs = Math.min(5_000, config.tickIntervalMs);
  let armCalls = 0;

  /**
   * Re-arms the timer for the next instant something becomes due or claimable. Calls overlap (every
   * wake-up ends here), so only the latest one decides: an older, slower answer never replaces a newer
   * one. A failed read must not drop the timer (the mission would wait for the periodic tick, or forever
   * with TICK_ENABLED=false): it retries (test/chaos/02-postgres-restart.test.ts).
   */
  const armTimer = async () => {
    if (stopping) return;
    const call = ++armCalls;
    let next: Date | null = null;
    let failed = false;
    try {
      next = await calls.nextWakeup();
    } catch (error) {
      failed = true;
      logger.warn('next_wakeup failed', { message: coerceError(error).message });
    }
    if (stopping || call !== armCalls) return;
    clearTimeout(wakeTimer);
    if (failed) {
      wakeTimer = setTimeout(() => void wake('timer'), wakeupRetryMs);
      wakeTimer.unref();
      return;
    }
    if (!next) return;
    const delay = Math.min(Math.max(0, new Date(next).getTime() - Date.now()), config.tickIntervalMs, 2_147_483_647);
    wakeTimer = setTimeout(() => void wake('timer'), delay);
    wakeTimer.unref();
  };

  const wake = async (reason: WakeupReason) => {
    if (stopping) return;
    metrics.wakeups.inc({ reason });
    try {
      // every wake-up folds first: a claim must see what was committed before it
      await foldAll();
      if (reason === 'timer' || reason === 'tick' || reason === 'connected') {
        const started = performance.now();
        const stats = await sqlTick();
        metrics.tickDuration.observe((performance.now() - started) / 1000);
        if (reason !== 'timer') logger.info('tick', { source: reason, ...stats });
      }
      await runner.drain(reason);
    } catch (error) {
      logger.error('wake-up failed', { reason, message: coerceError(error).message });
    }
    await armTimer();
  };

  const listener = createListener({
    connectionString: config.listenDatabaseUrl,
    logger: logger.child({ component: 'listener' }),
    onWake: (reason) => void wake(reason),
    onFatal: (error) => (options.onFatal ?? (() => undefined))(error),
  });

  const tickNow = async (): Promise<TickStats> => {
    const started = performance.now();
    metrics.wakeups.inc({ reason: 'manual' });
    await foldAll();
    const stats = await sqlTick();
    const results = await runner.drainAndWait('manual');
    metrics.tickDuration.observe((performance.now() - started) / 1000);
    void armTimer();
    const errors = results
      .filter((r) => r.outcome === 'failed' || r.outcome === 'dead')
      .map((r) => `mission=${r.missionId}: ${'message' in r ? r.message : r.outcome}`);
    return {
      scannedAt: stats.scannedAt,
      dueMissionCount: stats.dueMissionCount,
      plansProduced: results.filter((r) => r.outcome === 'done' || ('planProduced' in r && r.planProduced)).length,
      plansWrittenBack: results.filter((r) => r.outcome === 'done').length,
      parseFailures: results.filter((r) => 'parseFailure' in r && r.parseFailure).length,
      errors,
    };
  };

  return {
    tickNow,
    async start() {
      const info = await calls.runtimeInfo().catch((error) => {
        const e = coerceError(error);
        if (/api_version|runtime_settings|does not exist/.test(e.message)) throw new SchemaMismatchError(null);
        throw e;
      });
      if (info.apiVersion !== EXPECTED_API_VERSION) throw new SchemaMismatchError(info.apiVersion);
      if ((info.superuser || info.bypassRls) && !config.allowSuperuser) {
        throw new RoleRefusedError(
          `the database role "${info.role}" is a superuser or bypasses RLS; run the listener as a member of mana_ai_runner ` +
            '(CREATE ROLE … LOGIN IN ROLE mana_ai_runner), or set MANA_AI_ALLOW_SUPERUSER=true for development only',
        );
      }
      if (!info.superuser && !info.runnerMember) {
        throw new RoleRefusedError(`the database role "${info.role}" is not a member of mana_ai_runner (GRANT mana_ai_runner TO "${info.role}")`);
      }
      if (info.timezone !== config.timezone) {
        throw new AppError('TIMEZONE_MISMATCH',
          `MANA_AI_TIMEZONE is ${config.timezone} but the database schedules in ${info.timezone}; run \`mana-ai migrate\` with the same MANA_AI_TIMEZONE`);
      }
      await listener.start();
      http = createHttpServer({
        config, version: options.version, metrics, logger: logger.child({ component: 'http' }),
        runTick: tickNow,
        readAudit: async (userId, missionId, limit) =>
          (await calls.readDecryptAudit(userId, missionId, limit)).map((r) => ({
            id: String(r.id), missionId: r.mission_id, iterationId: r.iteration_id, tableName: r.table_name,
            recordId: r.record_id, status: r.status, reason: r.reason, ts: r.ts,
          })),
        health: async () => {
          let db: 'ok' | 'unreachable' = 'ok';
          let lastTickAgeSeconds: number | null = null;
          try {
            const s = await calls.runtimeSettings();
            if (s.lastTickAt) lastTickAgeSeconds = Math.max(0, (Date.now() - new Date(s.lastTickAt).getTime()) / 1000);
          } catch {
            db = 'unreachable';
          }
          return { db, listener: listener.state(), lastTickAgeSeconds, tick: { enabled: config.tickEnabled, running: tickInterval !== undefined } };
        },
      });
      const address = await http.listen(config.port);
      if (config.tickEnabled) {
        tickInterval = setInterval(() => void wake('tick'), config.tickIntervalMs);
      }
      foldTimer = setTimeout(() => void foldNow(), FOLD_INTERVAL_MIN_MS);
      foldTimer.unref();
      logger.info('mana-ai listener started', { worker, port: address.port, concurrency: config.concurrency, tick_enabled: config.tickEnabled });
      await wake('connected');
      return { port: address.port };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(tickInterval);
      tickInterval = undefined;
      clearTimeout(foldTimer);
      clearTimeout(wakeTimer);
      await http?.close().catch(() => undefined);
      await listener.close();
      await runner.stop(config.shutdownGraceMs);
      await llm.close().catch(() => undefined);
      await Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]).catch(() => undefined);
      logger.info('mana-ai listener stopped');
    },
  };
}
