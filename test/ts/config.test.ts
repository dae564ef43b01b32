import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_DEV_USER_ID, DEFAULT_SYNC_DATABASE_URL, describeConfig, loadConfig, redactUrl } from '../../src/config.js';
import { AppError, ConfigError } from '../../src/errors.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKeySecretMaterial\n-----END PRIVATE KEY-----\n';

/** The problems of the ConfigError that `env` causes (fails if it loads). */
function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('loadConfig defaults', () => {
  test('an empty environment gives every documented default', () => {
    assert.deepEqual({ ...loadConfig({}) }, {
      port: 3067,
      syncDatabaseUrl: DEFAULT_SYNC_DATABASE_URL,
      listenDatabaseUrl: DEFAULT_SYNC_DATABASE_URL,
      adminDatabaseUrl: DEFAULT_SYNC_DATABASE_URL,
      allowSuperuser: false,
      serviceKey: undefined,
      tickIntervalMs: 60_000,
      tickEnabled: true,
      privateKeyPem: undefined,
      authUrl: 'http://localhost:3001',
      jwtIssuer: undefined,
      jwtAudience: 'mana',
      nodeEnv: undefined,
      devBypassAuth: false,
      devUserId: DEFAULT_DEV_USER_ID,
      devAuthBypass: false,
      timezone: 'Europe/Berlin',
      llmUrl: 'http://localhost:3025',
      llmTimeoutMs: 120_000,
      llmModel: 'gpt-4o-mini',
      llmApiKey: undefined,
      llmMaxAttempts: 3,
      concurrency: 4,
      leaseMs: 240_000,
      shutdownGraceMs: 8000,
      promptMaxChars: 100_000,
      logLevel: 'info',
    });
    assert.equal(DEFAULT_SYNC_DATABASE_URL, 'postgresql://mana:devpassword@localhost:5432/mana_sync');
    assert.equal(DEFAULT_DEV_USER_ID, '00000000-0000-0000-0000-000000000000');
  });

  test('the result is frozen', () => {
    const config = loadConfig({});
    assert.ok(Object.isFrozen(config));
    assert.throws(() => { (config as { port: number }).port = 1; }, TypeError);
  });

  test('derived defaults follow the variables they derive from', () => {
    const config = loadConfig({ MANA_LLM_TIMEOUT_MS: '30000', SYNC_DATABASE_URL: 'postgres://a@db:5432/x' });
    assert.equal(config.leaseMs, 60_000);
    assert.equal(config.adminDatabaseUrl, 'postgres://a@db:5432/x');
  });

  test('every variable is read when set', () => {
    const config = loadConfig({
      PORT: '0', SYNC_DATABASE_URL: 'postgresql://u:p@h/db', MANA_AI_ADMIN_DATABASE_URL: 'postgres://owner:q@h/db',
      MANA_AI_ALLOW_SUPERUSER: 'true', MANA_SERVICE_KEY: 'k', TICK_INTERVAL_MS: '1000', TICK_ENABLED: 'false',
      MANA_AI_PRIVATE_KEY_PEM: PEM, MANA_AUTH_URL: 'https://auth.example', JWT_ISSUER: 'iss', JWT_AUDIENCE: 'aud',
      NODE_ENV: 'development', DEV_BYPASS_AUTH: 'true', DEV_USER_ID: 'dev-user', MANA_AI_TIMEZONE: 'UTC',
      MANA_LLM_URL: 'https://llm.example/base', MANA_LLM_TIMEOUT_MS: '5000', MANA_LLM_MODEL: 'openai/gpt-4o',
      MANA_LLM_API_KEY: 'api', MANA_LLM_MAX_ATTEMPTS: '1', MANA_AI_CONCURRENCY: '16', MANA_AI_LEASE_MS: '7000',
      MANA_AI_SHUTDOWN_GRACE_MS: '9999', LOG_LEVEL: 'debug', MANA_AI_PROMPT_MAX_CHARS: '20000',
    });
    assert.equal(config.port, 0);
    assert.equal(config.adminDatabaseUrl, 'postgres://owner:q@h/db');
    assert.equal(config.allowSuperuser, true);
    assert.equal(config.serviceKey, 'k');
    assert.equal(config.tickIntervalMs, 1000);
    assert.equal(config.tickEnabled, false);
    assert.equal(config.privateKeyPem, PEM);
    assert.equal(config.authUrl, 'https://auth.example');
    assert.equal(config.jwtIssuer, 'iss');
    assert.equal(config.jwtAudience, 'aud');
    assert.equal(config.devAuthBypass, true);
    assert.equal(config.devUserId, 'dev-user');
    assert.equal(config.timezone, 'UTC');
    assert.equal(config.llmUrl, 'https://llm.example/base');
    assert.equal(config.llmTimeoutMs, 5000);
    assert.equal(config.llmModel, 'openai/gpt-4o');
    assert.equal(config.llmApiKey, 'api');
    assert.equal(config.llmMaxAttempts, 1);
    assert.equal(config.concurrency, 16);
    assert.equal(config.leaseMs, 7000);
    assert.equal(config.shutdownGraceMs, 9999);
    assert.equal(config.promptMaxChars, 20_000);
    assert.equal(config.logLevel, 'debug');
  });

  test('set-but-empty optional variables count as unset', () => {
    const config = loadConfig({ MANA_SERVICE_KEY: '', MANA_LLM_API_KEY: '', JWT_ISSUER: '', PORT: '', TICK_ENABLED: '' });
    assert.equal(config.serviceKey, undefined);
    assert.equal(config.llmApiKey, undefined);
    assert.equal(config.jwtIssuer, undefined);
    assert.equal(config.port, 3067);
    assert.equal(config.tickEnabled, true);
  });

  test('the dev bypass needs both NODE_ENV=development and DEV_BYPASS_AUTH=true', () => {
    assert.equal(loadConfig({ NODE_ENV: 'development', DEV_BYPASS_AUTH: 'true' }).devAuthBypass, true);
    assert.equal(loadConfig({ NODE_ENV: 'production', DEV_BYPASS_AUTH: 'true' }).devAuthBypass, false);
    assert.equal(loadConfig({ NODE_ENV: 'development', DEV_BYPASS_AUTH: 'false' }).devAuthBypass, false);
    assert.equal(loadConfig({ DEV_BYPASS_AUTH: 'true' }).devAuthBypass, false);
  });

  test('the time zone is validated by Intl and stored canonically', () => {
    assert.equal(loadConfig({ MANA_AI_TIMEZONE: 'america/new_york' }).timezone, 'America/New_York');
  });
});

describe('loadConfig validation', () => {
  test('every problem is collected into one ConfigError', () => {
    let caught: unknown;
    try {
      loadConfig({
        PORT: '70000', SYNC_DATABASE_URL: '', MANA_LLM_URL: 'ftp://x', TICK_INTERVAL_MS: '0', TICK_ENABLED: 'no',
        MANA_AUTH_URL: 'not a url', MANA_AI_TIMEZONE: 'Mars/Olympus', MANA_LLM_TIMEOUT_MS: '30s',
        MANA_AI_CONCURRENCY: '-1', MANA_AI_LEASE_MS: '1.5', MANA_AI_ADMIN_DATABASE_URL: 'mysql://root:hunter2@h/db',
        MANA_AI_ALLOW_SUPERUSER: 'TRUE', DEV_BYPASS_AUTH: '1', MANA_LLM_MAX_ATTEMPTS: '0',
        MANA_AI_SHUTDOWN_GRACE_MS: '10000', LOG_LEVEL: 'verbose', MANA_AI_PRIVATE_KEY_PEM: 'sekrit',
        MANA_AI_PROMPT_MAX_CHARS: '999',
      });
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError);
    assert.ok(caught instanceof AppError);
    assert.equal(caught.code, 'CONFIG_INVALID');
    assert.deepEqual([...caught.problems].sort(), [
      'DEV_BYPASS_AUTH must be "true" or "false", got "1"',
      'LOG_LEVEL must be one of debug, info, warn, error, got "verbose"',
      'MANA_AI_ADMIN_DATABASE_URL must be a postgres:// or postgresql:// URL, got a URL with scheme "mysql:"',
      'MANA_AI_ALLOW_SUPERUSER must be "true" or "false", got "TRUE"',
      'MANA_AI_CONCURRENCY must be an integer from 1 to 1000, got "-1"',
      'MANA_AI_LEASE_MS must be a positive integer of milliseconds, got "1.5"',
      'MANA_AI_PRIVATE_KEY_PEM must be a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), got 6 characters without it',
      'MANA_AI_PROMPT_MAX_CHARS must be an integer of characters from 1000 to 10000000, got "999"',
      'MANA_AI_SHUTDOWN_GRACE_MS must be an integer of milliseconds below 10000, got "10000"',
      'MANA_AI_TIMEZONE must be an IANA time zone such as "Europe/Berlin", got "Mars/Olympus"',
      'MANA_AUTH_URL must be a http:// or https:// URL, got "not a url"',
      'MANA_LLM_MAX_ATTEMPTS must be an integer from 1 to 10, got "0"',
      'MANA_LLM_TIMEOUT_MS must be a positive integer of milliseconds, got "30s"',
      'MANA_LLM_URL must be a http:// or https:// URL, got "ftp://x"',
      'PORT must be a port number (0-65535), got "70000"',
      'SYNC_DATABASE_URL must be a postgres:// or postgresql:// URL, got an empty string',
      'TICK_ENABLED must be "true" or "false", got "no"',
      'TICK_INTERVAL_MS must be a positive integer of milliseconds, got "0"',
    ]);
    assert.match(caught.message, /^invalid configuration:\n {2}- /);
    assert.doesNotMatch(caught.message, /hunter2|sekrit/);
  });

  for (const bad of ['12abc', '1.5', '-1', ' 12', '12 ', '1e3', '0x10', '+5', '9007199254740993', 'Infinity']) {
    test(`integers are parsed strictly: ${JSON.stringify(bad)} is an error`, () => {
      assert.deepEqual(problemsOf({ MANA_AI_CONCURRENCY: '4', TICK_INTERVAL_MS: bad }),
        [`TICK_INTERVAL_MS must be a positive integer of milliseconds, got ${JSON.stringify(bad)}`]);
    });
  }

  test('millisecond values above what Node timers honour are rejected', () => {
    assert.equal(problemsOf({ TICK_INTERVAL_MS: '2147483648' }).length, 1);
    assert.equal(loadConfig({ TICK_INTERVAL_MS: '2147483647' }).tickIntervalMs, 2147483647);
    // A huge timeout must not produce a lease default Node cannot schedule.
    assert.equal(loadConfig({ MANA_LLM_TIMEOUT_MS: '2000000000' }).leaseMs, 2147483647);
  });

  test('a wrong database URL is never echoed (it may hold a password)', () => {
    assert.deepEqual(problemsOf({ SYNC_DATABASE_URL: 'mana:pw@@nohost' }),
      ['SYNC_DATABASE_URL must be a postgres:// or postgresql:// URL, got a URL with scheme "mana:"']);
    assert.deepEqual(problemsOf({ SYNC_DATABASE_URL: 'pw@@nohost' }),
      ['SYNC_DATABASE_URL must be a postgres:// or postgresql:// URL, got an unparseable URL']);
  });

  test('multi-host URLs with target_session_attrs are accepted; MANA_AI_LISTEN_DATABASE_URL defaults to SYNC_DATABASE_URL', () => {
    const ha = 'postgresql://mana_ai:pw@db1:5432,db2:5432/mana_sync?target_session_attrs=read-write';
    const c = loadConfig({ SYNC_DATABASE_URL: ha });
    assert.equal(c.syncDatabaseUrl, ha);
    assert.equal(c.listenDatabaseUrl, ha);
    const pooled = loadConfig({ SYNC_DATABASE_URL: 'postgresql://mana_ai@pgbouncer:6432/mana_sync', MANA_AI_LISTEN_DATABASE_URL: ha });
    assert.equal(pooled.listenDatabaseUrl, ha);
    assert.equal(describeConfig(c).syncDatabaseUrl, 'postgresql://mana_ai:[redacted]@db1:5432,db2:5432/mana_sync?target_session_attrs=read-write');
    assert.equal(redactUrl('postgres://u@a,b/db?password=pw&x=1'), 'postgres://u@a,b/db?password=[redacted]&x=1');
  });

  test('a bad MANA_AI_LISTEN_DATABASE_URL or target_session_attrs is named, without the password', () => {
    assert.deepEqual(problemsOf({ MANA_AI_LISTEN_DATABASE_URL: 'redis://x' }),
      ['MANA_AI_LISTEN_DATABASE_URL must be a postgres:// or postgresql:// URL, got a URL with scheme "redis:"']);
    assert.deepEqual(problemsOf({ SYNC_DATABASE_URL: 'postgresql://u:secret@a,b/db?target_session_attrs=standby' }),
      ['SYNC_DATABASE_URL must be a postgres:// or postgresql:// URL, got one that cannot be read: target_session_attrs must be "any" or "read-write", got "standby"']);
    assert.deepEqual(problemsOf({ MANA_AI_LISTEN_DATABASE_URL: 'postgres://u:secret@a:1,b:99999/db' }),
      ['MANA_AI_LISTEN_DATABASE_URL must be a postgres:// or postgresql:// URL, got one that cannot be read: bad port "99999"']);
  });

  test('https and postgres (short scheme) URLs are accepted', () => {
    const c = loadConfig({ MANA_LLM_URL: 'https://llm', SYNC_DATABASE_URL: 'postgres:///db?host=/run/pg' });
    assert.equal(c.llmUrl, 'https://llm');
    assert.equal(c.syncDatabaseUrl, 'postgres:///db?host=/run/pg');
  });
});

describe('describeConfig', () => {
  test('redacts the service key, API key, PEM and database passwords', () => {
    const config = loadConfig({
      MANA_SERVICE_KEY: 'service-secret', MANA_LLM_API_KEY: 'api-secret', MANA_AI_PRIVATE_KEY_PEM: PEM,
      SYNC_DATABASE_URL: 'postgresql://mana:db-secret@db:5432/mana_sync',
      MANA_AI_ADMIN_DATABASE_URL: 'postgresql://owner@db/mana_sync?password=admin-secret',
      MANA_LLM_URL: 'https://user:llm-secret@llm.example',
    });
    const described = describeConfig(config);
    const text = JSON.stringify(described);
    for (const secret of ['service-secret', 'api-secret', 'KeySecretMaterial', 'db-secret', 'admin-secret', 'llm-secret']) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.equal(described.serviceKey, '[redacted]');
    assert.equal(described.llmApiKey, '[redacted]');
    assert.equal(described.privateKeyPem, '[redacted]');
    assert.equal(described.syncDatabaseUrl, 'postgresql://mana:%5Bredacted%5D@db:5432/mana_sync');
    assert.equal(described.port, 3067);
  });

  test('unset secrets show as null, so "not configured" stays visible', () => {
    const described = describeConfig(loadConfig({}));
    assert.equal(described.serviceKey, null);
    assert.equal(described.llmApiKey, null);
    assert.equal(described.privateKeyPem, null);
  });

  test('redactUrl leaves password-free URLs alone and hides unparseable ones', () => {
    assert.equal(redactUrl('http://localhost:3025'), 'http://localhost:3025/');
    assert.equal(redactUrl('::nonsense::'), '[unparseable url]');
  });
});
