/**
 * LISTEN on `mana_ai_runs` on a connection of its own. A notification is only a latency hint:
 * notifications sent while the connection is down are lost, so every (re)connect also wakes the
 * runner, which rescans through SQL.
 *
 * The connection comes from src/db/target.ts, so with a multi-host URL and
 * `target_session_attrs=read-write` a reconnect lands on whichever node is the primary now (after a
 * failover or switchover the old one is gone or a standby, where LISTEN is refused). A lost connection
 * is noticed by its `error`/`end` events or, for a silent one, by a `select 1` check every 10 s with a
 * client-side timeout; reconnect attempts run every 500 ms for at most 60 s, then `onFatal` (the
 * process exits and its supervisor restarts it). LISTEN must not go through a transaction-mode pooler:
 * pgbouncer would hand the session to other clients between transactions, so its URL is a separate
 * setting (MANA_AI_LISTEN_DATABASE_URL; docs/operations-ha.md §4).
 */
import type pg from 'pg';
import { targetClient } from '../db/target.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../log.js';

export const CHANNEL = 'mana_ai_runs';

export interface ListenerOptions {
  connectionString: string;
  logger: Logger;
  /** Called on every notification and after every (re)connect. */
  onWake(reason: 'notify' | 'connected'): void;
  /** Reconnecting gave up: the process should exit and be restarted. */
  onFatal(error: Error): void;
  /** Defaults: check every 10 s, retry every 500 ms for 60 s, 5 s per connect and check. */
  checkIntervalMs?: number;
  retryIntervalMs?: number;
  retryTimeoutMs?: number;
  timeoutMs?: number;
}

export interface Listener {
  start(): Promise<void>;
  state(): 'connecting' | 'connected' | 'reconnecting' | 'closed';
  close(): Promise<void>;
}

export function createListener(options: ListenerOptions): Listener {
  const { logger } = options;
  const checkIntervalMs = options.checkIntervalMs ?? 10_000;
  const retryIntervalMs = options.retryIntervalMs ?? 500;
  const retryTimeoutMs = options.retryTimeoutMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const Client = targetClient(options.connectionString, { connectTimeoutMs: timeoutMs });
  let state: ReturnType<Listener['state']> = 'connecting';
  let client: pg.Client | null = null;
  let checkTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryNow: (() => void) | undefined;
  let reconnecting: Promise<void> | null = null;
  /** Read through a call: TypeScript would otherwise keep a narrowing across awaits. */
  const closed = () => state === 'closed';

  /** One connection with LISTEN issued; throws when either step fails (the client is closed then). */
  const open = async (): Promise<pg.Client> => {
    const c = new Client({ application_name: 'mana-ai LISTEN', keepAlive: true, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
    c.on('error', (error) => lost(c, error));
    c.on('end', () => lost(c, new Error('connection ended')));
    c.on('notification', (n) => {
      if (n.channel === CHANNEL && client === c) options.onWake('notify');
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      return c;
    } catch (error) {
      await c.end().catch(() => undefined);
      throw error;
    }
  };

  const connected = (c: pg.Client) => {
    client = c;
    state = 'connected';
    const host = (c as unknown as { host: string; port: number });
    logger.info('listening', { channel: CHANNEL, host: `${host.host}:${host.port}` });
    clearInterval(checkTimer);
    checkTimer = setInterval(() => {
      if (client !== c) return;
      c.query('select 1').catch((error: unknown) => lost(c, coerceError(error)));
    }, checkIntervalMs);
    checkTimer.unref();
    options.onWake('connected');
  };

  /** The current connection failed: drop it and reconnect (once, however many events report it). */
  const lost = (c: pg.Client, error: Error) => {
    if (client !== c || closed()) return;
    client = null;
    clearInterval(checkTimer);
    void c.end().catch(() => undefined);
    state = 'reconnecting';
    logger.warn('LISTEN connection lost: reconnecting', { attempt: 1, message: error.message });
    reconnecting = reconnect();
  };

  const reconnect = async () => {
    const deadline = Date.now() + retryTimeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      if (closed()) return;
      try {
        const c = await open();
        if (closed()) {
          await c.end().catch(() => undefined);
          return;
        }
        connected(c);
        return;
      } catch (error) {
        const e = coerceError(error);
        if (Date.now() + retryIntervalMs > deadline) {
          state = 'closed';
          logger.error('LISTEN connection failed for good', { message: e.message, attempts: attempt });
          options.onFatal(new Error(`LISTEN reconnection gave up after ${retryTimeoutMs} ms: ${e.message}`, { cause: e }));
          return;
        }
        if (attempt % 10 === 0) logger.warn('LISTEN connection lost: reconnecting', { attempt: attempt + 1, message: e.message });
      }
      if (closed()) return;
      await new Promise<void>((resolve) => {
        retryNow = resolve;
        retryTimer = setTimeout(resolve, retryIntervalMs);
      });
    }
  };

  return {
    async start() {
      connected(await open());
    },
    state: () => state,
    async close() {
      state = 'closed';
      clearInterval(checkTimer);
      clearTimeout(retryTimer);
      retryNow?.();
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
      await reconnecting?.catch(() => undefined);
    },
  };
}
