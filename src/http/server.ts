/**
 * The HTTP surface (docs/operations.md §1) on plain node:http: `/health`, `/metrics`, `/internal/tick`
 * behind the service key, and the audit endpoint. Metrics label requests by route pattern only.
 * Only `/api/*` and `/health` may be routed publicly (KI-23).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import { errorFields } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { createAuditHandler, type ReadAudit } from './audit.js';
import { createJwksClient, type JwksClient } from './jwks.js';
import { acceptedIssuers, createJwtVerifier, jwksUrlFor } from './jwt.js';
import { requestLimits, readBodyWithin, type HttpLimits } from './limits.js';
import { sendBody, sendError, sendJson } from './respond.js';
import { createServiceKeyCheck } from './service-key.js';
import type { HealthInfo, TickStats, VerifyJwt } from './types.js';

/** The configuration the HTTP layer needs. */
export type HttpConfig = Pick<Config, 'serviceKey' | 'authUrl' | 'jwtIssuer' | 'jwtAudience' | 'devAuthBypass' | 'devUserId'>;

export interface HttpServerOptions {
  config: HttpConfig;
  /** Reported by `/health` (the package version). */
  version: string;
  metrics: Pick<Metrics, 'registry' | 'httpRequests' | 'httpRequestDuration'>;
  logger: Logger;
  health(): Promise<HealthInfo>;
  runTick(): Promise<TickStats>;
  readAudit: ReadAudit;
  /** Overrides the built-in JWKS verifier (which is then not created). */
  verifyJwt?: VerifyJwt;
  /** JWKS cache tuning for the built-in verifier. */
  jwks?: { cooldownMs?: number; maxAgeMs?: number; timeoutMs?: number };
  limits?: Partial<HttpLimits>;
}

/** A created (not yet listening) server. */
export interface HttpServer {
  readonly server: Server;
  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting, ends idle sockets, gives in-flight requests `limits.closeGraceMs`, closes the JWKS agent. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => Promise<void>;

/** Creates the server with every route wired; see {@link HttpServerOptions}. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { config, logger, metrics } = options;
  const limits = requestLimits(options.limits);
  let jwks: JwksClient | undefined;
  let verifyJwt = options.verifyJwt;
  if (verifyJwt === undefined) {
    jwks = createJwksClient({ url: jwksUrlFor(config.authUrl), logger, ...options.jwks });
    verifyJwt = createJwtVerifier({ jwks, audience: config.jwtAudience, issuers: acceptedIssuers(config) });
  }
  const keyMatches = config.serviceKey === undefined ? undefined : createServiceKeyCheck(config.serviceKey);

  const routes: Record<string, Partial<Record<string, Handler>>> = {
    '/health': { GET: async (_req, res) => health(res) },
    '/metrics': {
      GET: async (_req, res) => sendBody(res, 200, metrics.registry.contentType, await metrics.registry.metrics()),
    },
    '/internal/tick': { POST: async (_req, res) => sendJson(res, 200, await options.runTick()) },
    '/api/v1/me/ai-audit': {
      GET: createAuditHandler({
        readAudit: options.readAudit, verifyJwt, logger,
        bypassUserId: config.devAuthBypass ? config.devUserId : null,
      }),
    },
  };

  const health = async (res: ServerResponse): Promise<void> => {
    const base = { service: 'mana-ai', version: options.version };
    let info: HealthInfo;
    try {
      info = await withTimeout(options.health(), limits.healthTimeoutMs);
    } catch (error) {
      logger.warn('health check failed', { error: errorFields(error) });
      sendJson(res, 503, { ok: false, ...base, error: 'health check failed' });
      return;
    }
    const ok = info.db === 'ok';
    sendJson(res, ok ? 200 : 503, {
      ok, ...base, tick: { enabled: info.tick.enabled, running: info.tick.running },
      db: info.db, listener: info.listener, lastTickAgeSeconds: info.lastTickAgeSeconds,
    });
  };

  let closing = false;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const search = q === -1 ? '' : url.slice(q + 1);
    const internal = pathname === '/internal' || pathname.startsWith('/internal/');
    const route = Object.hasOwn(routes, pathname) ? routes[pathname] : undefined;
    // Hono's routePath: the matched route, else the last middleware that saw it (`/internal/*` or `/*`).
    let path = route !== undefined ? pathname : internal ? '/internal/*' : '/*';
    if (closing) res.setHeader('connection', 'close');
    let recorded = false;
    const record = (status: number) => {
      if (recorded) return;
      recorded = true;
      const labels = { method, path, status: String(status) };
      metrics.httpRequests.inc(labels);
      metrics.httpRequestDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    };
    // Closed without finishing: the client went away before the answer was out (nginx's 499).
    res.once('finish', () => record(res.statusCode)).once('close', () => record(499));

    if (internal) {
      const given = req.headers['x-service-key'];
      if (keyMatches === undefined || !keyMatches(Array.isArray(given) ? given.join(', ') : given)) {
        path = '/internal/*'; // stopped by the gate: labelled with the middleware's pattern
        return keyMatches === undefined
          ? sendError(res, 503, 'service key not configured')
          : sendError(res, 401, 'invalid or missing service key');
      }
    }
    if (route === undefined) return sendError(res, 404, 'not found');
    const handler = Object.hasOwn(route, method) ? route[method] : method === 'HEAD' ? route.GET : undefined;
    if (handler === undefined) {
      const allow = Object.keys(route).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
      return sendError(res, 405, 'method not allowed', { allow });
    }
    if (!(await readBodyWithin(req, limits.bodyBytes))) {
      return sendError(res, 413, 'payload too large', { connection: 'close' });
    }
    await handler(req, res, new URLSearchParams(search));
  };

  const server = createServer({
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
  }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('http request failed', { error: errorFields(error), method: req.method });
      sendError(res, 500, 'internal error');
    });
  });

  return {
    server,
    listen: (port, host) => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    }),
    close: async () => {
      closing = true;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        timer = setTimeout(() => server.closeAllConnections(), limits.closeGraceMs);
      });
      clearTimeout(timer);
      await jwks?.close();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
