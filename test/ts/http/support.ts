/**
 * Helpers for the HTTP tests: a real JWKS server, Ed25519 token signing with node:crypto, and the
 * app server on a loopback port with recording fakes for its dependencies.
 */
import { generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../../src/config.js';
import { silentLogger, type Logger } from '../../../src/log.js';
import { createMetrics, type Metrics } from '../../../src/metrics.js';
import { createHttpServer, type HttpServerOptions } from '../../../src/http/server.js';
import type { AuditRow, HealthInfo, TickStats } from '../../../src/http/types.js';

export interface TestKey { kid: string; privateKey: KeyObject; jwk: JsonWebKey }

/** A fresh Ed25519 key pair; `jwk` is the public half as a JWKS entry. */
export function makeKey(kid: string): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' } };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs a compact JWS with EdDSA; `header` overrides the default `{alg, typ, kid}`. */
export function signToken(key: TestKey, payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const data = `${b64({ alg: 'EdDSA', typ: 'JWT', kid: key.kid, ...header })}.${b64(payload)}`;
  return `${data}.${sign(null, Buffer.from(data), key.privateKey).toString('base64url')}`;
}

/** Claims that pass verification against {@link startApp}'s defaults. */
export function goodClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: 'http://localhost:3001', aud: 'mana', sub: 'user-1', iat: now, exp: now + 600, ...overrides };
}

export interface JwksServer { url: string; keys: JsonWebKey[]; requests: number; status: number; close(): Promise<void> }

/** A real JWKS endpoint at `${url}/api/v1/auth/jwks`; mutate `keys`/`status` to rotate or break it. */
export async function startJwks(keys: JsonWebKey[]): Promise<JwksServer> {
  const state = { keys, requests: 0, status: 200 };
  const server = createServer((req, res) => {
    if (req.url !== '/api/v1/auth/jwks') { res.writeHead(404).end(); return; }
    state.requests += 1;
    res.writeHead(state.status, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  const url = await listen(server);
  return Object.assign(state, { url, close: () => closeServer(server) });
}

export interface App {
  base: string;
  metrics: Metrics;
  auditCalls: [string, string | null, number][];
  tickCalls: number;
  healthInfo: HealthInfo | Error;
  close(): Promise<void>;
}

export const TICK_STATS: TickStats = {
  scannedAt: '2024-01-01T00:00:00.000Z', dueMissionCount: 2, plansProduced: 1, plansWrittenBack: 1,
  parseFailures: 0, errors: [],
};

const AUDIT_ROW = {
  id: '42', missionId: 'm-1', iterationId: null, tableName: 'notes', recordId: 'n-1', status: 'ok', reason: null,
  ts: new Date('2024-01-02T03:04:05.000Z'), userId: 'never-sent',
} as AuditRow;

/** Starts the app on 127.0.0.1:0 with env-derived config (`env`) and recording fakes. */
export async function startApp(env: Record<string, string>, extra: Partial<HttpServerOptions> = {},
  logger: Logger = silentLogger): Promise<App> {
  const metrics = createMetrics();
  const state: Omit<App, 'base' | 'close'> = {
    metrics, auditCalls: [], tickCalls: 0,
    healthInfo: { db: 'ok', listener: 'connected', lastTickAgeSeconds: 12, tick: { enabled: true, running: true } },
  };
  const http = createHttpServer({
    config: loadConfig(env), version: '0.6.0', metrics, logger,
    health: async () => { if (state.healthInfo instanceof Error) throw state.healthInfo; return state.healthInfo; },
    runTick: async () => { state.tickCalls += 1; return TICK_STATS; },
    readAudit: async (userId, missionId, limit) => { state.auditCalls.push([userId, missionId, limit]); return [AUDIT_ROW]; },
    ...extra,
  });
  const address = await http.listen(0, '127.0.0.1');
  return Object.assign(state, { base: `http://127.0.0.1:${address.port}`, close: () => http.close() });
}

/** One request on a fresh connection (no keep-alive pool left behind). */
export async function call(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { ...init, headers: { connection: 'close', ...(init.headers as Record<string, string>) } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The value of `mana_ai_http_requests_total` for exactly these labels (0 when absent). */
export async function requestCount(metrics: Metrics, labels: { method: string; path: string; status: string }): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve)); // let the server record a just-finished response
  const { values } = await metrics.httpRequests.get();
  const hit = values.find((v) => v.labels.method === labels.method && v.labels.path === labels.path
    && String(v.labels.status) === labels.status);
  return hit?.value ?? 0;
}
