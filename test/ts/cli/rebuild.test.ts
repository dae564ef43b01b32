/**
 * `mana-ai rebuild` against a fresh database: changed 0 after normal inserts (the trigger's projection
 * is exact), a damaged projection row is repaired, --user limits the users, and an admin role that
 * cannot see every user of sync_changes (no superuser, no BYPASSRLS) is told to pass --user.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { RebuildResult } from '../../../src/cli/rebuild.js';
import { freshDatabase, type TestDb } from '../../support/db.js';
import { adminEnv, cli, inMinutes, syncAgent, syncMission } from './support.js';

/** Runs one statement as the cluster superuser in the `postgres` database (roles are cluster-wide). */
async function asRoot(db: TestDb, sql: string): Promise<void> {
  const url = new URL(db.adminUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('mana-ai rebuild', () => {
  let db: TestDb;
  const ownerAdmin = `mana_ai_test_admin_${randomBytes(4).toString('hex')}`;
  let ownerAdminEnv: Record<string, string>;

  before(async () => {
    db = await freshDatabase();
    await syncAgent(db, 'u1', 'a1');
    await syncMission(db, 'u1', 'm1', { agentId: 'a1', nextRunAt: inMinutes(30) });
    await syncMission(db, 'u1', 'm2', { nextRunAt: inMinutes(45) });
    await syncMission(db, 'u2', 'm3', { nextRunAt: inMinutes(60) });
    await db.sync({ userId: 'u2', table: 'aiMissions', recordId: 'm3', op: 'update', data: { state: 'paused' },
                    fieldTimestamps: { state: new Date().toISOString() } });
    // An admin as deployments may have one: a member of mana_ai_owner, neither superuser nor BYPASSRLS.
    await asRoot(db, `create role ${ownerAdmin} login nosuperuser nobypassrls in role mana_ai_owner`);
    const url = new URL(db.adminUrl);
    url.username = ownerAdmin;
    ownerAdminEnv = { MANA_AI_ADMIN_DATABASE_URL: url.toString() };
  });
  after(async () => {
    await db?.drop();
    await asRoot(db, `drop role if exists ${ownerAdmin}`).catch(() => undefined);
  });

  test('after normal inserts nothing changes', async () => {
    const { code, stdout, stderr } = await cli(['rebuild', '--json'], adminEnv(db));
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout) as RebuildResult, { users: 2, records: 4, changed: 0, orphans: 0 });
    const text = await cli(['rebuild'], adminEnv(db));
    assert.match(text.stdout, /rebuilt 2 user\(s\): 4 records, 0 changed, 0 orphans/);
    assert.match(text.stdout, /matched the log exactly/);
  });

  test('a damaged projection row is repaired', async () => {
    const good = (await db.admin.query(`select state, due_at, next_run_at from mana_ai_private.projections where record_id = 'm1'`)).rows[0];
    await db.admin.query(`update mana_ai_private.projections set state = 'paused', due_at = null, next_run_at = null where record_id = 'm1'`);
    const { code, stdout } = await cli(['rebuild'], adminEnv(db));
    assert.equal(code, 0);
    assert.match(stdout, /4 records, 1 changed, 0 orphans/);
    assert.match(stdout, /1 projection row\(s\) differed from the log and were repaired/);
    const repaired = (await db.admin.query(`select state, due_at, next_run_at from mana_ai_private.projections where record_id = 'm1'`)).rows[0];
    assert.deepEqual(repaired, good);
    assert.match((await cli(['rebuild'], adminEnv(db))).stdout, /0 changed/, 'a second rebuild finds nothing');
  });

  test('--user limits the rebuild to those users', async () => {
    const { code, stdout } = await cli(['rebuild', '--user', 'u2', '--json'], adminEnv(db));
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(stdout), { users: 1, records: 1, changed: 0, orphans: 0 });
  });

  test('an admin that does not bypass RLS must name the users; with --user it works', async () => {
    const refused = await cli(['rebuild'], ownerAdminEnv);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /\[REBUILD_NEEDS_USERS\]/);
    assert.match(refused.stderr, /FORCE ROW LEVEL SECURITY/);
    assert.match(refused.stderr, /--user <id>/);
    const named = await cli(['rebuild', '--user', 'u1', '--user', 'u2', '--json'], ownerAdminEnv);
    assert.equal(named.code, 0, named.stderr);
    assert.deepEqual(JSON.parse(named.stdout), { users: 2, records: 4, changed: 0, orphans: 0 });
  });
});
