/**
 * `mana-ai detach` through the real CLI against a fresh database: what it removes, that a second run
 * finds nothing left, that `mana-ai migrate` attaches again (triggers, grants, projection of new rows),
 * and the two refusals (not the table's owner; never migrated) that change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { freshDatabase, type TestDb } from '../../support/db.js';
import { clusterUrl, emptyLiveDatabase, ensureLoginRole, SUPERUSER, type LiveDb } from '../../support/live-db.js';
import { adminEnv, cli, syncMission } from './support.js';

const NON_OWNER = 'mana_ai_detach_admin';

const RUNNER_TRIGGERS = `select t.tgname as name from pg_trigger t join pg_proc p on p.oid = t.tgfoid
  where t.tgrelid = 'public.sync_changes'::regclass and not t.tgisinternal
    and p.pronamespace = 'mana_ai_private'::regnamespace order by 1`;
const CAN_CLAIM = `select has_function_privilege('mana_ai_runner', 'mana_ai.claim_runs(text,int,int)', 'execute') as claim,
  has_function_privilege('mana_ai_runner', 'mana_ai.tick()', 'execute') as tick`;

describe('mana-ai detach', () => {
  let db: TestDb;
  let empty: LiveDb | undefined;
  before(async () => {
    db = await freshDatabase();
  });
  after(async () => {
    await db?.drop();
    await empty?.drop();
  });

  test('a role that does not own sync_changes: DETACH_NOT_PERMITTED naming the owner, nothing changed', async () => {
    await ensureLoginRole(NON_OWNER);
    const root = new pg.Client({ connectionString: clusterUrl(SUPERUSER, 'postgres') });
    await root.connect();
    await root.query(`grant mana_ai_owner to ${NON_OWNER}`).finally(() => root.end());
    const triggers = (await db.admin.query(RUNNER_TRIGGERS)).rows;
    assert.ok(triggers.length > 0);

    const r = await cli(['detach'], { MANA_AI_ADMIN_DATABASE_URL: clusterUrl(NON_OWNER, db.name) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot remove the runner's triggers from public\.sync_changes as role mana_ai_detach_admin/);
    assert.match(r.stderr, /owner: postgres, the sync server's role/);
    assert.match(r.stderr, /\[DETACH_NOT_PERMITTED\]/);
    assert.deepEqual((await db.admin.query(RUNNER_TRIGGERS)).rows, triggers, 'the triggers are still there');
    assert.deepEqual((await db.admin.query(CAN_CLAIM)).rows, [{ claim: true, tick: true }]);
  });

  test('detach removes the triggers and the runner\'s claim; the log and the audit stay; migrate attaches again', async () => {
    await syncMission(db, 'user-d', 'before');
    await db.admin.query(`insert into mana_ai.decrypt_audit (user_id, mission_id, table_name, record_id, status)
      values ('user-d', 'before', 'notes', 'n1', 'ok')`);
    const counts = `select (select count(*)::int from public.sync_changes) as log, (select count(*)::int from mana_ai.decrypt_audit) as audit`;
    const [before] = (await db.admin.query(counts)).rows;
    const triggers = (await db.admin.query<{ name: string }>(RUNNER_TRIGGERS)).rows.map((t) => t.name);

    const r = await cli(['detach', '--json'], adminEnv(db));
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { triggers: string[]; cronJobs: string[]; revoked: string[] };
    assert.deepEqual(out, { triggers, cronJobs: [], revoked: ['mana_ai.claim_and_load_runs(text,integer,integer)',
      'mana_ai.claim_runs(text,integer,integer)', 'mana_ai.fold(integer)', 'mana_ai.tick()'] },
      'every runner trigger found in the catalog; no pg_cron in this database');
    assert.deepEqual((await db.admin.query(RUNNER_TRIGGERS)).rows, []);
    assert.deepEqual((await db.admin.query(CAN_CLAIM)).rows, [{ claim: false, tick: false }]);
    assert.deepEqual((await db.admin.query(counts)).rows, [before], 'log and audit untouched');

    const again = await cli(['detach'], adminEnv(db));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /triggers dropped +none/, 'a second detach finds nothing left');

    await syncMission(db, 'user-d', 'while-detached');
    assert.equal((await db.admin.query(`select 1 from mana_ai_private.projections where record_id = 'while-detached'`)).rowCount, 0,
      'detached: new rows are not projected');

    const m = await cli(['migrate'], adminEnv(db));
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /"objectsChanged":true/, 'migrate re-applies the object files');
    assert.deepEqual((await db.admin.query<{ name: string }>(RUNNER_TRIGGERS)).rows.map((t) => t.name), triggers);
    assert.deepEqual((await db.admin.query(CAN_CLAIM)).rows, [{ claim: true, tick: true }]);
    await syncMission(db, 'user-d', 'after');
    assert.equal((await db.admin.query(`select 1 from mana_ai_private.projections where record_id = 'after' and present`)).rowCount, 1,
      'attached again: new rows are projected');
  });

  test('a database that was never migrated: NOT_MIGRATED, exit 1', async () => {
    empty = await emptyLiveDatabase('dt');
    const r = await cli(['detach'], { MANA_AI_ADMIN_DATABASE_URL: empty.url });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /mana-ai was never migrated here, there is nothing to detach \[NOT_MIGRATED\]/);
  });
});
