/**
 * db/preflight.ts against a real database: each refusal is recognised by SQLSTATE or by the role's
 * attributes, with the stable code operators see in the log.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createCalls } from '../../../src/db/calls.js';
import { preflight } from '../../../src/db/preflight.js';
import { freshDatabase, type TestDb } from '../../support/db.js';

const CONFIG = { allowSuperuser: false, timezone: 'Europe/Berlin' };

describe('preflight', () => {
  let db: TestDb;
  const pools: pg.Pool[] = [];
  const outsider = `preflight_outsider_${randomBytes(4).toString('hex')}`;
  const check = (url: string, config = CONFIG) => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    // an idle client may still be open when the database is dropped (with force) after the tests: its
    // termination is expected then, not an uncaught error (seen on PostgreSQL 17)
    pool.on('error', () => undefined);
    pools.push(pool);
    return preflight(() => createCalls(pool).runtimeInfo(), config);
  };
  const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);
  before(async () => {
    db = await freshDatabase();
    await db.admin.query(`create role ${outsider} login`);
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await db.admin.query(`drop role if exists ${outsider}`);
    await db.drop();
  });

  test('a mana_ai_runner member on a migrated database in the same zone passes', async () => {
    const info = await check(db.runnerUrl);
    assert.equal(info.apiVersion, 1);
    assert.equal(info.runnerMember, true);
  });

  test('a superuser is refused unless MANA_AI_ALLOW_SUPERUSER', async () => {
    assert.equal(await code(check(db.adminUrl)), 'ROLE_REFUSED');
    assert.equal(await code(check(db.adminUrl, { ...CONFIG, allowSuperuser: true })), 'ok');
  });

  test('another zone than the database schedules in is refused', async () => {
    assert.equal(await code(check(db.runnerUrl, { ...CONFIG, timezone: 'UTC' })), 'TIMEZONE_MISMATCH');
  });

  test('a role outside mana_ai_runner is refused (42501), not told to migrate', async () => {
    const url = db.runnerUrl.replace('mana_ai_test_listener', outsider);
    assert.equal(await code(check(url)), 'ROLE_REFUSED');
  });

  test('a database without the mana_ai schema (3F000) means: run migrate', async () => {
    const url = db.adminUrl.replace(`/${db.name}?`, '/postgres?');
    const error = await check(url, { ...CONFIG, allowSuperuser: true }).catch((e: Error & { code?: string }) => e);
    assert.ok(error instanceof Error);
    assert.equal((error as { code?: string }).code, 'SCHEMA_MISMATCH');
    assert.match(error.message, /run `mana-ai migrate`/);
  });

  test('another API version is a schema mismatch; other errors pass through', async () => {
    const info = { apiVersion: 2, timezone: 'Europe/Berlin', superuser: false, bypassRls: false, runnerMember: true, role: 'r' };
    assert.equal(await code(preflight(async () => info, CONFIG)), 'SCHEMA_MISMATCH');
    const network = Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    assert.equal(await preflight(async () => { throw network; }, CONFIG).catch((e: unknown) => e), network);
  });
});
