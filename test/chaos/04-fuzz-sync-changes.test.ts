/**
 * Scenario 4: fuzz `public.sync_changes`, the table the sync server writes and the projection trigger
 * reads, with > 10,000 generated rows in multi-row INSERT statements of 200 rows, each statement a mix
 * of valid missions and junk: random shapes and JSON types, 1 MB strings, JSON nested 2,000–10,000 deep
 * (jsonb's limit with max_stack_depth 2 MB lies between 10,000 and 20,000), invalid timestamps, unknown
 * cadences, random ops, app ids and table names, rows of several users in one statement (the superuser
 * bypasses RLS), random created_at (late rows re-fold from the log). A real listener runs throughout.
 *
 * Every row is generated from a recipe whose outcome is known (make_offer's rules, docs/data-model.md §3):
 *   - valid ai rows: never quarantined; valid due missions are projected and planned exactly once;
 *   - bad ai rows (aiMissions/agents of app `ai`): quarantined with a reason, exactly these ids —
 *     row-level problems with applied = false, field-level ones with applied = true;
 *   - rows of other apps and tables: never quarantined, never projected.
 * Then: no INSERT failed, nothing is left queued/running, and rebuild_projections() reports changed = 0.
 * The seed (CHAOS_SEED) replays a run.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  chaosSeed, checkIntegrity, insertRows, killAll, prng, recordResult, serveEnv, spawnServe, terminate, until,
  type Expected, type RawRow,
} from '../support/chaos-kit.js';
import { freshDatabase, type TestDb } from '../support/db.js';
import { planText, startFakeLlm, type FakeLlm } from '../../src/dev/fake-llm.js';

const PAST = '2026-01-01T00:00:00.000Z';
const FUTURE = '2099-01-01T00:00:00.000Z';
const MB = 1024 * 1024;

/** What a generated row is, and what must become of it. */
interface Gen {
  row: RawRow & { id: string };
  kind: string;
  /** Quarantined with applied = this (undefined: must not be quarantined). */
  quarantine?: { applied: boolean };
  /** A valid mission due now: planned exactly once. */
  due?: boolean;
  /** A valid mission (due or not): projected present. */
  mission?: boolean;
}

function generator(seed: number) {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const chance = (p: number) => rnd() < p;
  // Safe code points only: jsonb refuses \u0000 and lone surrogates, as the sync server's table would.
  const ALPHABET = ['a', 'Z', '7', ' ', '"', '\\', '\'', '$', ';', '-', '/', '\n', '\t', 'ä', 'ß', 'é', '中', '文', 'Ω', 'ж', '😀', '🧪', '\u200b', '\u202e', '{', '}', '[', ']'];
  const str = (max: number) => Array.from({ length: int(max + 1) }, () => pick(ALPHABET)).join('');
  const json = (depth = 0): unknown => {
    const k = int(depth > 3 ? 5 : 7);
    switch (k) {
      case 0: return null;
      case 1: return chance(0.5);
      case 2: return pick([0, -1, 1.5, 1e21, -(2 ** 53), 123456789, 0.000001]);
      case 3: return str(20);
      case 4: return pick(['2026-01-01T00:00:00Z', 'yesterday', '', '2026-02-29T00:00:00Z', '1970-01-01T00:00:00.000Z']);
      case 5: return Array.from({ length: int(4) }, () => json(depth + 1));
      default: return Object.fromEntries(Array.from({ length: int(4) }, () => [`k${str(6)}`, json(depth + 1)]));
    }
  };
  const deepArray = (d: number) => `${'['.repeat(d)}${']'.repeat(d)}`;
  const deepObject = (d: number) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`;
  const stamp = (offsetDays: number) => new Date(Date.UTC(2026, 0, 1) + offsetDays * 86_400_000 + int(86_400_000)).toISOString();
  const createdAt = () => (chance(0.02) ? pick(['1970-01-01T00:00:00Z', '2100-01-01T00:00:00Z']) : stamp(-int(400)));

  const users = ['fz-u0', 'fz-u1', 'fz-u2', 'fz-u3', 'fz-u4', 'fz-u5', 'fz-ü-用户-😀', `fz-${'x'.repeat(200)}`];
  const user = () => pick(users);
  let n = 0;
  const id = () => randomUUID();

  /** Random extra keys that no rule looks at (never a decision key). */
  const junk = (): Record<string, unknown> =>
    Object.fromEntries(Array.from({ length: int(4) }, () => [`x_${str(5)}`, json()]));
  /** Splices `"key": raw` into a JSON object text (for nesting JSON.stringify cannot produce). */
  const withRaw = (data: Record<string, unknown>, key: string, raw: string) => `${JSON.stringify(data).slice(0, -1)}${Object.keys(data).length ? ',' : ''}${JSON.stringify(key)}:${raw}}`;

  const mission = (recordId: string, fields: Record<string, unknown>) => ({
    id: recordId, title: `Fuzz ${str(12)}`, conceptMarkdown: str(40), objective: str(20), state: 'active',
    cadence: { kind: 'interval', everyMinutes: 60 }, nextRunAt: PAST, inputs: [], iterations: [],
    createdAt: PAST, updatedAt: PAST, ...junk(), ...fields,
  });
  const ai = (userId: string, table: string, recordId: string, op: RawRow['op'], data: unknown, more: Partial<RawRow> = {}): RawRow & { id: string } =>
    ({ id: id(), userId, appId: 'ai', table, recordId, op, data, createdAt: createdAt(), ...more });

  const badPool = Array.from({ length: 500 }, (_, i) => `fz-bad-${i}`);
  const noisePool = Array.from({ length: 300 }, (_, i) => `fz-noise-${i}`);
  let huge = 0;
  let deep = 0;

  const recipes: [number, () => Gen][] = [
    // ---- valid ai rows ----
    [300, () => {
      const recordId = `fz-due-${n++}`;
      const data = mission(recordId, chance(0.1) ? { nextRunAt: '2026-01-01T00:00:00Z' } : {});
      if (huge < 4 && chance(0.02)) { huge += 1; data.conceptMarkdown = 'M'.repeat(MB); }
      const raw = deep < 4 && chance(0.02) ? (deep += 1, withRaw(data, 'x_deep', deepArray(2_000 + int(3_000)))) : undefined;
      return { row: { ...ai(user(), 'aiMissions', recordId, 'insert', data), dataText: raw }, kind: 'valid due mission', due: true, mission: true };
    }],
    [200, () => {
      const recordId = `fz-idle-${n++}`;
      const fields = pick<Record<string, unknown>>([
        { nextRunAt: FUTURE }, { state: 'paused' }, { state: 'done' }, { state: 'archived' }, { nextRunAt: null },
        { cadence: { kind: 'daily', atHour: 9, atMinute: 30 }, nextRunAt: FUTURE },
        { cadence: { kind: 'weekly', dayOfWeek: 6, atHour: 23 }, nextRunAt: FUTURE },
        { cadence: { kind: 'cron', expression: '*/5 1-3 * * 1,3' }, nextRunAt: FUTURE }, { cadence: { kind: 'manual' }, nextRunAt: FUTURE },
      ]);
      return { row: ai(user(), 'aiMissions', recordId, 'insert', mission(recordId, fields)), kind: 'valid idle mission', mission: true };
    }],
    [100, () => {
      const recordId = `fz-agent-${n++}`;
      const data = { id: recordId, name: str(10), state: pick(['active', 'paused', 'archived']), maxConcurrentMissions: pick([0, 1, 3, 2.5, null]), createdAt: 'whenever', ...junk() };
      return { row: ai(user(), 'agents', recordId, 'insert', data), kind: 'valid agent' };
    }],
    [300, () => {
      const s = stamp(int(30));
      const data = { title: str(10), updatedAt: s, ...(chance(0.3) ? { state: 'paused' } : {}) };
      const ft = Object.fromEntries(Object.keys(data).map((k) => [k, chance(0.5) ? s : s.replace('Z', '+02:00')]));
      return { row: ai(user(), pick(['aiMissions', 'agents']), pick(noisePool), 'update', data, { fieldTimestamps: { ...ft, ghost: 'not a stamp' } }), kind: 'valid update' };
    }],
    [100, () => ({
      row: ai(user(), pick(['aiMissions', 'agents']), pick(noisePool), 'delete',
        pick([null, {}, { deletedAt: stamp(10) }, { deletedAt: '' }, { deletedAt: 0 }, { deletedAt: false }, { deletedAt: null }])),
      kind: 'valid delete',
    })],
    [150, () => ({
      // An update whose keys have no field timestamp is ignored, bad values included (devices never see them).
      row: ai(user(), 'aiMissions', pick(badPool), 'update', { state: 'exploded', cadence: 'hourly', nextRunAt: 'soon' }, { fieldTimestamps: {} }),
      kind: 'unstamped update (ignored)',
    })],
    // ---- bad ai rows, row level: skipped (applied = false) ----
    [350, () => ({ row: ai(user(), pick(['aiMissions', 'agents']), pick(badPool), pick(['insert', 'update', 'delete'] as const), { state: 'active' }, { schemaVersion: pick([0, 2, -1, 999_999]) }), kind: 'bad schema_version', quarantine: { applied: false } })],
    [150, () => ({ row: ai(user(), pick(['aiMissions', 'agents']), '', 'insert', { state: 'active' }), kind: 'empty record_id', quarantine: { applied: false } })],
    [400, () => {
      const op = pick(['insert', 'update', 'delete'] as const);
      // JSON null is not SQL NULL: the log's delete rows carry `{}` or nothing (docs/data-model.md §2).
      const row = chance(0.15) ? { ...ai(user(), pick(['aiMissions', 'agents']), pick(badPool), op, null), dataText: 'null' }
        : ai(user(), pick(['aiMissions', 'agents']), pick(badPool), op, pick<unknown>([[], [1, 2], 'text', 42, true, false, 0, '']));
      return { row, kind: 'data not an object', quarantine: { applied: false } };
    }],
    [200, () => ({ row: ai(user(), pick(['aiMissions', 'agents']), pick(badPool), 'update', null, { fieldTimestamps: { state: PAST } }), kind: 'update without data', quarantine: { applied: false } })],
    [200, () => ({ row: ai(user(), pick(['aiMissions', 'agents']), pick(badPool), 'update', { state: 'active' }, { fieldTimestamps: pick<unknown>([[], 'x', 5, null, true]) }), kind: 'field_timestamps not an object', quarantine: { applied: false } })],
    // ---- bad ai rows, field level: applied as the web app would, reported (applied = true) ----
    [350, () => {
      const bad = huge < 8 && chance(0.03) ? (huge += 1, 'S'.repeat(MB)) : pick<unknown>(['running', '', 'ACTIVE', 42, null, {}, [], true]);
      return { row: ai(user(), 'aiMissions', pick(badPool), 'insert', mission('x', { state: bad })), kind: 'bad mission state', quarantine: { applied: true } };
    }],
    [350, () => ({ row: ai(user(), 'aiMissions', pick(badPool), 'insert', mission('x', { nextRunAt: pick<unknown>(['not a date', '2026-02-29T10:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01', '2026-01-01T25:00:00Z', '0000-01-01T00:00:00Z', 12345, true, {}, [], '']) })), kind: 'bad nextRunAt', quarantine: { applied: true } })],
    [200, () => ({ row: ai(user(), 'aiMissions', pick(badPool), 'insert', mission('x', { createdAt: pick<unknown>(['long ago', 0, null, '2026-04-31T00:00:00Z', {}]) })), kind: 'bad createdAt', quarantine: { applied: true } })],
    [150, () => ({ row: ai(user(), 'aiMissions', pick(badPool), 'insert', mission('x', { agentId: pick<unknown>([42, {}, [], true]) })), kind: 'agentId not a string', quarantine: { applied: true } })],
    [450, () => {
      const cadences: unknown[] = [
        { kind: 'hourly' }, { kind: 'yearly', every: 1 }, { kind: '' }, { kind: 'INTERVAL', everyMinutes: 5 }, {}, { kind: 5 }, { kind: null },
        { kind: 'interval', everyMinutes: 0 }, { kind: 'interval', everyMinutes: -5 }, { kind: 'interval', everyMinutes: '5' }, { kind: 'interval' },
        { kind: 'daily', atHour: 24, atMinute: 0 }, { kind: 'daily', atHour: 9, atMinute: 60 }, { kind: 'daily', atHour: 1.5, atMinute: 0 },
        { kind: 'weekly', dayOfWeek: 7, atHour: 1 }, { kind: 'cron', expression: 'not cron' }, { kind: 'cron', expression: '* * *' },
        { kind: 'cron', expression: '61 * * * *' }, { kind: 'cron' }, 'hourly', [], null, 60,
      ];
      const data = mission('x', { cadence: pick(cadences) });
      const raw = deep < 8 && chance(0.02) ? (deep += 1, withRaw({ ...data, cadence: undefined }, 'cadence', deepObject(2_000 + int(3_000)))) : undefined;
      return { row: { ...ai(user(), 'aiMissions', pick(badPool), 'insert', data), dataText: raw }, kind: 'bad cadence', quarantine: { applied: true } };
    }],
    [200, () => ({ row: ai(user(), 'aiMissions', pick(badPool), 'insert', mission('x', pick<Record<string, unknown>>([{ iterations: {} }, { iterations: 'x' }, { iterations: null }, { inputs: {} }, { inputs: 'notes' }, { inputs: 5 }]))), kind: 'iterations/inputs not arrays', quarantine: { applied: true } })],
    [250, () => ({ row: ai(user(), pick(['aiMissions', 'agents']), pick(badPool), 'update', { title: 'x', updatedAt: PAST }, { fieldTimestamps: { title: pick(['soon', '2026-02-30T00:00:00Z', '']), updatedAt: PAST } }), kind: 'unparseable field timestamp', quarantine: { applied: true } })],
    [200, () => ({ row: ai(user(), 'aiMissions', pick(badPool), 'update', { state: pick(['gone', 7]) }, { fieldTimestamps: { state: PAST } }), kind: 'bad state by update', quarantine: { applied: true } })],
    [150, () => ({ row: ai(user(), pick(['aiMissions', 'agents']), pick(badPool), 'delete', { deletedAt: pick<unknown>(['yesterday', 5, true, {}, [], '0']) }), kind: 'unparseable deletedAt', quarantine: { applied: true } })],
    [250, () => ({ row: ai(user(), 'agents', pick(badPool), 'insert', { name: 'A', state: 'active', maxConcurrentMissions: 1, ...pick<Record<string, unknown>>([{ state: 'done' }, { state: 3 }, { name: 5 }, { name: {} }, { maxConcurrentMissions: '3' }, { maxConcurrentMissions: true }]) }), kind: 'bad agent field', quarantine: { applied: true } })],
    // ---- rows of other apps and tables: the trigger only scans them ----
    [3_000, () => {
      const appId = pick(['notes', 'todo', 'calendar', 'AI', 'ai ', 'aı', ' ai', 'Ai', str(8) || 'x', 'companion']);
      const raw = deep < 12 && chance(0.003) ? (deep += 1, pick([deepArray(10_000), deepObject(5_000)])) : undefined;
      const data = huge < 12 && chance(0.002) ? (huge += 1, { body: 'N'.repeat(MB) }) : json();
      return { row: { id: id(), userId: user(), appId, table: pick(['aiMissions', 'agents', 'notes', 'tasks', str(10) || 't']), recordId: str(60), op: pick(['insert', 'update', 'delete'] as const), data, dataText: raw, fieldTimestamps: json(), createdAt: createdAt(), schemaVersion: pick([1, 0, 7]) }, kind: 'other app' };
    }],
    [2_300, () => ({
      row: { id: id(), userId: user(), appId: 'ai', table: pick(['aiMission', 'aimissions', 'agent', 'AGENTS', 'aiMissions ', 'aiIterations', str(12) || 'y']), recordId: str(40), op: pick(['insert', 'update', 'delete'] as const), data: json(), fieldTimestamps: json(), createdAt: createdAt(), schemaVersion: pick([1, 3]) },
      kind: 'other ai table',
    })],
  ];

  const generate = (): Gen[] => {
    const out: Gen[] = [];
    for (const [count, make] of recipes) for (let i = 0; i < count; i += 1) out.push(make());
    // Fisher–Yates with the seeded PRNG: every statement mixes every kind.
    for (let i = out.length - 1; i > 0; i -= 1) {
      const j = int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  return { generate, stats: () => ({ huge, deep }) };
}

describe('scenario 4: fuzzing sync_changes', () => {
  let db: TestDb;
  let llm: FakeLlm;
  const seed = chaosSeed();

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    llm.setDefault({ content: planText({ summary: 'Nichts', steps: [] }) });
  });
  after(async () => {
    await killAll();
    await llm?.close();
    await db?.drop();
  });

  test('> 10,000 mixed rows in multi-row INSERTs: no INSERT fails, bad ai rows quarantined exactly, valid missions planned once, rebuild changes nothing', async (t) => {
    t.diagnostic(`seed ${seed} (CHAOS_SEED=${seed} replays this run)`);
    const listener = spawnServe('fuzz', serveEnv(db.runnerUrl, llm.url, { MANA_AI_CONCURRENCY: '8', TICK_INTERVAL_MS: '2000' }));
    await listener.started();

    const gen = generator(seed);
    const rows = gen.generate();
    const bytes = rows.reduce((sum, g) => sum + (g.row.dataText?.length ?? JSON.stringify(g.row.data ?? null).length), 0);
    const t0 = Date.now();
    const failures: string[] = [];
    let statements = 0;
    for (let i = 0; i < rows.length; i += 200) {
      statements += 1;
      await insertRows(db.admin, rows.slice(i, i + 200).map((g) => g.row), 200).catch((error: Error) => {
        failures.push(`statement ${statements}: ${error.message.slice(0, 300)}`);
      });
    }
    const insertMs = Date.now() - t0;
    assert.deepEqual(failures, [], 'no INSERT failed');
    const { huge, deep } = gen.stats();
    t.diagnostic(`${rows.length} rows (${(bytes / MB).toFixed(1)} MB of data, ${huge} 1 MB strings, ${deep} JSON values nested 2,000–10,000 deep) in ${statements} statements: ${insertMs} ms`);

    // The valid due missions are planned exactly once; then wait until nothing is open any more.
    const due: Expected[] = rows.filter((g) => g.due).map((g) => ({ userId: g.row.userId, missionId: g.row.recordId }));
    const open = async () => (await db.admin.query<{ n: number }>(
      `select count(*)::int n from mana_ai.runs where status in ('queued', 'running') or (status = 'failed' and retry_at is not null)`)).rows[0]!.n;
    await until(async () => (await checkIntegrity(db.admin, due)).statuses.done === due.length && (await open()) === 0, 120_000,
      async () => `open ${await open()}; ${JSON.stringify((await checkIntegrity(db.admin, due)).statuses)}`, 500);
    assert.equal(await terminate(listener), 0);
    const planned = await checkIntegrity(db.admin, due);
    assert.deepEqual(planned.problems, []);
    const { rows: runStatuses } = await db.admin.query<{ status: string; n: number }>('select status, count(*)::int n from mana_ai.runs group by 1 order by 1');
    t.diagnostic(`runs: ${runStatuses.map((r) => `${r.status} ${r.n}`).join(', ')}`);

    // Quarantine: exactly the bad ai rows, each with a reason and the right applied flag.
    const { rows: quarantined } = await db.admin.query<{ change_id: string; reason: string; applied: boolean }>(
      'select change_id::text, reason, applied from mana_ai_private.quarantine');
    const byId = new Map(quarantined.map((q) => [q.change_id, q]));
    const missing = rows.filter((g) => g.quarantine && !byId.has(g.row.id));
    const unexpected = quarantined.filter((q) => !rows.find((g) => g.row.id === q.change_id)?.quarantine);
    const wrongFlag = rows.filter((g) => g.quarantine && byId.has(g.row.id) && byId.get(g.row.id)!.applied !== g.quarantine.applied);
    const show = (list: Gen[]) => list.slice(0, 5).map((g) => `${g.kind}: ${(g.row.dataText ?? JSON.stringify(g.row.data)).slice(0, 200)}`);
    assert.deepEqual(show(missing), [], 'every bad ai row is quarantined');
    assert.deepEqual(unexpected.slice(0, 5).map((q) => `${rows.find((g) => g.row.id === q.change_id)?.kind}: ${q.reason.slice(0, 200)}`), [],
      'nothing else is quarantined');
    assert.deepEqual(show(wrongFlag), [], 'row-level problems are skipped, field-level ones applied');
    assert.ok(quarantined.every((q) => q.reason.length > 0 && q.reason.length < 2_000), 'every reason is a short, non-empty text');
    const badCount = rows.filter((g) => g.quarantine).length;
    assert.equal(quarantined.length, badCount);

    // Projections: every valid mission is there; rows of other apps/tables never are.
    const missions = rows.filter((g) => g.mission);
    const { rows: [proj] } = await db.admin.query<{ present: number; foreign: number }>(
      `select count(*) filter (where (p.user_id, p.record_id) in (select * from unnest($1::text[], $2::text[])) and p.present and not p.deleted)::int present,
              count(*) filter (where p.record_id not like 'fz-%' and p.record_id <> '')::int foreign
         from mana_ai_private.projections p`, [missions.map((g) => g.row.userId), missions.map((g) => g.row.recordId)]);
    assert.deepEqual(proj, { present: missions.length, foreign: 0 });

    // The incremental fold equals a fold of the whole log.
    const { rows: [rebuilt] } = await db.admin.query<{ r: { users: number; records: number; changed: number; orphans: number } }>(
      'select mana_ai_private.rebuild_projections() r');
    t.diagnostic(`rebuild_projections: ${JSON.stringify(rebuilt!.r)}`);
    assert.equal(rebuilt!.r.changed, 0, 'rebuild_projections() changes nothing');

    const kinds = new Map<string, number>();
    for (const g of rows) kinds.set(g.kind, (kinds.get(g.kind) ?? 0) + 1);
    t.diagnostic(`kinds: ${[...kinds].map(([k, v]) => `${k} ${v}`).join('; ')}`);
    recordResult({
      scenario: '4 fuzz sync_changes',
      inputs: `${rows.length} rows in ${statements} multi-row INSERTs (${(bytes / MB).toFixed(0)} MB, ${huge}x 1 MB strings, ${deep} values nested 2k-10k deep): ${due.length} valid due + ${missions.length - due.length} idle missions, ${badCount} bad ai rows of 15 kinds, ${rows.length - badCount - missions.length} other rows; seed ${seed}`,
      outcome: `0 INSERTs failed; ${quarantined.length}/${badCount} bad rows quarantined, 0 others; ${planned.statuses.done}/${due.length} due missions planned once; rebuild changed ${rebuilt!.r.changed} of ${rebuilt!.r.records}`,
      lost: planned.lost,
      duplicated: planned.duplicated,
    });
  });
  test('values the sync server\'s table accepts at its limits: the trigger never makes the INSERT fail', async (t) => {
    const row = (recordId: string, more: Partial<RawRow>): RawRow => ({ userId: 'fz-edge', table: 'aiMissions', recordId, op: 'insert', data: { state: 'active' }, ...more });
    const attempt = async (label: string, r: RawRow) => insertRows(db.admin, [r]).then(() => `${label}: ok`, (e: Error) => `${label}: ${e.message}`);
    const failed = (results: string[]) => results.filter((x) => !x.endsWith(': ok'));

    // created_at is the sync server's column; an insert row without updatedAt/createdAt is stamped with it.
    // Bug found here: make_offer converted it to epoch µs as bigint, so ±infinity or a year beyond ~294,000
    // raised "cannot convert infinity to bigint" / "bigint out of range" inside the sync server's INSERT.
    const stamps = [];
    for (const at of ['infinity', '-infinity', '294276-12-31 23:59:59+00', '4713-01-01 00:00:00+00 BC']) {
      stamps.push(await attempt(`created_at ${at}`, row(`fz-edge-at-${stamps.length}`, { createdAt: at })));
    }
    assert.deepEqual(failed(stamps), []);
    const { rows: [rebuilt] } = await db.admin.query<{ r: { changed: number; records: number } }>(
      `select mana_ai_private.rebuild_projections(array['fz-edge']) r`);
    assert.deepEqual({ changed: rebuilt!.r.changed, records: rebuilt!.r.records }, { changed: 0, records: 4 }, 'those rows fold like any other');

    // jsonb's own nesting limit (max_stack_depth 2 MB): what lies beyond never reaches the trigger.
    const depth = async (d: number) => db.admin.query('select jsonb_typeof($1::jsonb)', [`${'['.repeat(d)}${']'.repeat(d)}`]).then(() => 'accepted', (e: Error) => e.message);
    const [d10k, d20k] = [await depth(10_000), await depth(20_000)];
    t.diagnostic(`jsonb nesting: depth 10,000 ${d10k}; depth 20,000: ${d20k}`);
    assert.equal(d10k, 'accepted');

    // Ids near btree's 2,704-byte limit. sync_changes' own indexes (user_id, app_id, …) and (table_name,
    // record_id, created_at) accept a 2,650-character record id; the projection key (user_id, table_name,
    // record_id) is ~30 bytes longer with a UUID user id, and longer still with a long user id.
    // Random base64: btree compresses long key values, so a compressible id would slip under the limit.
    const long = (n: number) => randomBytes(n).toString('base64').slice(0, n);
    const ids = [
      await attempt('record_id 2,650 chars of a UUID user', { ...row(long(2_650), {}), userId: randomUUID() }),
      await attempt('user_id and record_id 1,350 chars each', { ...row(`fz-edge-${long(1_350)}`, {}), userId: `fz-${long(1_350)}` }),
    ];
    recordResult({
      scenario: '4b sync_changes at its limits',
      inputs: 'created_at +-infinity, year 294276, 4713 BC; record_id 2,650 chars; user_id + record_id 1,350 chars each; jsonb depth 10k/20k',
      outcome: `${[...stamps, ...ids].join('; ')}; jsonb depth 20k refused by jsonb itself`,
      lost: 'n/a',
      duplicated: 'n/a',
    });
    assert.deepEqual(failed(ids), [],
      'an id the log accepts must not make the projection trigger fail the INSERT (projections_pkey, quarantine_record_idx)');
  });
});
