/**
 * migrate against fresh databases of the throwaway cluster: idempotence, the pg_cron-less path, and
 * an existing sync_changes table (as the sync server creates it) that must never be weakened.
 */
import { readdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { migrateDatabase } from '../../../src/db/migrate.js';
import { createLogger } from '../../../src/log.js';

function urlFor(db: string): string {
  return `postgresql://${process.env.PGUSER ?? 'postgres'}@localhost:${process.env.PGPORT ?? '5432'}/${db}?host=${encodeURIComponent(process.env.PGHOST ?? '')}`;
}

const created: string[] = [];
async function emptyDatabase(): Promise<{ name: string; url: string }> {
  const name = `m_${randomBytes(5).toString('hex')}`;
  const c = new pg.Client({ connectionString: urlFor('postgres') });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  created.push(name);
  return { name, url: urlFor(name) };
}
async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}
function collector() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) }) };
}

describe('mana-ai migrate', () => {
  after(async () => {
    const c = new pg.Client({ connectionString: urlFor('postgres') });
    await c.connect();
    for (const name of created) await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  });

  test('a fresh database without pg_cron: everything applied, the timer fallback named, a second run changes nothing', async () => {
    const db = await emptyDatabase();
    const first = collector();
    const r1 = await migrateDatabase({ databaseUrl: db.url, logger: first.logger, timezone: 'Asia/Tokyo', createSyncChanges: true });
    assert.deepEqual(r1.migrationsApplied, readdirSync('sql/migrations').filter((f) => f.endsWith('.sql')).sort(),
      'every numbered migration, in order');
    assert.equal(r1.migrationsApplied[0], '00001_init.sql');
    assert.equal(r1.objectsChanged, true);
    assert.equal(r1.pgCron, false);
    assert.ok(first.lines.some((l) => String(l.msg).includes('the listener timer will tick instead')), 'says the listener timer ticks');
    const [tz] = await query<{ tz: string }>(db.url, `select mana_ai.runtime_settings() ->> 'timezone' as tz`);
    assert.equal(tz!.tz, 'Asia/Tokyo', 'MANA_AI_TIMEZONE is stored');

    const snapshot = `select (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in ('mana_ai', 'mana_ai_private')) as functions,
                             (select string_agg(sha1, ',') from mana_ai_private.sql_objects) as objects,
                             (select count(*) from mana_ai_private.migrations) as migrations`;
    const before = await query(db.url, snapshot);
    const second = collector();
    const r2 = await migrateDatabase({ databaseUrl: db.url, logger: second.logger });
    assert.deepEqual(r2.migrationsApplied, []);
    assert.equal(r2.objectsChanged, false);
    assert.deepEqual(await query(db.url, snapshot), before, 'the second run is a no-op');
    const [tz2] = await query<{ tz: string }>(db.url, `select mana_ai.runtime_settings() ->> 'timezone' as tz`);
    assert.equal(tz2!.tz, 'Asia/Tokyo', 'an unset MANA_AI_TIMEZONE leaves the stored zone alone');
  });

  test('an upgrade replaces the earlier trigger shapes and the scalar make_offer in place, as mana_ai_owner', async () => {
    const db = await emptyDatabase();
    await migrateDatabase({ databaseUrl: db.url, logger: collector().logger, createSyncChanges: true });
    // the shape of the releases that folded in the sync transaction: a BEFORE row mark and a statement
    // trigger with the transition table (tg_sync_changes__mark, tg_sync_changes__project)
    await query(db.url, `set role mana_ai_owner;
      create function mana_ai_private.tg_sync_changes__project() returns trigger language plpgsql as 'begin return null; end';
      create function mana_ai_private.tg_sync_changes__mark() returns trigger language plpgsql as 'begin return new; end';
      reset role;
      create or replace trigger _500_project_mark before insert on public.sync_changes for each row
        when (new.app_id = 'ai') execute function mana_ai_private.tg_sync_changes__mark();
      create or replace trigger _500_project after insert on public.sync_changes referencing new table as new_rows
        for each statement execute function mana_ai_private.tg_sync_changes__project();
      update mana_ai_private.sql_objects set sha1 = 'an-earlier-release';
      drop function mana_ai_private.make_offer(text, text, jsonb, jsonb, timestamptz, uuid, int, text);
      create function mana_ai_private.make_offer(text, text, jsonb, jsonb, timestamptz, uuid, int, text)
        returns mana_ai_private.change_offer language sql as 'select null::mana_ai_private.change_offer'`);
    const r = await migrateDatabase({ databaseUrl: db.url, logger: collector().logger });
    assert.equal(r.objectsChanged, true);
    const defs = await query<{ tgname: string; def: string }>(db.url,
      `select tgname, pg_get_triggerdef(oid) as def from pg_trigger
        where tgrelid = 'public.sync_changes'::regclass and not tgisinternal order by tgname`);
    assert.deepEqual(defs.map((d) => d.tgname), ['_500_project', '_500_project_mark']);
    assert.match(defs[0]!.def, /AFTER INSERT ON public\.sync_changes FOR EACH ROW WHEN .*tg_sync_changes__capture\(\)/,
      'the statement trigger becomes the row capture, in place');
    assert.match(defs[1]!.def, /WHEN \(false\) EXECUTE FUNCTION mana_ai_private\.tg_sync_changes__retired\(\)/,
      'the mark is retired in place (dropping it needs ownership of the table)');
    const [mark] = await query<{ f: string | null }>(db.url, `select to_regprocedure('mana_ai_private.tg_sync_changes__mark()')::text as f`);
    assert.deepEqual(mark, { f: null }, 'the mark function is dropped');
    const [offer] = await query<{ retset: boolean }>(db.url,
      `select proretset as retset from pg_proc where oid = 'mana_ai_private.make_offer(text,text,jsonb,jsonb,timestamptz,uuid,int,text)'::regprocedure`);
    assert.deepEqual(offer, { retset: true }, 'the earlier scalar make_offer is replaced by the inlinable one');
    const [old] = await query<{ f: string | null }>(db.url, `select to_regprocedure('mana_ai_private.tg_sync_changes__project()')::text as f`);
    assert.deepEqual(old, { f: null }, 'the in-transaction fold function is dropped');
    await query(db.url, `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, client_id)
      values ('ai', 'aiMissions', 'm1', 'u1', 'insert', '{"state":"active","cadence":{"kind":"manual"}}', 'd')`);
    const [q] = await query<{ n: number }>(db.url, `select count(*)::int as n from mana_ai_private.captured`);
    assert.deepEqual(q, { n: 1 }, 'the upgraded triggers capture');
    await query(db.url, 'select mana_ai.fold()');
    const [p] = await query<{ present: boolean }>(db.url, `select present from mana_ai_private.projections where record_id = 'm1'`);
    assert.deepEqual(p, { present: true }, 'and the fold projects');
  });

  test('the compat sync_changes table is created exactly like the sync server creates it', async () => {
    const db = await emptyDatabase();
    await migrateDatabase({ databaseUrl: db.url, logger: collector().logger, createSyncChanges: true });
    const [t] = await query<{ rls: boolean; force: boolean }>(db.url,
      `select relrowsecurity as rls, relforcerowsecurity as force from pg_class where oid = 'public.sync_changes'::regclass`);
    assert.deepEqual(t, { rls: true, force: true });
    const policies = await query<{ policyname: string; qual: string; with_check: string }>(db.url,
      `select policyname, qual, with_check from pg_policies where tablename = 'sync_changes'`);
    assert.deepEqual(policies.map((p) => p.policyname), ['sync_changes_user_isolation']);
    assert.match(policies[0]!.qual, /current_setting\('app\.current_user_id'::text, true\)/);
    const indexes = await query<{ indexname: string }>(db.url, `select indexname from pg_indexes where tablename = 'sync_changes' order by 1`);
    assert.deepEqual(indexes.map((i) => i.indexname),
      ['idx_sync_changes_since', 'idx_sync_changes_table_record', 'idx_sync_changes_user_app', 'sync_changes_pkey']);
  });

  test('an existing sync_changes table is left as it is: its policies are not touched and RLS is never weakened', async () => {
    const db = await emptyDatabase();
    // the sync server's own table, with a policy of its own and RLS enabled but not forced
    await query(db.url, `create table public.sync_changes (
        id uuid primary key default gen_random_uuid(), app_id text not null, table_name text not null,
        record_id text not null, user_id text not null, op text not null, data jsonb,
        field_timestamps jsonb default '{}', client_id text not null, created_at timestamptz not null default now(),
        schema_version int not null default 1, actor jsonb);
      alter table public.sync_changes enable row level security;
      create policy server_policy on public.sync_changes using (user_id = current_setting('app.current_user_id', true));`);
    const logs = collector();
    await migrateDatabase({ databaseUrl: db.url, logger: logs.logger });
    const [t] = await query<{ rls: boolean; force: boolean }>(db.url,
      `select relrowsecurity as rls, relforcerowsecurity as force from pg_class where oid = 'public.sync_changes'::regclass`);
    assert.deepEqual(t, { rls: true, force: false }, 'RLS flags unchanged');
    assert.ok(logs.lines.some((l) => l.level === 'warn' && String(l.msg).includes('without ENABLE + FORCE ROW LEVEL SECURITY')),
      'the operator is warned that the existing table does not force RLS');
    const policies = await query<{ policyname: string }>(db.url, `select policyname from pg_policies where tablename = 'sync_changes'`);
    assert.deepEqual(policies.map((p) => p.policyname), ['server_policy'], 'no policy added or removed');
    const triggers = await query<{ tgname: string }>(db.url,
      `select tgname from pg_trigger where tgrelid = 'public.sync_changes'::regclass and not tgisinternal order by tgname`);
    assert.deepEqual(triggers.map((r) => r.tgname), ['_500_project'], 'only the capture trigger is added');
  });
});
