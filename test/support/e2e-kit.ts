/**
 * Helpers for the end-to-end suites (test/ts/e2e): a real app (createApp) on a loopback HTTP port
 * against a fresh test database, record builders for missions and agents as the web app writes them,
 * prompt access on the fake LLM's requests, a Prometheus text reader and ledger queries.
 */
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, silentLogger, type Logger } from '../../src/log.js';
import type { SyncRow, TestDb } from './db.js';
import type { FakeLlm, FakeLlmRequest } from '../../src/dev/fake-llm.js';

/** A started app and the base URL of its HTTP server. */
export interface RunningApp {
  readonly app: App;
  readonly port: number;
  readonly base: string;
  /** Log lines, when `collectLogs` was set. */
  readonly logs: string[];
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Env overrides on top of the defaults below; `undefined` removes a default. */
  env?: Record<string, string | undefined>;
  worker?: string;
  /** Collect JSON log lines (level from env LOG_LEVEL, default error) into `logs`. */
  collectLogs?: boolean;
  version?: string;
}

/**
 * Where the app's query pool connects: the database directly, or, under `make test-pgbouncer`
 * (test/support/with-pgbouncer.sh sets MANA_TEST_PGBOUNCER_*), through pgbouncer in transaction pooling
 * mode with LISTEN on a direct connection (MANA_AI_LISTEN_DATABASE_URL).
 */
export function databaseEnv(db: TestDb): Record<string, string> {
  const host = process.env.MANA_TEST_PGBOUNCER_HOST;
  if (!host) return { SYNC_DATABASE_URL: db.runnerUrl };
  return {
    SYNC_DATABASE_URL: `postgresql://mana_ai_test_listener@localhost:${process.env.MANA_TEST_PGBOUNCER_PORT ?? '6432'}/${db.name}?host=${encodeURIComponent(host)}`,
    MANA_AI_LISTEN_DATABASE_URL: db.runnerUrl,
  };
}

/** Env every e2e app starts from: runner role, loopback fake LLM, no scheduled tick, port 0. */
export function baseEnv(db: TestDb, llm: FakeLlm): Record<string, string> {
  return {
    ...databaseEnv(db),
    MANA_LLM_URL: llm.url,
    MANA_SERVICE_KEY: 'svc-key',
    PORT: '0',
    TICK_ENABLED: 'false',
    MANA_LLM_TIMEOUT_MS: '5000',
    MANA_AI_TIMEZONE: 'Europe/Berlin',
    LOG_LEVEL: 'error',
  };
}

/** Creates and starts an app; the caller stops it (stop() is idempotent). */
export async function startRunner(db: TestDb, llm: FakeLlm, options: StartOptions = {}): Promise<RunningApp> {
  const env: Record<string, string | undefined> = { ...baseEnv(db, llm), ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const config = loadConfig(env);
  const logs: string[] = [];
  const logger: Logger = options.collectLogs
    ? createLogger({ level: config.logLevel, write: (line) => logs.push(line) })
    : silentLogger;
  const app = createApp({ config, logger, version: options.version ?? '0.0.0-test', worker: options.worker ?? 'e2e' });
  let port: number;
  try {
    ({ port } = await app.start());
  } catch (error) {
    await app.stop().catch(() => undefined);
    throw error;
  }
  return { app, port, base: `http://127.0.0.1:${port}`, logs, stop: () => app.stop() };
}

const PAST = '2026-01-01T00:00:00.000Z';

/** A mission `insert` row as the web app writes it: active, interval cadence, due since PAST. */
export function missionRow(userId: string, id: string, fields: Record<string, unknown> = {}): SyncRow {
  return {
    userId, table: 'aiMissions', recordId: id, op: 'insert',
    data: {
      id, title: `Mission ${id}`, conceptMarkdown: 'Konzept', objective: `Ziel von ${id}`, state: 'active',
      cadence: { kind: 'interval', everyMinutes: 60 }, nextRunAt: PAST, inputs: [], iterations: [],
      createdAt: PAST, updatedAt: PAST, userId, ...fields,
    },
  };
}

/** An agent `insert` row (state active, quota 1 unless overridden). */
export function agentRow(userId: string, id: string, fields: Record<string, unknown> = {}): SyncRow {
  return {
    userId, table: 'agents', recordId: id, op: 'insert',
    data: {
      id, name: `Agent ${id}`, role: 'Assistent', state: 'active', maxConcurrentMissions: 1,
      policy: { tools: {}, defaultForAi: 'propose' }, createdAt: PAST, updatedAt: PAST, ...fields,
    },
  };
}

/** A plain record `insert` row of another app (notes, todo, …). */
export function recordRow(userId: string, appId: string, table: string, id: string, data: Record<string, unknown>): SyncRow {
  return { userId, appId, table, recordId: id, op: 'insert', data: { id, createdAt: PAST, updatedAt: PAST, ...data } };
}

interface ChatBody { messages?: { role: string; content: string }[] }

/** The user message of an LLM request (`''` if absent). */
export function userMessage(request: FakeLlmRequest): string {
  return (request.body as ChatBody | undefined)?.messages?.find((m) => m.role === 'user')?.content ?? '';
}

/** The mission title a request plans for (the `# Mission: <title>` line of the user message). */
export function missionTitleOf(request: FakeLlmRequest): string | undefined {
  return /^# Mission: (.*)$/m.exec(userMessage(request))?.[1];
}

/** The requests the fake received for the mission with this title. */
export function requestsFor(llm: FakeLlm, title: string): FakeLlmRequest[] {
  return llm.requests.filter((r) => missionTitleOf(r) === title);
}

/** Prometheus text of `base/metrics`. */
export async function scrape(base: string): Promise<string> {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/**
 * Sum of the samples of `name` whose labels include `labels` (0 when there is none). Parses the
 * text exposition format line by line; label values have no escaped quotes in our series.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) have[l[1]!] = l[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

export interface RunRow {
  run_id: string;
  user_id: string;
  mission_id: string;
  status: string;
  attempts: number;
  worker: string | null;
  iteration_id: string | null;
  error_class: string | null;
  last_error: string | null;
  lease_until: Date | null;
  agent_id: string | null;
}

/** Ledger rows of one mission (superuser read), oldest slot first. */
export async function runsOf(db: TestDb, userId: string, missionId: string): Promise<RunRow[]> {
  const { rows } = await db.admin.query<RunRow>(
    'select * from mana_ai.runs where user_id = $1 and mission_id = $2 order by slot, run_id', [userId, missionId]);
  return rows;
}

export interface WriteBackRow {
  id: string;
  data: Record<string, unknown>;
  field_timestamps: Record<string, string>;
  actor: Record<string, unknown>;
  op: string;
}

/** Rows the runner wrote for one mission. */
export async function writeBacksOf(db: TestDb, userId: string, missionId: string): Promise<WriteBackRow[]> {
  const { rows } = await db.admin.query<WriteBackRow>(
    `select id, data, field_timestamps, actor, op from public.sync_changes
      where client_id = 'mana-ai-runner' and user_id = $1 and app_id = 'ai' and table_name = 'aiMissions' and record_id = $2
      order by created_at, id`, [userId, missionId]);
  return rows;
}

/** Polls until the mission has a run in one of `statuses`; returns that run. */
export async function waitForRun(
  db: TestDb, userId: string, missionId: string, statuses: string[] = ['done'], timeoutMs = 10_000,
): Promise<RunRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = (await runsOf(db, userId, missionId)).find((r) => statuses.includes(r.status));
    if (run) return run;
    if (Date.now() > deadline) {
      const seen = (await runsOf(db, userId, missionId)).map((r) => `${r.status}/${r.attempts} ${r.last_error ?? ''}`);
      throw new Error(`mission ${userId}/${missionId}: no run in ${statuses.join('|')} within ${timeoutMs} ms (runs: ${seen.join('; ') || 'none'})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
