/**
 * Multi-host database URLs with `target_session_attrs`, the way libpq reads them, for node-postgres
 * (which connects to exactly one host). An HA deployment (Patroni, or any primary with standbys) names
 * every node and asks for the writable one:
 *
 *   postgresql://mana_ai@db1:5432,db2:5432/mana_sync?target_session_attrs=read-write
 *
 * Hosts are tried in order, starting with the last one that was accepted; with `read-write` a host is
 * accepted only when `SHOW transaction_read_only` says `off` (a standby, or a primary being demoted, says
 * `on`). `any` (the default) accepts the first host that answers. The same host list may be given as
 * `?host=a,b&port=p1,p2` (libpq's keyword form; needed for Unix socket directories). A URL with one host
 * and no `target_session_attrs` behaves exactly like plain node-postgres.
 *
 * {@link targetClient} returns a `pg.Client` subclass that picks its host at `connect()` time, so a
 * `pg.Pool` built with it (`Client` option) reconnects to the new primary after a failover without
 * being rebuilt, and so does the LISTEN connection (src/listen/listener.ts). Operators' side:
 * docs/operations-ha.md §1; measured by `make test-ha` (test/ha).
 */
import pg from 'pg';
import { AppError, coerceError } from '../errors.js';

export type TargetSessionAttrs = 'any' | 'read-write';

/** One host of a parsed URL, with a single-host URL node-postgres can use as is. */
export interface TargetHost {
  /** Hostname, IP address, or Unix socket directory (starts with `/`). */
  readonly host: string;
  readonly port: number;
  /** The original URL narrowed to this host, without `target_session_attrs`. */
  readonly url: string;
}

export interface DatabaseTarget {
  readonly hosts: readonly TargetHost[];
  readonly targetSessionAttrs: TargetSessionAttrs;
  /** True when a connection must be chosen among hosts or checked for writability. */
  readonly needsChoice: boolean;
}

/** The URL is not a PostgreSQL URL this module can read; the message never contains the password. */
export class DatabaseUrlError extends AppError {
  constructor(message: string) {
    super('DB_URL_INVALID', message);
  }
}

/** No host of the URL accepted a connection that satisfies `target_session_attrs`. */
export class NoTargetHostError extends AppError {
  readonly attempts: readonly string[];
  constructor(attrs: TargetSessionAttrs, attempts: readonly string[]) {
    super('DB_NO_TARGET_HOST', `no database host accepted a ${attrs} connection: ${attempts.join('; ')}`);
    this.attempts = attempts;
  }
}

const DEFAULT_PORT = 5432;

/**
 * Parses a `postgres://` or `postgresql://` URL with one or more comma-separated hosts.
 * @throws DatabaseUrlError for anything else (wrong scheme, bad port, unknown target_session_attrs).
 */
export function parseDatabaseUrl(value: string): DatabaseTarget {
  const m = /^(postgres(?:ql)?:)\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/.exec(value);
  if (!m) throw new DatabaseUrlError('not a postgres:// or postgresql:// URL');
  const [, scheme, authority = '', path = '', query = ''] = m;
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at + 1) : '';
  const hostlist = at >= 0 ? authority.slice(at + 1) : authority;
  const params = new URLSearchParams(query.slice(1));

  const attrs = params.get('target_session_attrs') ?? 'any';
  if (attrs !== 'any' && attrs !== 'read-write') {
    throw new DatabaseUrlError(`target_session_attrs must be "any" or "read-write", got ${JSON.stringify(attrs.slice(0, 40))}`);
  }
  params.delete('target_session_attrs');

  // Hosts from the authority (host[:port], [v6][:port]) or, when given, from ?host= and ?port= lists.
  let entries: { host: string; port: string | undefined }[] = hostlist.split(',').map((item) => {
    const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(item)!;
    return { host: decodeURIComponent(hp[1]!), port: hp[2] };
  });
  const hostParam = params.get('host');
  const portParam = params.get('port');
  params.delete('host');
  params.delete('port');
  if (hostParam !== null && hostParam !== '') {
    // The authority's port (one for all) still applies unless ?port= overrides it.
    const authorityPort = entries.length === 1 ? entries[0]!.port : undefined;
    entries = hostParam.split(',').map((host) => ({ host, port: authorityPort }));
  }
  if (portParam !== null && portParam !== '') {
    const ports = portParam.split(',');
    if (ports.length !== 1 && ports.length !== entries.length) {
      throw new DatabaseUrlError(`${ports.length} ports for ${entries.length} hosts`);
    }
    entries = entries.map((e, i) => ({ host: e.host, port: ports.length === 1 ? ports[0] : ports[i] }));
  }

  const rest = params.toString();
  const hosts = entries.map(({ host, port: portText }): TargetHost => {
    const port = portText === undefined || portText === '' ? DEFAULT_PORT : /^[0-9]{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
    if (!(port >= 1 && port <= 65_535)) throw new DatabaseUrlError(`bad port ${JSON.stringify(String(portText).slice(0, 20))}`);
    const name = host === '' ? 'localhost' : host;
    // node-postgres reads socket directories from ?host=; TCP hosts stay in the authority.
    const socket = name.startsWith('/');
    const q = [socket ? `host=${encodeURIComponent(name)}` : '', rest].filter(Boolean).join('&');
    const url = `${scheme}//${userinfo}${socket ? 'localhost' : name}:${port}${path}${q ? `?${q}` : ''}`;
    try {
      new URL(url);
    } catch {
      throw new DatabaseUrlError(`host ${JSON.stringify(name.slice(0, 60))} does not make a valid URL`);
    }
    return { host: name, port, url };
  });
  return Object.freeze({ hosts: Object.freeze(hosts), targetSessionAttrs: attrs, needsChoice: hosts.length > 1 || attrs !== 'any' });
}

/** `host:port` (or `socketdir:port`) for logs and errors. */
export const describeHost = (h: TargetHost): string => `${h.host}:${h.port}`;

/** What {@link targetClient} needs besides the URL. */
export interface TargetOptions {
  /** Per host and attempt; default 5 s. */
  connectTimeoutMs?: number;
}

/**
 * A `pg.Client` class bound to `url`: each instance chooses its host when it connects (see the module
 * comment) and remembers the accepted host for the next instance. Pass it as `Client` to `pg.Pool`.
 */
export function targetClient(url: string, options: TargetOptions = {}): typeof pg.Client {
  const target = parseDatabaseUrl(url);
  const timeoutMs = options.connectTimeoutMs ?? 5_000;
  let preferred = 0;

  /** Is this connected client one `target_session_attrs` accepts? */
  const acceptable = async (client: pg.Client): Promise<string | null> => {
    if (target.targetSessionAttrs === 'any') return null;
    const { rows } = await client.query<{ transaction_read_only: string }>('show transaction_read_only');
    return rows[0]?.transaction_read_only === 'off' ? null : 'read-only (a standby, or read-only by default)';
  };

  /** The first host, from the preferred one on, that accepts a probe connection. */
  const choose = async (): Promise<TargetHost> => {
    const attempts: string[] = [];
    for (let k = 0; k < target.hosts.length; k += 1) {
      const i = (preferred + k) % target.hosts.length;
      const host = target.hosts[i]!;
      const probe = new pg.Client({ connectionString: host.url, connectionTimeoutMillis: timeoutMs, application_name: 'mana-ai target probe' });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        const refused = await acceptable(probe);
        if (refused === null) {
          preferred = i;
          return host;
        }
        attempts.push(`${describeHost(host)} ${refused}`);
      } catch (error) {
        attempts.push(`${describeHost(host)} ${coerceError(error).message}`);
      } finally {
        await probe.end().catch(() => undefined);
      }
    }
    throw new NoTargetHostError(target.targetSessionAttrs, attempts);
  };

  class TargetClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      // One host and no target_session_attrs: the URL as given, exactly as plain node-postgres reads it.
      super({ ...config, connectionString: target.needsChoice ? target.hosts[preferred]!.url : url });
    }

    override connect(): Promise<pg.Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
    override connect(callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): Promise<pg.Client> | void {
      if (!callback) {
        return new Promise<pg.Client>((resolve, reject) => {
          this.connect((err: Error | null, c?: pg.Client) => (err ? reject(err) : resolve(c!)));
        });
      }
      // Callback style on purpose: pg-pool attaches its 'error' listener inside this callback, and it
      // must run synchronously with pg's own connect callback. A FATAL that arrives in the same socket
      // read as ReadyForQuery (a server shutting down) would otherwise be emitted with no listener.
      const cb = callback as (err: Error | null, c?: pg.Client) => void;
      const host = target.needsChoice && target.hosts.length > 1 ? choose() : Promise.resolve(target.hosts[0]!);
      host.then((chosen) => {
        // The socket is opened in connect() from these two fields; user, database and options are
        // the same for every host of one URL.
        if (target.needsChoice) {
          const self = this as unknown as { host: string; port: number; connectionParameters: { host: string; port: number } };
          self.host = chosen.host;
          self.port = chosen.port;
          self.connectionParameters.host = chosen.host;
          self.connectionParameters.port = chosen.port;
        }
        super.connect((err: Error | null) => {
          if (err) return cb(err);
          if (target.targetSessionAttrs === 'any') return cb(null, this);
          // The chosen primary may have been demoted between the probe and this connection. Until the
          // caller has its own listener, a connection error during the check is handled here.
          const hold = () => undefined;
          this.on('error', hold);
          this.query('show transaction_read_only', (qerr: Error | null, res: pg.QueryResult<{ transaction_read_only: string }>) => {
            this.removeListener('error', hold);
            if (!qerr && res.rows[0]?.transaction_read_only === 'off') return cb(null, this);
            void this.end().catch(() => undefined);
            cb(qerr ?? new NoTargetHostError(target.targetSessionAttrs, [`${describeHost(chosen)} read-only (demoted after the probe)`]));
          });
        });
      }, (error: unknown) => cb(coerceError(error)));
    }
  }
  return TargetClient;
}
