/**
 * The listener's connection pool. Every statement the listener runs is a call of a `mana_ai.*`
 * function (src/db/calls.ts) with unnamed statements, so the pool needs no session state and works
 * through a transaction-mode pooler (pgbouncer); the LISTEN connection is separate
 * (src/listen/listener.ts). A multi-host URL with `target_session_attrs=read-write` makes every new
 * connection find the current primary (src/db/target.ts), so the pool follows a failover.
 */
import pg from 'pg';
import type { Logger } from '../log.js';
import { targetClient } from './target.js';

export interface PoolOptions {
  connectionString: string;
  /** Concurrent runs plus headroom for heartbeats, ticks, HTTP and scrapes. */
  max: number;
  logger: Logger;
  applicationName?: string;
}

/** Creates a pg.Pool whose idle-client errors are logged instead of crashing the process. */
export function createPool(options: PoolOptions): pg.Pool {
  const Client = targetClient(options.connectionString);
  const pool = new pg.Pool({
    Client,
    max: options.max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    application_name: options.applicationName ?? 'mana-ai listener',
  });
  pool.on('error', (error) => options.logger.warn('idle database connection failed', { message: error.message }));
  return pool;
}
