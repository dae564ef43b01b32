/**
 * Multi-host URLs with target_session_attrs (src/db/target.ts) and the LISTEN connection built on them
 * (src/listen/listener.ts), against the throwaway cluster: an unreachable first host is skipped, a
 * read-only database is refused under read-write, the pool reconnects after its connections are
 * killed, and LISTEN comes back (and wakes the runner) after its backend is terminated.
 * The real failover (Patroni promotes a standby) is `make test-ha` (test/ha).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { DatabaseUrlError, NoTargetHostError, parseDatabaseUrl, targetClient } from '../../../src/db/target.js';
import { createListener } from '../../../src/listen/listener.js';
import { createLogger, silentLogger } from '../../../src/log.js';
import { freshDatabase, waitFor, type TestDb } from '../../support/db.js';

describe('parseDatabaseUrl', () => {
  test('libpq multi-host authority with ports and target_session_attrs', () => {
    const t = parseDatabaseUrl('postgresql://u:p%40w@db1:5433,db2,[::1]:6000/mana_sync?target_session_attrs=read-write&sslmode=disable');
    assert.equal(t.targetSessionAttrs, 'read-write');
    assert.equal(t.needsChoice, true);
    assert.deepEqual(t.hosts.map((h) => [h.host, h.port]), [['db1', 5433], ['db2', 5432], ['[::1]', 6000]]);
    assert.equal(t.hosts[1]!.url, 'postgresql://u:p%40w@db2:5432/mana_sync?sslmode=disable');
  });

  test('?host= and ?port= lists (socket directories), one port for all or one per host', () => {
    const t = parseDatabaseUrl('postgres://u@/db?host=/run/a,/run/b&port=5433');
    assert.deepEqual(t.hosts.map((h) => [h.host, h.port]), [['/run/a', 5433], ['/run/b', 5433]]);
    assert.equal(t.hosts[0]!.url, 'postgres://u@localhost:5433/db?host=%2Frun%2Fa');
    assert.equal(t.targetSessionAttrs, 'any');
    assert.deepEqual(parseDatabaseUrl('postgres://u@/db?host=/a,/b&port=1,2').hosts.map((h) => h.port), [1, 2]);
    assert.equal(parseDatabaseUrl('postgres://u@h/db').needsChoice, false);
    // The authority's port applies to ?host= sockets unless ?port= is given (libpq does the same).
    assert.deepEqual(parseDatabaseUrl('postgres://u@localhost:6432/db?host=/run/pgb').hosts.map((h) => [h.host, h.port]), [['/run/pgb', 6432]]);
  });

  test('bad input is a DatabaseUrlError with a stable code and no password in the message', () => {
    for (const bad of ['mysql://u@h/db', 'postgres://u:secret@h:99999/db', 'postgres://u:secret@h/db?target_session_attrs=primary',
      'postgres://u:secret@/db?host=/a,/b,/c&port=1,2', 'postgres://u:secret@h:5x/db']) {
      assert.throws(() => parseDatabaseUrl(bad), (e: unknown) => e instanceof DatabaseUrlError && e.code === 'DB_URL_INVALID' && !e.message.includes('secret'), bad);
    }
  });
});

describe('targetClient and the LISTEN connection against a real server', () => {
  let db: TestDb;
  let nowhere: string;
  const socket = () => process.env.PGHOST!;
  const port = () => process.env.PGPORT ?? '5432';
  /** Two hosts: a socket directory with no server, then the real one. */
  const twoHosts = (user: string, database: string, attrs = 'read-write') =>
    `postgresql://${user}@/${database}?host=${encodeURIComponent(`${nowhere},${socket()}`)}&port=${port()}&target_session_attrs=${attrs}`;

  /** default_transaction_read_only for new sessions of the test database, set from another database. */
  const readOnly = async (on: boolean) => {
    const c = new pg.Client({ connectionString: db.adminUrl.replace(`/${db.name}?`, '/postgres?') });
    await c.connect();
    try {
      await c.query(`alter database ${db.name} ${on ? 'set default_transaction_read_only = on' : 'reset default_transaction_read_only'}`);
    } finally {
      await c.end();
    }
  };

  before(async () => {
    db = await freshDatabase();
    nowhere = mkdtempSync(join(tmpdir(), 'mana-ai-no-server.'));
  });
  after(async () => {
    await db?.drop();
    rmSync(nowhere, { recursive: true, force: true });
  });

  test('a pool skips the unreachable host, and reconnects after its connections are terminated', async () => {
    const pool = new pg.Pool({ Client: targetClient(twoHosts('postgres', db.name)), max: 2 });
    pool.on('error', () => undefined);
    try {
      const pid = (await pool.query<{ pid: number }>('select pg_backend_pid() pid')).rows[0]!.pid;
      await db.admin.query('select pg_terminate_backend($1)', [pid]);
      await waitFor(async () => pool.idleCount === 0 || null, 5_000);
      const again = (await pool.query<{ ro: string }>("select current_setting('transaction_read_only') ro")).rows[0]!.ro;
      assert.equal(again, 'off');
    } finally {
      await pool.end();
    }
  });

  test('read-write refuses a read-only server (as a standby would be) with DB_NO_TARGET_HOST naming every host', async () => {
    await readOnly(true);
    try {
      const Client = targetClient(twoHosts('postgres', db.name));
      const c = new Client();
      c.on('error', () => undefined);
      await assert.rejects(c.connect(), (e: unknown) => e instanceof NoTargetHostError && e.code === 'DB_NO_TARGET_HOST' &&
        e.attempts.length === 2 && /read-only/.test(e.attempts[1]!));
      // `any` takes the first server that answers, read-only or not.
      const any = new (targetClient(twoHosts('postgres', db.name, 'any')))();
      await any.connect();
      assert.equal((await any.query<{ ro: string }>("select current_setting('transaction_read_only') ro")).rows[0]!.ro, 'on');
      await any.end();
    } finally {
      await readOnly(false);
    }
  });

  test('LISTEN: notifications wake, a terminated backend reconnects and wakes with "connected" (the rescan)', async () => {
    const wakes: string[] = [];
    const listener = createListener({
      connectionString: twoHosts('mana_ai_test_listener', db.name), logger: silentLogger,
      onWake: (reason) => wakes.push(reason), onFatal: () => wakes.push('fatal'), checkIntervalMs: 200, retryIntervalMs: 50,
    });
    await listener.start();
    try {
      assert.deepEqual(wakes, ['connected']);
      await db.admin.query(`notify mana_ai_runs, 'x'`);
      await waitFor(async () => wakes.includes('notify'), 5_000);
      const { rows } = await db.admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = $1 and application_name = 'mana-ai LISTEN'`, [db.name]);
      assert.equal(rows.length, 1);
      await db.admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await waitFor(async () => wakes.filter((w) => w === 'connected').length === 2, 5_000);
      assert.equal(listener.state(), 'connected');
      wakes.length = 0;
      await db.admin.query(`notify mana_ai_runs, 'y'`);
      await waitFor(async () => wakes.includes('notify'), 5_000);
      assert.ok(!wakes.includes('fatal'));
    } finally {
      await listener.close();
    }
    assert.equal(listener.state(), 'closed');
  });

  test('LISTEN gives up after its retry window with onFatal, and close() during retries returns', async () => {
    const fatal: Error[] = [];
    const listener = createListener({
      connectionString: twoHosts('mana_ai_test_listener', db.name), logger: process.env.DEBUG_T ? createLogger() : silentLogger, onWake: () => undefined,
      onFatal: (e) => fatal.push(e), checkIntervalMs: 100, retryIntervalMs: 50, retryTimeoutMs: 600,
    });
    await listener.start();
    await readOnly(true);
    try {
      const { rows } = await db.admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = $1 and application_name = 'mana-ai LISTEN'`, [db.name]);
      await db.admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await waitFor(async () => fatal.length > 0, 5_000);
      assert.match(fatal[0]!.message, /gave up after 600 ms: no database host accepted a read-write connection/);
      assert.equal(listener.state(), 'closed');
    } finally {
      await readOnly(false);
      await listener.close();
    }
    // close() while a reconnect loop is waiting between attempts returns promptly.
    const other = createListener({ connectionString: twoHosts('mana_ai_test_listener', db.name), logger: silentLogger,
      onWake: () => undefined, onFatal: () => undefined, retryIntervalMs: 60_000, retryTimeoutMs: 600_000 });
    await other.start();
    const { rows } = await db.admin.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = $1 and application_name = 'mana-ai LISTEN'`, [db.name]);
    await readOnly(true);
    try {
      await db.admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await waitFor(async () => other.state() === 'reconnecting', 5_000);
      // A hang detector, not a speed target: the retry interval is 60 s.
      await Promise.race([other.close(), new Promise((_, reject) => setTimeout(() => reject(new Error('close() waited for the retry interval')), 20_000).unref())]);
    } finally {
      await readOnly(false);
    }
  });
});
