/**
 * Scenario 6: row-level security and the runtime role's surface. Connected as mana_ai_test_listener
 * (a LOGIN member of mana_ai_runner, as deployed) in user A's context (app.current_user_id = A, holding
 * the lease of A's run), every function of schema mana_ai the role may execute — enumerated from
 * pg_proc, so a new function without a probe fails this test — is called with B's run id, B's record
 * ids, foreign and stale tokens. Direct table access, audit updates and deletes, temp tables shadowing
 * our relations, SQL-injection shaped ids and strings (through the SQL API and through a real
 * listener), and the test clock (`mana_ai.now`) in a freshly migrated, non-test database.
 *
 * By design (README "SQL API"): the runtime role is the one service trusted with every user — it
 * claims any user's due runs and read_decrypt_audit takes the user as an argument (the HTTP layer binds
 * it to the JWT, scenario 7). What the SQL API guarantees, and what is checked here, is that a caller
 * can reach a user's data only through a run it currently leases (fencing token), that the user is
 * always taken from the run row and never from the caller, and that nothing else is reachable at all.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { checkIntegrity, insertRows, killAll, recordResult, ROOT, serveEnv, spawnServe, terminate, until, withClient } from '../../support/chaos-kit.js';
import { freshDatabase, type TestDb } from '../../support/db.js';
import { missionRow, recordRow, userMessage } from '../../support/e2e-kit.js';
import { startFakeLlm, type FakeLlm } from '../../../src/dev/fake-llm.js';

const [A, B] = ['rls-user-a', 'rls-user-b'];

/** Strings shaped like injections, or just awkward: all stored and returned byte for byte. */
const NASTY = [
  `'; drop table mana_ai.runs; --`,
  `$$; drop schema mana_ai cascade; $$`,
  `$tag$ select pg_sleep(10) $tag$`,
  `" or 1=1; delete from public.sync_changes where '' = '`,
  `%s %I %L %%`,
  `\\x00 \\0 \\\\ backslashes \\n`,
  `\u202eevil\u202c right-to-left, zero\u200bwidth, combining e\u0301, 😀🧪, 中文, ß`,
  `{"json": "looking", "id": 1}`,
  `line\nbreak\ttab\rreturn`,
  `${'x'.repeat(10 * 1024)}`,
];

interface Outcome { rows?: Record<string, unknown>[]; code?: string; message?: string }

/** Runs `sql` and returns its rows or its error (code and message). */
async function attempt(client: Pick<pg.Client, 'query'>, sql: string, params: unknown[] = []): Promise<Outcome> {
  try {
    return { rows: (await client.query(sql, params)).rows };
  } catch (error) {
    const e = error as { code?: string; message: string };
    return { code: e.code, message: e.message };
  }
}

describe('scenario 6: RLS and the runtime role', () => {
  let db: TestDb;
  let llm: FakeLlm;
  let runner: pg.Client;
  const fresh = `t_fresh_${randomBytes(4).toString('hex')}`;
  const rootUrl = (database: string) =>
    `postgresql://${process.env.PGUSER ?? 'postgres'}@localhost:${process.env.PGPORT ?? '5432'}/${database}?host=${encodeURIComponent(process.env.PGHOST ?? '')}`;
  const results: string[] = [];

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    runner = new pg.Client({ connectionString: db.runnerUrl });
    runner.on('error', () => undefined);
    await runner.connect();
  });
  after(async () => {
    await killAll();
    await runner?.end().catch(() => undefined);
    await llm?.close();
    await db?.drop();
    await withClient(rootUrl('postgres'), (c) => c.query(`drop database if exists ${fresh} with (force)`)).catch(() => undefined);
    recordResult({
      scenario: '6 RLS / runtime role',
      inputs: 'every executable mana_ai function with B\'s run ids, B\'s record ids, foreign and stale tokens in A\'s context; direct DML on every table/view; temp tables shadowing our relations; audit UPDATE/DELETE as runner, owner, superuser; 10 injection-shaped strings through the SQL API and a real listener; mana_ai.now with and without allow_test_clock',
      outcome: results.join('; '),
      lost: 'n/a',
      duplicated: 'n/a',
    });
  });

  test('user A\'s context reaches nothing of user B through any function the runtime role may execute', async () => {
    const secretB = `B-SECRET-${randomBytes(6).toString('hex')}`;
    await db.sync([missionRow(A, 'm-a'), recordRow(A, 'notes', 'notes', 'n-a', { title: 'A note', content: 'A content' })]);
    await db.sync([missionRow(B, 'm-b'), recordRow(B, 'notes', 'notes', 'n-b', { title: secretB, content: secretB })]);
    await db.admin.query(`insert into mana_ai.decrypt_audit (user_id, mission_id, iteration_id, table_name, record_id, status, reason)
      values ($1, 'm-a', 'it-a', 'notes', 'n-a', 'ok', null), ($2, 'm-b', 'it-b', 'notes', 'n-b', 'failed', 'decrypt-failed')`, [A, B]);

    // Shadowing: temp tables named like every relation the definer functions use. With search_path
    // pinned to pg_catalog, pg_temp and every reference schema-qualified, none may be picked up.
    const { rows: rels } = await db.admin.query<{ relname: string }>(
      `select distinct c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('mana_ai', 'mana_ai_private') and c.relkind in ('r', 'v') or (n.nspname = 'public' and c.relname = 'sync_changes')`);
    for (const { relname } of rels) {
      await runner.query(`create temp table ${relname} (x int)`);
    }
    await runner.query(`select set_config('app.current_user_id', $1, false)`, [A]);

    const claimed = (await runner.query<{ run_id: string; user_id: string; lease_token: string }>(
      `select run_id::text, user_id, lease_token::text from mana_ai.claim_runs('rls-worker', 10, 60000)`)).rows;
    const runA = claimed.find((r) => r.user_id === A)!;
    const runB = claimed.find((r) => r.user_id === B)!;
    assert.ok(runA && runB, 'the runs of both users were claimable (claims are cross-user by design)');
    const [rA, tA, rB, tB] = [runA.run_id, runA.lease_token, runB.run_id, runB.lease_token];
    const stranger = randomUUID();
    const snapshotB = async () => (await db.admin.query(
      `select (select row_to_json(r) from mana_ai.runs r where r.run_id = $1) run,
              (select count(*) from mana_ai.decrypt_audit where user_id = $2) audit,
              (select count(*) from public.sync_changes where user_id = $2) sync`, [rB, B])).rows[0];
    const beforeB = await snapshotB();
    const iteration = { id: randomUUID(), plan: [], summary: 'x', overallStatus: 'approved', source: 'server' };

    /** Every executable function → its probes: [sql, params, check]. */
    const probes: Record<string, [string, unknown[], (o: Outcome) => void][]> = {
      'mana_ai.load_run(bigint,uuid)': [
        ['select mana_ai.load_run($1, $2) r', [rB, tA], (o) => assert.equal(o.rows?.[0]?.r, null)],
        ['select mana_ai.load_run($1, $2) r', [rB, stranger], (o) => assert.equal(o.rows?.[0]?.r, null)],
        ['select mana_ai.load_run($1, $2) r', [rA, tA], (o) => {
          const text = JSON.stringify(o.rows?.[0]?.r);
          assert.ok(text.includes('"m-a"') && !text.includes(B) && !text.includes(secretB), text.slice(0, 300));
        }],
      ],
      'mana_ai.replay_input(bigint,uuid,text,text,text)': [
        ['select mana_ai.replay_input($1, $2, $3, $4, $5) r', [rA, tA, 'notes', 'notes', 'n-b'], (o) => assert.equal(o.rows?.[0]?.r, null, 'B\'s record is not in A\'s scope')],
        ['select mana_ai.replay_input($1, $2, $3, $4, $5) r', [rB, tA, 'notes', 'notes', 'n-b'], (o) => assert.equal(o.code, 'MA102')],
        ['select mana_ai.replay_input($1, $2, $3, $4, $5) r', [rB, null, 'notes', 'notes', 'n-b'], (o) => assert.equal(o.code, 'MA102')],
      ],
      'mana_ai.record_decrypt_audit(bigint,uuid,text,text,text,text,text)': [
        ['select mana_ai.record_decrypt_audit($1, $2, $3, $4, $5, $6, $7) r', [rB, tA, 'it', 'notes', 'n-b', 'ok', null], (o) => assert.equal(o.code, 'MA201')],
        ['select mana_ai.record_decrypt_audit($1, $2, $3, $4, $5, $6, $7) r', [rB, stranger, 'it', 'notes', 'n-b', 'ok', null], (o) => assert.equal(o.code, 'MA201')],
        ['select mana_ai.record_decrypt_audit($1, $2, $3, $4, $5, $6, $7) r', [rA, tA, 'it', 'notes', 'n-b', 'bogus', null], (o) => assert.equal(o.code, 'MA202')],
        ['select mana_ai.record_decrypt_audit($1, $2, $3, $4, $5, $6, $7) r', [rA, tA, 'it', 'notes', 'n-b', 'ok', null], async (o) => {
          const { rows } = await db.admin.query('select user_id from mana_ai.decrypt_audit where id = $1', [o.rows?.[0]?.r]);
          assert.deepEqual(rows, [{ user_id: A }], 'A\'s lease writes an audit row for A, whatever record it names');
        }],
      ],
      'mana_ai.complete_run(bigint,uuid,jsonb,bigint)': [
        ['select mana_ai.complete_run($1, $2, $3) r', [rB, tA, iteration], (o) => assert.deepEqual(o.rows?.[0]?.r, { status: 'stale' })],
        ['select mana_ai.complete_run($1, $2, $3) r', [rB, stranger, iteration], (o) => assert.deepEqual(o.rows?.[0]?.r, { status: 'stale' })],
      ],
      'mana_ai.fail_run(bigint,uuid,text,text,bigint)': [
        ['select mana_ai.fail_run($1, $2, $3, $4) r', [rB, tA, 'x', 'y'], (o) => assert.deepEqual(o.rows?.[0]?.r, { status: 'stale' })],
        ['select mana_ai.fail_run($1, $2, $3, $4, $5) r', [rB, tA, 'x', 'y', 999999], (o) => assert.deepEqual(o.rows?.[0]?.r, { status: 'stale' })],
      ],
      'mana_ai.extend_lease(bigint,uuid,integer)': [
        ['select mana_ai.extend_lease($1, $2, $3) r', [rB, tA, 3_600_000], (o) => assert.equal(o.rows?.[0]?.r, null)],
      ],
      'mana_ai.release_run(bigint,uuid,text)': [
        ['select mana_ai.release_run($1, $2, $3) r', [rB, tA, 'x'], (o) => assert.equal(o.rows?.[0]?.r, false)],
      ],
      'mana_ai.read_decrypt_audit(text,text,integer)': [
        ['select * from mana_ai.read_decrypt_audit($1, $2, $3)', [A, null, 1000], (o) => {
          assert.ok(o.rows!.length >= 1 && o.rows!.every((r) => r.record_id !== 'n-b' || r.mission_id === 'm-a'), JSON.stringify(o.rows));
          assert.ok(!JSON.stringify(o.rows).includes('it-b'));
        }],
        ['select * from mana_ai.read_decrypt_audit($1, $2, $3)', ['', null, 10], (o) => assert.equal(o.code, 'MA204')],
        ['select * from mana_ai.read_decrypt_audit($1, $2, $3)', [null, null, 10], (o) => assert.equal(o.code, 'MA204')],
        ['select * from mana_ai.read_decrypt_audit($1, $2, $3)', [`${A}' or '1'='1`, null, 10], (o) => assert.deepEqual(o.rows, [])],
        ['select * from mana_ai.read_decrypt_audit($1, $2, $3)', [A, null, 1_000_000], (o) => assert.ok(o.rows!.length <= 1000)],
      ],
      'mana_ai.claim_and_load_runs(text,integer,integer)': [
        ['select * from mana_ai.claim_and_load_runs($1, $2, $3)', ['', 1, 1], (o) => assert.equal(o.code, 'MA101')],
        ['select * from mana_ai.claim_and_load_runs($1, $2, $3)', ['w', 10, 60000], (o) => assert.deepEqual(o.rows, [], 'held runs are not handed out twice, nor their records')],
      ],
      'mana_ai.claim_runs(text,integer,integer)': [
        ['select * from mana_ai.claim_runs($1, $2, $3)', ['', 1, 1], (o) => assert.equal(o.code, 'MA101')],
        ['select * from mana_ai.claim_runs($1, $2, $3)', ['w', -1, 1], (o) => assert.equal(o.code, 'MA101')],
        ['select * from mana_ai.claim_runs($1, $2, $3)', ['w', 10, 60000], (o) => assert.deepEqual(o.rows, [], 'held runs are not handed out twice')],
      ],
      'mana_ai.tick()': [['select mana_ai.tick() r', [], (o) => assert.equal(typeof o.rows?.[0]?.r, 'object')]],
      // the fold does every user's pending work, as the system; it answers with counts only
      'mana_ai.fold(integer)': [
        ['select mana_ai.fold($1) r', [0], (o) => assert.equal(o.code, 'MA101')],
        ['select mana_ai.fold($1) r', [10_001], (o) => assert.equal(o.code, 'MA101')],
        ['select mana_ai.fold($1) r', [10], (o) => assert.ok(!JSON.stringify(o.rows).includes(B))],
      ],
      'mana_ai.next_wakeup()': [['select mana_ai.next_wakeup() r', [], (o) => assert.equal(o.code, undefined)]],
      'mana_ai.read_counters()': [['select * from mana_ai.read_counters()', [], (o) => assert.ok(!JSON.stringify(o.rows).includes(B))]],
      'mana_ai.runtime_settings()': [['select mana_ai.runtime_settings() r', [], (o) => assert.ok(!JSON.stringify(o.rows).includes(B))]],
      'mana_ai.api_version()': [['select mana_ai.api_version() r', [], (o) => assert.equal(o.rows?.[0]?.r, 1)]],
    };

    const { rows: fns } = await db.admin.query<{ sig: string; exec: boolean }>(
      `select p.oid::regprocedure::text sig, has_function_privilege('mana_ai_test_listener', p.oid, 'execute') exec
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'mana_ai' order by 1`);
    assert.deepEqual(fns.filter((f) => f.exec).map((f) => f.sig).sort(), Object.keys(probes).sort(),
      'every function the runtime role may execute has probes here');
    let calls = 0;
    for (const [sig, list] of Object.entries(probes)) {
      for (const [sql, params, check] of list) {
        const outcome = await attempt(runner, sql, params);
        calls += 1;
        try {
          await check(outcome);
        } catch (error) {
          throw new Error(`${sig} ${JSON.stringify(params).slice(0, 200)} → ${JSON.stringify(outcome).slice(0, 300)}: ${(error as Error).message}`);
        }
      }
    }
    for (const f of fns.filter((x) => !x.exec)) {
      const name = f.sig.replace(/\(.*$/, '');
      const args = f.sig.includes('(text,text)') ? `'${B}', 'm-b'` : '';
      const o = await attempt(runner, `select ${name}(${args})`);
      assert.equal(o.code, '42501', `${f.sig} is not callable by the runtime role`);
      calls += 1;
    }
    assert.deepEqual(await snapshotB(), beforeB, 'B\'s run, audit rows and sync rows are exactly as before');

    // A fenced write-back for A works once; its token is stale afterwards.
    const first = await attempt(runner, 'select mana_ai.complete_run($1, $2, $3) r', [rA, tA, iteration]);
    assert.equal((first.rows?.[0]?.r as { status: string }).status, 'done');
    const again = await attempt(runner, 'select mana_ai.complete_run($1, $2, $3) r', [rA, tA, { ...iteration, id: randomUUID() }]);
    assert.deepEqual(again.rows?.[0]?.r, { status: 'stale' });
    assert.equal((await attempt(runner, 'select mana_ai.load_run($1, $2) r', [rA, tA])).rows?.[0]?.r, null);
    const { rows: wb } = await db.admin.query(`select user_id from public.sync_changes where client_id = 'mana-ai-runner'`);
    assert.deepEqual(wb, [{ user_id: A }], 'one write-back, for A');
    // B's own lease holder still works: the probes changed nothing.
    assert.equal((await attempt(runner, 'select mana_ai.release_run($1, $2, $3) r', [rB, tB, 'done probing'])).rows?.[0]?.r, true);
    results.push(`${calls} calls on ${fns.length} functions (${Object.keys(probes).length} executable): B untouched`);
  });

  test('no table, view or sequence is reachable directly, in any user scope; audit rows are never updated or deleted', async () => {
    await runner.query(`select set_config('app.current_user_id', $1, false)`, [B]);
    const { rows: rels } = await db.admin.query<{ name: string; kind: string; col: string }>(
      `select format('%I.%I', n.nspname, c.relname) name, c.relkind::text kind,
              (select quote_ident(a.attname) from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attidentity = '' and a.attgenerated = '' order by a.attnum limit 1) col
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where (n.nspname in ('mana_ai', 'mana_ai_private') and c.relkind in ('r', 'v', 'S')) or (n.nspname = 'public' and c.relname = 'sync_changes')`);
    const denied: string[] = [];
    for (const { name, kind, col } of rels) {
      // Views are read-only anyway (aggregates): only reading them is a question.
      const statements = kind === 'S' ? [`select nextval('${name}')`, `select * from ${name}`]
        : kind === 'v' ? [`select * from ${name} limit 1`]
          : [`select * from ${name} limit 1`, `insert into ${name} default values`, `update ${name} set ${col} = ${col}`, `delete from ${name}`, `truncate ${name}`];
      for (const sql of statements) {
        const o = await attempt(runner, sql);
        assert.equal(o.code, '42501', `${sql} → ${JSON.stringify(o)}`);
        denied.push(sql);
      }
    }
    const { rows: privileges } = await db.admin.query(
      `select c.oid::regclass::text rel, p.priv from pg_class c join pg_namespace n on n.oid = c.relnamespace
         cross join unnest(array['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger']) p(priv)
        where ((n.nspname in ('mana_ai', 'mana_ai_private') and c.relkind in ('r', 'v')) or c.oid = 'public.sync_changes'::regclass)
          and has_table_privilege('mana_ai_test_listener', c.oid, p.priv)`);
    assert.deepEqual(privileges, [], 'the runtime role holds no table privilege at all');
    assert.equal((await attempt(runner, 'create table mana_ai.x (a int)')).code, '42501');
    assert.equal((await attempt(runner, 'create function mana_ai.tick2() returns int language sql as $$ select 1 $$')).code, '42501');

    // The owner (every definer function) cannot update audit rows nor delete young ones; a superuser's
    // UPDATE is refused by the trigger (MA205).
    const owner = await db.admin.connect();
    try {
      await owner.query('set role mana_ai_owner');
      await owner.query(`select set_config('app.current_user_id', $1, false)`, [B]);
      assert.equal((await attempt(owner, 'update mana_ai.decrypt_audit set reason = $1', ['x'])).code, '42501');
      const del = await attempt(owner, 'delete from mana_ai.decrypt_audit returning id');
      assert.deepEqual(del.rows, [], 'no young audit row can be deleted, even in its own scope');
    } finally {
      owner.release(true); // role and scope die with the connection
    }
    assert.equal((await attempt(db.admin, 'update mana_ai.decrypt_audit set reason = reason')).code, 'MA205');
    results.push(`${denied.length} direct statements on ${rels.length} relations denied (42501); audit UPDATE 42501/MA205, DELETE 0 rows`);
  });

  test('injection-shaped ids and strings are stored inert and round-trip unchanged', async () => {
    // Through the SQL API: worker names, audit fields, error texts (one claim, audit and failure per string).
    await db.admin.query('update mana_ai_private.settings set max_attempts = 20');
    await db.sync(missionRow('rls-nasty', 'm-nasty'));
    const nasty = NASTY.map((s, i) => `${i}:${s}`);
    for (const worker of nasty) {
      const claimed = (await runner.query<{ run_id: string; lease_token: string }>(
        'select run_id::text, lease_token::text from mana_ai.claim_runs($1, 1, 60000)', [worker])).rows[0]!;
      const { rows: [w] } = await db.admin.query('select worker from mana_ai.runs where run_id = $1', [claimed.run_id]);
      assert.equal(w.worker, worker);
      for (const s of nasty) {
        await runner.query('select mana_ai.record_decrypt_audit($1, $2, $3, $4, $5, $6, $7)', [claimed.run_id, claimed.lease_token, s, s, s, 'failed', s]);
      }
      const failed = await runner.query<{ r: { status: string } }>('select mana_ai.fail_run($1, $2, $3, $4) r', [claimed.run_id, claimed.lease_token, worker, worker]);
      const { rows: [run] } = await db.admin.query('select error_class, last_error from mana_ai.runs where run_id = $1', [claimed.run_id]);
      assert.equal(run.error_class, worker);
      assert.equal(run.last_error, worker.slice(0, 4000), 'last_error keeps 4,000 characters (documented cap)');
      assert.equal(failed.rows[0]!.r.status, 'failed');
      await db.admin.query(`update mana_ai.runs set retry_at = now() where run_id = $1`, [claimed.run_id]);
    }
    await db.admin.query('update mana_ai_private.settings set max_attempts = 3');
    const read = await runner.query('select table_name, record_id, iteration_id, reason from mana_ai.read_decrypt_audit($1, null, 1000)', ['rls-nasty']);
    const seen = new Set(read.rows.flatMap((r) => [r.table_name, r.record_id, r.iteration_id, r.reason]));
    assert.deepEqual(nasty.filter((s) => !seen.has(s)), [], 'every audit field reads back byte for byte');

    // Through the real listener: users, mission ids, titles and objectives shaped like injections.
    const listener = spawnServe('nasty', serveEnv(db.runnerUrl, llm.url, { TICK_INTERVAL_MS: '2000' }));
    await listener.started();
    const missions = NASTY.map((s, i) => ({ userId: `u${i}-${s.slice(0, 200)}`, missionId: `m${i}-${s.slice(0, 800)}`, title: `T${i} ${s}` }));
    await insertRows(db.admin, missions.map((m) => missionRow(m.userId, m.missionId, { title: m.title, objective: m.title })), 1);
    await until(async () => (await checkIntegrity(db.admin, missions)).statuses.done === missions.length, 30_000,
      async () => JSON.stringify((await checkIntegrity(db.admin, missions)).statuses));
    const integrity = await checkIntegrity(db.admin, missions);
    assert.deepEqual(integrity.problems, []);
    for (const m of missions) {
      const prompt = llm.requests.map(userMessage).find((u) => u.includes(`# Mission: ${m.title.split('\n')[0]}`));
      assert.ok(prompt?.includes(m.title), `the prompt carries the title of ${JSON.stringify(m.missionId.slice(0, 40))} unchanged`);
    }
    const { rows: [tables] } = await db.admin.query(`select to_regclass('mana_ai.runs') is not null runs, to_regclass('public.sync_changes') is not null sync`);
    assert.deepEqual(tables, { runs: true, sync: true });
    assert.equal(await terminate(listener), 0);
    results.push(`${NASTY.length} nasty strings (up to 10 KB) round-trip via worker/audit/error fields and as user/mission ids through a real listener`);
  });

  test('mana_ai.now moves the clock only where settings.allow_test_clock is on; a fresh database has it off', async () => {
    await withClient(rootUrl('postgres'), (c) => c.query(`create database ${fresh}`));
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'migrate', '--create-sync-changes'], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'warn', MANA_AI_ADMIN_DATABASE_URL: rootUrl(fresh), MANA_AI_TIMEZONE: 'Europe/Berlin' },
    });
    const runnerUrl = db.runnerUrl.replace(`/${db.name}?`, `/${fresh}?`);
    const scanned = async () => withClient(runnerUrl, async (c) => {
      await c.query(`set mana_ai.now = '2099-06-01T00:00:00Z'`);
      const { rows: [r] } = await c.query<{ t: { scannedAt: string } }>('select mana_ai.tick() t');
      const denied = await attempt(c, 'update mana_ai_private.settings set allow_test_clock = true');
      return { year: new Date(r!.t.scannedAt).getUTCFullYear(), flip: denied.code };
    });
    const { rows: [s] } = await withClient(rootUrl(fresh), (c) => c.query('select allow_test_clock from mana_ai_private.settings'));
    assert.equal(s.allow_test_clock, false, 'a freshly migrated database has the test clock off');
    const off = await scanned();
    assert.deepEqual(off, { year: new Date().getUTCFullYear(), flip: '42501' }, 'the runtime role cannot time-travel nor turn the clock on');
    await withClient(rootUrl(fresh), (c) => c.query('update mana_ai_private.settings set allow_test_clock = true'));
    const on = await scanned();
    assert.equal(on.year, 2099, 'with allow_test_clock on (test databases) the GUC is honoured');
    results.push(`fresh database: allow_test_clock false, set mana_ai.now ignored (tick scanned ${off.year}); honoured (${on.year}) only after the admin turned it on`);
  });
});
