/**
 * The listener's connection pool. Every statement the listener runs is a call of a `mana_ai.*`
 * function (src/db/calls.ts), so the pool needs no session state; the LISTEN connection is separate
 * (src/listen/listener.ts).
 */
import pg from 'pg';
import type { Logger } from '../log.js';

export interface PoolOptions {
  connectionString: string;
  /** Concurrent runs plus headroom for heartbeats, ticks, HTTP and scrapes. */
  max: number;
  logger: Logger;
  applicationName?: string;
}

/** Creates a pg.Pool whose idle-client errors are logged instead of crashing the process. */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    application_name: options.applicationName ?? 'mana-ai listener',
  });
  pool.on('error', (error) => options.logger.warn('idle database connection failed', { message: error.message }));
  return pool;
}
