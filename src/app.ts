/**
 * Composition of the listener process: builds every dependency from the validated config and owns
 * the ordered start and stop. The parts: db/preflight.ts (checks before serving), schedule/
 * scheduler.ts (wake-ups, timer, periodic and manual ticks), http/adapters.ts (health and audit for
 * the HTTP server), run/runner.ts (claiming and processing). main.ts (the `serve` command) only calls
 * createApp → start → stop on a signal.
 */
import { hostname } from 'node:os';
import type { Config } from './config.js';
import { loadPrivateKey } from './crypto/grant.js';
import { createCalls } from './db/calls.js';
import { createPool } from './db/pool.js';
import { preflight } from './db/preflight.js';
import { createAuditReader, createHealthProbe } from './http/adapters.js';
import { createHttpServer, type HttpServer } from './http/server.js';
import type { TickStats } from './http/types.js';
import { createListener } from './listen/listener.js';
import { createLlmClient } from './llm/client.js';
import type { Logger } from './log.js';
import { createMetrics } from './metrics.js';
import { createRunner } from './run/runner.js';
import { createScheduler } from './schedule/scheduler.js';

export { RoleRefusedError } from './db/preflight.js';

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

  const scheduler = createScheduler({
    tick: () => calls.tick(),
    fold: (limit) => calls.fold(limit),
    nextWakeup: () => calls.nextWakeup(),
    runner, metrics,
    logger,
    tickIntervalMs: config.tickIntervalMs,
    tickEnabled: config.tickEnabled,
  });
  const listener = createListener({
    connectionString: config.listenDatabaseUrl,
    logger: logger.child({ component: 'listener' }),
    onWake: (reason) => void scheduler.wake(reason),
    onFatal: (error) => (options.onFatal ?? (() => undefined))(error),
  });
  let stopping = false;
  let http: HttpServer | undefined;

  return {
    tickNow: () => scheduler.tickNow(),
    async start() {
      await preflight(() => calls.runtimeInfo(), config);
      await listener.start();
      http = createHttpServer({
        config, version: options.version, metrics, logger: logger.child({ component: 'http' }),
        runTick: () => scheduler.tickNow(),
        readAudit: createAuditReader(calls),
        health: createHealthProbe({
          calls, listenerState: () => listener.state(),
          tickEnabled: config.tickEnabled, tickRunning: () => scheduler.tickRunning(),
        }),
      });
      const address = await http.listen(config.port);
      logger.info('mana-ai listener started', { worker, port: address.port, concurrency: config.concurrency, tick_enabled: config.tickEnabled });
      await scheduler.start();
      return { port: address.port };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      scheduler.stop();
      await http?.close().catch(() => undefined);
      await listener.close();
      await runner.stop(config.shutdownGraceMs);
      await llm.close().catch(() => undefined);
      await Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]).catch(() => undefined);
      logger.info('mana-ai listener stopped');
    },
  };
}
