/**
 * migrate on a database laid out like a running Mana deployment (test/support/live-db.ts): the reference
 * runner's schema created as the superuser with audit rows, the sync server's own table created by its
 * every-boot DDL (as the superuser, and as a non-superuser owner), and what migrate must and must not do
 * there: take over the schema, keep every audit row, retire the snapshots, adopt token usage and research
 * jobs, never touch sync_changes, and never create sync_changes unless asked.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { migrateDatabase, SyncChangesMissingError, MigrateError } from '../../../src/db/migrate.js';
import { createLogger } from '../../../src/log.js';
import {
  clusterUrl, emptyLiveDatabase, ensureLoginRole, REFERENCE_AUDIT_ROWS_SQL, REFERENCE_LATER_SQL, REFERENCE_SCHEMA_SQL,
  SUPERUSER, SYNC_CHANGES_SHAPE_SQL, syncServerBoot, type LiveDb,
} from '../../support/live-db.js';

const SYNC_ROLE = 'mana_sync_takeover_db';
const ADMIN_ROLE = 'mana_ai_takeover_admin';

const dbs: LiveDb[] = [];
async function live(owner?: string): Promise<LiveDb> {
  const db = await emptyLiveDatabase('tk', owner);
  dbs.push(db);
  return db;
}
function collector() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) }) };
}
const AUDIT_SQL = `select id::int, user_id, mission_id, iteration_id, table_name, record_id, status, reason,
  to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as ts from mana_ai.decrypt_audit order by id`;

describe('migrate over the reference runner\'s schema', () => {
  after(async () => {
    for (const db of dbs) await db.drop();
  });

  test('takes over mana_ai: audit rows kept (id, ts, content), snapshots dropped, token usage and research jobs adopted', async () => {
    const db = await live();
    await syncServerBoot(db.name, SUPERUSER);
    await db.query(REFERENCE_SCHEMA_SQL + REFERENCE_LATER_SQL + REFERENCE_AUDIT_ROWS_SQL + `
      INSERT INTO mana_ai.mission_snapshots (user_id, mission_id, record) VALUES ('user-a', 'm-due', '{"state":"active"}');
      INSERT INTO mana_ai.agent_snapshots (user_id, agent_id, record) VALUES ('user-a', 'ag-1', '{"state":"active"}');
      INSERT INTO mana_ai.token_usage (user_id, agent_id, mission_id, tokens_used, ts) VALUES
        ('user-a', 'ag-1', 'm-due', 1200, '2026-12-01T10:00:00Z'), ('user-b', 'ag-9', 'm-b1', 300, '2026-12-01T11:00:00Z');
      INSERT INTO mana_ai.mission_research_jobs (user_id, mission_id, task_id, provider_id, submitted_at, last_polled_at) VALUES
        ('user-a', 'm-due', 'task-1', 'provider-x', '2026-12-01T09:00:00Z', NULL);`);
    const auditBefore = await db.query(AUDIT_SQL);
    assert.equal(auditBefore.length, 4);
    const shapeBefore = await db.query(SYNC_CHANGES_SHAPE_SQL);

    const logs = collector();
    const r = await migrateDatabase({ databaseUrl: db.url, logger: logs.logger });
    assert.deepEqual(r.adopted, { decryptAudit: 4, tokenUsage: 2, researchJobs: 1 });
    assert.equal(r.createdSyncChanges, false);
    assert.ok(logs.lines.some((l) => l.msg === 'adopted the reference runner\'s rows'), 'the adoption is logged');

    assert.deepEqual(await db.query(AUDIT_SQL), auditBefore, 'every audit row with its id, ts (µs) and content');
    const [owners] = await db.query(`select
        (select r.rolname from pg_namespace n join pg_roles r on r.oid = n.nspowner where n.nspname = 'mana_ai') as schema_owner,
        (select r.rolname from pg_class c join pg_roles r on r.oid = c.relowner where c.oid = 'mana_ai.decrypt_audit'::regclass) as audit_owner,
        (select relforcerowsecurity from pg_class where oid = 'mana_ai.decrypt_audit'::regclass) as audit_forced,
        to_regclass('mana_ai.mission_snapshots') is null as missions_gone,
        to_regclass('mana_ai.agent_snapshots') is null as agents_gone,
        to_regclass('mana_ai.token_usage') is null as usage_moved,
        to_regclass('mana_ai.mission_research_jobs') is null as jobs_moved,
        to_regnamespace('mana_ai_takeover') is null as staging_gone`);
    assert.deepEqual(owners, {
      schema_owner: 'mana_ai_owner', audit_owner: 'mana_ai_owner', audit_forced: true,
      missions_gone: true, agents_gone: true, usage_moved: true, jobs_moved: true, staging_gone: true,
    });
    assert.deepEqual(
      await db.query(`select reference_id::int, user_id, agent_id, mission_id, tokens_used, ts = timestamptz '2026-12-01T10:00:00Z' as first_ts
                        from mana_ai_private.reference_token_usage order by reference_id`),
      [{ reference_id: 1, user_id: 'user-a', agent_id: 'ag-1', mission_id: 'm-due', tokens_used: 1200, first_ts: true },
       { reference_id: 2, user_id: 'user-b', agent_id: 'ag-9', mission_id: 'm-b1', tokens_used: 300, first_ts: false }]);
    assert.deepEqual(
      await db.query(`select user_id, mission_id, task_id, provider_id, last_polled_at from mana_ai_private.reference_mission_research_jobs`),
      [{ user_id: 'user-a', mission_id: 'm-due', task_id: 'task-1', provider_id: 'provider-x', last_polled_at: null }]);

    // the audit history through the SQL API the endpoint calls, and new rows continue after the old ids
    const served = await db.query(`select id::int, ts from mana_ai.read_decrypt_audit('user-a', null, null)`);
    assert.deepEqual(served.map((s) => s.id), [4, 2, 1], 'user-a\'s rows, newest first, with their ids');
    const [next] = await db.query(`select nextval('mana_ai.decrypt_audit_id_seq')::int as id`);
    assert.equal(next!.id, 5, 'the id sequence continues after the adopted ids');

    assert.deepEqual(await db.query(SYNC_CHANGES_SHAPE_SQL), shapeBefore, 'sync_changes unchanged (owner, columns, indexes, RLS, policies, other grants)');
    await syncServerBoot(db.name, SUPERUSER); // the sync server's every-boot DDL, after migrate

    const again = await migrateDatabase({ databaseUrl: db.url, logger: collector().logger });
    assert.deepEqual(again.adopted, { decryptAudit: 0, tokenUsage: 0, researchJobs: 0 });
    assert.deepEqual(again.migrationsApplied, []);
    assert.deepEqual(await db.query(AUDIT_SQL), auditBefore, 'a second migrate changes nothing');
  });

  test('the reference schema without its later tables: audit adopted, nothing else needed', async () => {
    const db = await live();
    await syncServerBoot(db.name, SUPERUSER);
    await db.query(REFERENCE_SCHEMA_SQL + REFERENCE_AUDIT_ROWS_SQL);
    const r = await migrateDatabase({ databaseUrl: db.url, logger: collector().logger });
    assert.deepEqual(r.adopted, { decryptAudit: 4, tokenUsage: 0, researchJobs: 0 });
    const [policy] = await db.query(`select count(*)::int as n from pg_policies
      where schemaname = 'mana_ai' and tablename = 'decrypt_audit' and policyname = 'decrypt_audit_user_scope'`);
    assert.equal(policy!.n, 1, 'the new table carries the spec policy');
  });

  test('the reference runner back after a way back: its re-created tables are taken over again, usage appended', async () => {
    const db = await live();
    await syncServerBoot(db.name, SUPERUSER);
    await db.query(REFERENCE_SCHEMA_SQL + REFERENCE_LATER_SQL + `
      INSERT INTO mana_ai.token_usage (user_id, agent_id, mission_id, tokens_used) VALUES ('user-a', 'ag-1', 'm-due', 10);`);
    await migrateDatabase({ databaseUrl: db.url, logger: collector().logger });
    // the reference runner boots again as postgres: its CREATE … IF NOT EXISTS re-creates what is gone
    await db.query(REFERENCE_SCHEMA_SQL + REFERENCE_LATER_SQL + `
      INSERT INTO mana_ai.token_usage (user_id, agent_id, mission_id, tokens_used) VALUES ('user-a', 'ag-1', 'm-due', 20);
      INSERT INTO mana_ai.decrypt_audit (user_id, mission_id, table_name, record_id, status) VALUES ('user-a', 'm-due', 'notes', 'n9', 'ok');`);
    const r = await migrateDatabase({ databaseUrl: db.url, logger: collector().logger });
    assert.deepEqual(r.adopted, { decryptAudit: 0, tokenUsage: 1, researchJobs: 0 }, 'decrypt_audit is ours now: its new row is already in place');
    assert.deepEqual(
      await db.query(`select reference_id::int, tokens_used from mana_ai_private.reference_token_usage order by adopted_at, reference_id`),
      [{ reference_id: 1, tokens_used: 10 }, { reference_id: 1, tokens_used: 20 }], 'the restarted id is kept apart by adopted_at');
    assert.deepEqual(await db.query(`select record_id from mana_ai.decrypt_audit`), [{ record_id: 'n9' }]);
    const [gone] = await db.query(`select to_regclass('mana_ai.mission_snapshots') is null as gone`);
    assert.equal(gone!.gone, true);
  });

  test('a hardened sync server (non-superuser owner of sync_changes): its every-boot DDL still runs after migrate', async () => {
    await ensureLoginRole(SYNC_ROLE);
    const db = await live(SYNC_ROLE);
    await syncServerBoot(db.name, SYNC_ROLE);
    await db.query(REFERENCE_SCHEMA_SQL + REFERENCE_AUDIT_ROWS_SQL);
    const before = await db.query(SYNC_CHANGES_SHAPE_SQL);
    assert.equal(before[0]!.owner, SYNC_ROLE);
    await migrateDatabase({ databaseUrl: db.url, logger: collector().logger });
    assert.deepEqual(await db.query(SYNC_CHANGES_SHAPE_SQL), before, 'migrate changed nothing of sync_changes');
    await syncServerBoot(db.name, SYNC_ROLE);
    await syncServerBoot(db.name, SUPERUSER);
    assert.deepEqual(await db.query(SYNC_CHANGES_SHAPE_SQL), before);
  });

  test('without sync_changes and without --create-sync-changes: SYNC_CHANGES_MISSING naming the sync server, nothing created', async () => {
    const db = await live();
    await db.query(REFERENCE_SCHEMA_SQL + REFERENCE_AUDIT_ROWS_SQL);
    await assert.rejects(migrateDatabase({ databaseUrl: db.url, logger: collector().logger }), (e: unknown) => {
      assert.ok(e instanceof SyncChangesMissingError);
      assert.equal(e.code, 'SYNC_CHANGES_MISSING');
      assert.match(e.message, /public\.sync_changes does not exist in database tk_\w+\. It belongs to the sync server/);
      assert.match(e.message, /--create-sync-changes/);
      return true;
    });
    const [state] = await db.query(`select
        (select string_agg(nspname, ',' order by nspname) from pg_namespace where nspname like 'mana_ai%') as schemas,
        (select r.rolname from pg_namespace n join pg_roles r on r.oid = n.nspowner where n.nspname = 'mana_ai') as owner,
        to_regclass('public.sync_changes') is null as no_table,
        (select count(*)::int from mana_ai.decrypt_audit) as audit`);
    assert.deepEqual(state, { schemas: 'mana_ai', owner: SUPERUSER, no_table: true, audit: 4 }, 'the database is exactly as before');
  });

  test('a non-superuser admin cannot take over the postgres-owned schema: MA301 names the owner, nothing changes', async () => {
    await ensureLoginRole(ADMIN_ROLE);
    await db0query(`grant mana_ai_owner to ${ADMIN_ROLE}`);
    const db = await live(ADMIN_ROLE);
    await syncServerBoot(db.name, SUPERUSER);
    await db.query(REFERENCE_SCHEMA_SQL + REFERENCE_AUDIT_ROWS_SQL);
    await assert.rejects(migrateDatabase({ databaseUrl: clusterUrl(ADMIN_ROLE, db.name), logger: collector().logger }), (e: unknown) => {
      assert.ok(e instanceof MigrateError);
      assert.equal(e.step, 'bootstrap');
      assert.match(e.message, /cannot take over schema mana_ai \(owner postgres\) as role mana_ai_takeover_admin/);
      assert.match(e.message, /Run mana-ai migrate as a superuser or as a member of role postgres/);
      return true;
    });
    const [state] = await db.query(`select
        (select r.rolname from pg_namespace n join pg_roles r on r.oid = n.nspowner where n.nspname = 'mana_ai') as owner,
        to_regnamespace('mana_ai_private') is null as no_private,
        (select count(*)::int from mana_ai.mission_snapshots) as snapshots`);
    assert.deepEqual(state, { owner: SUPERUSER, no_private: true, snapshots: 0 }, 'the bootstrap transaction rolled back');

    // taken over once by a superuser; then the reference runner (postgres) re-creates its tables. The
    // snapshots could go (the admin acts for mana_ai_owner, the schema's owner, who may drop tables in it),
    // but moving token_usage needs its owner's rights: the error names that table, and nothing changes.
    await migrateDatabase({ databaseUrl: db.url, logger: collector().logger });
    await db.query(REFERENCE_SCHEMA_SQL + REFERENCE_LATER_SQL);
    await assert.rejects(migrateDatabase({ databaseUrl: clusterUrl(ADMIN_ROLE, db.name), logger: collector().logger }),
      /cannot take over table mana_ai\.token_usage \(owner postgres\) as role mana_ai_takeover_admin/,
      'the error names the object it could not take over');
    const [later] = await db.query(`select to_regclass('mana_ai.mission_snapshots') is not null as snapshots_kept`);
    assert.deepEqual(later, { snapshots_kept: true }, 'rolled back as a whole');
  });
});

/** Runs one statement in the cluster's postgres database as the superuser. */
async function db0query(sql: string): Promise<void> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: clusterUrl(SUPERUSER, 'postgres') });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
