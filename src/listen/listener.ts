/**
 * LISTEN on `mana_ai_runs` with pg-listen, on its own connection. A notification is only a latency
 * hint: notifications sent while the connection is down are lost, so every (re)connect also wakes
 * the runner, which rescans through SQL.
 */
import pgListen from 'pg-listen';
import type { Logger } from '../log.js';

const createSubscriber = pgListen.default;

export const CHANNEL = 'mana_ai_runs';

export interface ListenerOptions {
  connectionString: string;
  logger: Logger;
  /** Called on every notification and after every (re)connect. */
  onWake(reason: 'notify' | 'connected'): void;
  /** Reconnecting gave up: the process should exit and be restarted. */
  onFatal(error: Error): void;
}

export interface Listener {
  start(): Promise<void>;
  state(): 'connecting' | 'connected' | 'reconnecting' | 'closed';
  close(): Promise<void>;
}

export function createListener(options: ListenerOptions): Listener {
  const { logger } = options;
  let state: ReturnType<Listener['state']> = 'connecting';
  const subscriber = createSubscriber(
    { connectionString: options.connectionString, application_name: 'mana-ai LISTEN' },
    { paranoidChecking: 10_000, retryInterval: 500, retryTimeout: 60_000, parse: (s: string) => s },
  );
  subscriber.events.on('connected', () => {
    state = 'connected';
    logger.info('listening', { channel: CHANNEL });
    options.onWake('connected');
  });
  subscriber.events.on('reconnect', (attempt: number) => {
    state = 'reconnecting';
    logger.warn('LISTEN connection lost: reconnecting', { attempt });
  });
  subscriber.events.on('error', (error: Error) => {
    state = 'closed';
    logger.error('LISTEN connection failed for good', { message: error.message });
    options.onFatal(error);
  });
  subscriber.notifications.on(CHANNEL, () => options.onWake('notify'));
  return {
    async start() {
      await subscriber.connect();
      await subscriber.listenTo(CHANNEL);
    },
    state: () => state,
    async close() {
      state = 'closed';
      await subscriber.close().catch(() => undefined);
    },
  };
}
