/**
 * Configuration: the only module that reads the environment (docs/operations.md §2).
 * {@link loadConfig} validates every variable, collects every problem and throws one ConfigError
 * naming them all, so a bad deploy fails fast with the whole list instead of one fix per restart.
 */
import { parseDatabaseUrl } from './db/target.js';
import { ConfigError, coerceError } from './errors.js';
import type { LogLevel } from './log.js';
import { DEFAULT_PROMPT_MAX_CHARS } from './planner/input-limit.js';

/** Validated, frozen configuration. Optional secrets are `undefined` when unset or empty. */
export interface Config {
  readonly port: number;
  readonly syncDatabaseUrl: string;
  /**
   * The LISTEN connection; defaults to {@link Config.syncDatabaseUrl}. Set it to a direct URL when
   * SYNC_DATABASE_URL goes through a transaction-mode pooler (pgbouncer), which cannot hold a LISTEN.
   */
  readonly listenDatabaseUrl: string;
  /** Used only by `mana-ai migrate`; defaults to {@link Config.syncDatabaseUrl}. */
  readonly adminDatabaseUrl: string;
  readonly allowSuperuser: boolean;
  /** Gate for `/internal/*` and Bearer token for the gateway; unset → `/internal/*` answers 503. */
  readonly serviceKey: string | undefined;
  readonly tickIntervalMs: number;
  readonly tickEnabled: boolean;
  readonly privateKeyPem: string | undefined;
  readonly authUrl: string;
  readonly jwtIssuer: string | undefined;
  readonly jwtAudience: string;
  readonly nodeEnv: string | undefined;
  /** The raw DEV_BYPASS_AUTH flag. */
  readonly devBypassAuth: boolean;
  readonly devUserId: string;
  /** Effective bypass: NODE_ENV=development and DEV_BYPASS_AUTH=true. */
  readonly devAuthBypass: boolean;
  /** Canonical IANA name (validated by Intl). */
  readonly timezone: string;
  readonly llmUrl: string;
  readonly llmTimeoutMs: number;
  readonly llmModel: string;
  readonly llmApiKey: string | undefined;
  readonly llmMaxAttempts: number;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly shutdownGraceMs: number;
  /** Most characters of linked-input content one prompt carries; beyond it inputs are cut, longest first. */
  readonly promptMaxChars: number;
  readonly logLevel: LogLevel;
}

/** Default database URL of the reference (a development credential, not a secret). */
export const DEFAULT_SYNC_DATABASE_URL = 'postgresql://mana:devpassword@localhost:5432/mana_sync';
/** User of the development auth bypass when DEV_USER_ID is unset. */
export const DEFAULT_DEV_USER_ID = '00000000-0000-0000-0000-000000000000';
/** Largest delay Node timers honour; anything above silently becomes 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the configuration from `env` (default `process.env`).
 * @throws ConfigError listing every problem found.
 */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const r = reader(env, problems);

  const syncDatabaseUrl = r.url('SYNC_DATABASE_URL', DEFAULT_SYNC_DATABASE_URL, PG, true);
  const llmTimeoutMs = r.int('MANA_LLM_TIMEOUT_MS', 120_000, 1, MAX_TIMER_MS, 'a positive integer of milliseconds');
  const nodeEnv = r.str('NODE_ENV');
  const devBypassAuth = r.bool('DEV_BYPASS_AUTH', false);

  const config: Config = {
    port: r.int('PORT', 3067, 0, 65_535, 'a port number (0-65535)'),
    syncDatabaseUrl,
    listenDatabaseUrl: r.url('MANA_AI_LISTEN_DATABASE_URL', syncDatabaseUrl, PG),
    adminDatabaseUrl: r.url('MANA_AI_ADMIN_DATABASE_URL', syncDatabaseUrl, PG),
    allowSuperuser: r.bool('MANA_AI_ALLOW_SUPERUSER', false),
    serviceKey: r.str('MANA_SERVICE_KEY'),
    tickIntervalMs: r.int('TICK_INTERVAL_MS', 60_000, 1, MAX_TIMER_MS, 'a positive integer of milliseconds'),
    tickEnabled: r.bool('TICK_ENABLED', true),
    privateKeyPem: r.pem('MANA_AI_PRIVATE_KEY_PEM'),
    authUrl: r.url('MANA_AUTH_URL', 'http://localhost:3001', HTTP),
    jwtIssuer: r.str('JWT_ISSUER'),
    jwtAudience: r.str('JWT_AUDIENCE') ?? 'mana',
    nodeEnv,
    devBypassAuth,
    devUserId: r.str('DEV_USER_ID') ?? DEFAULT_DEV_USER_ID,
    devAuthBypass: nodeEnv === 'development' && devBypassAuth,
    timezone: r.zone('MANA_AI_TIMEZONE', 'Europe/Berlin'),
    llmUrl: r.url('MANA_LLM_URL', 'http://localhost:3025', HTTP),
    llmTimeoutMs,
    llmModel: r.str('MANA_LLM_MODEL') ?? 'gpt-4o-mini',
    llmApiKey: r.str('MANA_LLM_API_KEY'),
    llmMaxAttempts: r.int('MANA_LLM_MAX_ATTEMPTS', 3, 1, 10, 'an integer from 1 to 10'),
    concurrency: r.int('MANA_AI_CONCURRENCY', 4, 1, 1000, 'an integer from 1 to 1000'),
    leaseMs: r.int('MANA_AI_LEASE_MS', Math.min(2 * llmTimeoutMs, MAX_TIMER_MS), 1, MAX_TIMER_MS,
      'a positive integer of milliseconds'),
    // Container runtimes send SIGKILL 10 s after SIGTERM: the grace must end before that.
    shutdownGraceMs: r.int('MANA_AI_SHUTDOWN_GRACE_MS', 8000, 0, 9999, 'an integer of milliseconds below 10000'),
    promptMaxChars: r.int('MANA_AI_PROMPT_MAX_CHARS', DEFAULT_PROMPT_MAX_CHARS, 1000, 10_000_000,
      'an integer of characters from 1000 to 10000000'),
    logLevel: r.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** What the admin commands (`migrate`, `rebuild`, …) need; they do not depend on listener settings. */
export interface AdminConfig {
  readonly adminDatabaseUrl: string;
  readonly syncDatabaseUrl: string;
  /** Only when MANA_AI_TIMEZONE is set: migrate stores it; unset leaves the database's zone alone. */
  readonly timezone: string | undefined;
  readonly logLevel: LogLevel;
}

/**
 * Reads the admin commands' configuration: MANA_AI_ADMIN_DATABASE_URL, falling back to
 * SYNC_DATABASE_URL, plus MANA_AI_TIMEZONE and LOG_LEVEL.
 * @throws ConfigError listing every problem found.
 */
export function loadAdminConfig(env: Env = process.env): AdminConfig {
  const problems: string[] = [];
  const r = reader(env, problems);
  const syncDatabaseUrl = r.url('SYNC_DATABASE_URL', DEFAULT_SYNC_DATABASE_URL, PG, true);
  const config: AdminConfig = {
    syncDatabaseUrl,
    adminDatabaseUrl: r.url('MANA_AI_ADMIN_DATABASE_URL', syncDatabaseUrl, PG),
    timezone: env.MANA_AI_TIMEZONE === undefined || env.MANA_AI_TIMEZONE === '' ? undefined : r.zone('MANA_AI_TIMEZONE', 'Europe/Berlin'),
    logLevel: r.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** A loggable copy of `config`: secrets replaced by `"[redacted]"`, passwords removed from URLs. */
export function describeConfig(config: Config): Record<string, unknown> {
  const secret = (v: string | undefined) => (v === undefined ? null : '[redacted]');
  return {
    ...config,
    serviceKey: secret(config.serviceKey),
    llmApiKey: secret(config.llmApiKey),
    privateKeyPem: secret(config.privateKeyPem),
    syncDatabaseUrl: redactUrl(config.syncDatabaseUrl),
    listenDatabaseUrl: redactUrl(config.listenDatabaseUrl),
    adminDatabaseUrl: redactUrl(config.adminDatabaseUrl),
    llmUrl: redactUrl(config.llmUrl),
    authUrl: redactUrl(config.authUrl),
  };
}

/** Replaces a URL's password (userinfo or `password=` query parameter) with `[redacted]`. */
export function redactUrl(value: string): string {
  // A multi-host database URL (host1:5432,host2:5432) is no WHATWG URL: redact its userinfo by hand.
  const multi = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*,[^/?#]*)(.*)$/.exec(value);
  if (multi) {
    const [, scheme, userinfo = '', hosts, rest = ''] = multi;
    const user = userinfo.includes(':') ? `${userinfo.slice(0, userinfo.indexOf(':'))}:[redacted]@` : userinfo;
    return `${scheme}${user}${hosts}${rest.replace(/([?&]password=)[^&#]*/g, '$1[redacted]')}`;
  }
  try {
    const url = new URL(value);
    if (url.password !== '') url.password = '[redacted]';
    if (url.searchParams.has('password')) url.searchParams.set('password', '[redacted]');
    return url.toString();
  } catch {
    return '[unparseable url]';
  }
}

const HTTP = ['http:', 'https:'] as const;
const PG = ['postgres:', 'postgresql:'] as const;

/** Typed readers that push a problem (and return the default) instead of throwing. */
function reader(env: Env, problems: string[]) {
  const got = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  /** Unset and set-but-empty both mean "not configured" for optional values. */
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  return {
    str,
    int(name: string, dflt: number, min: number, max: number, expected: string): number {
      const v = str(name);
      if (v === undefined) return dflt;
      const n = /^[0-9]+$/.test(v) ? Number(v) : Number.NaN;
      if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
      problems.push(`${name} must be ${expected}, got ${got(v)}`);
      return dflt;
    },
    bool(name: string, dflt: boolean): boolean {
      const v = str(name);
      if (v === undefined) return dflt;
      if (v === 'true' || v === 'false') return v === 'true';
      problems.push(`${name} must be "true" or "false", got ${got(v)}`);
      return dflt;
    },
    url(name: string, dflt: string, protocols: readonly string[], emptyIsError = false): string {
      const expected = `${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`;
      if (env[name] === '' && emptyIsError) {
        problems.push(`${expected}, got an empty string`);
        return dflt;
      }
      const v = str(name);
      if (v === undefined) return dflt;
      if (protocols === PG && /^postgres(ql)?:\/\//.test(v)) {
        // libpq's form: one or more comma-separated hosts, target_session_attrs (src/db/target.ts).
        try {
          parseDatabaseUrl(v);
          return v;
        } catch (error) {
          problems.push(`${expected}, got one that cannot be read: ${coerceError(error).message}`);
          return dflt;
        }
      }
      let url: URL | undefined;
      try {
        url = new URL(v);
      } catch {
        url = undefined;
      }
      if (url !== undefined && protocols.includes(url.protocol)) return v;
      // Database URLs carry passwords, possibly where a wrong URL hides them from redaction: name only the scheme.
      const shown = protocols === PG
        ? (url === undefined ? 'an unparseable URL' : `a URL with scheme ${got(url.protocol)}`)
        : got(url !== undefined && url.password !== '' ? redactUrl(v) : v);
      problems.push(`${expected}, got ${shown}`);
      return dflt;
    },
    oneOf<T extends string>(name: string, dflt: T, allowed: readonly T[]): T {
      const v = str(name);
      if (v === undefined) return dflt;
      if ((allowed as readonly string[]).includes(v)) return v as T;
      problems.push(`${name} must be one of ${allowed.join(', ')}, got ${got(v)}`);
      return dflt;
    },
    zone(name: string, dflt: string): string {
      const v = str(name) ?? dflt;
      try {
        return new Intl.DateTimeFormat('en-US', { timeZone: v }).resolvedOptions().timeZone;
      } catch {
        problems.push(`${name} must be an IANA time zone such as "Europe/Berlin", got ${got(v)}`);
        return dflt;
      }
    },
    pem(name: string): string | undefined {
      const v = str(name);
      if (v === undefined) return undefined;
      // Only the armour is checked here (never echo key material); the crypto module parses the key.
      if (/-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----/.test(v)) return v;
      problems.push(`${name} must be a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), got ${v.length} characters without it`);
      return undefined;
    },
  };
}
