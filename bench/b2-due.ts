/**
 * B2 and B7: due selection.
 *   B2: one tick() — find the due missions among 1M projected missions (100 due) and enqueue them —
 *       against the reference's per-tick approach on the same data, emulated in SQL: MAX(created_at)
 *       GROUP BY (user_id, record_id) over the ai rows of a log with one row per mission, plus a scan of
 *       a snapshot table holding each mission's merged JSONB for the due check.
 *   B7: tick() at 10k, 100k and 1M missions (100 due in each): is its cost flat?
 * The projections are inserted in bulk (INSERT … SELECT), not through the trigger: the folded rows look
 * like real ones (same columns, ~1.3 KB each) and 10 % of missions have a finished run in the ledger.
 * Each tick runs in BEGIN … ROLLBACK so every sample finds and enqueues the same 100 missions. The
 * three databases and the reference are measured in interleaved rounds. Profile: the plans of every
 * statement tick() runs (auto_explain, nested, ANALYZE + BUFFERS) at the largest size, and
 * pg_stat_user_functions over its ticks.
 */
import type pg from 'pg';
import { fmt, median, now, percentile, ratio, rotate, table, type BenchResult, type Ctx } from './lib/common.js';
import { benchDatabase, connect, type TestDb } from './lib/data.js';

const SIZES = {
  smoke: { missions: [1_000, 3_000, 10_000], rounds: 2, ticks: 5, chunk: 10_000 },
  full: { missions: [10_000, 100_000, 1_000_000], rounds: 5, ticks: 40, chunk: 100_000 },
} as const;
const DUE = 100;

const MISSION_KEYS = ['state', 'title', 'inputs', 'userId', 'agentId', 'cadence', 'createdAt', 'nextRunAt', 'objective',
  'updatedAt', 'iterations', 'conceptMarkdown'];
const AGENT_KEYS = ['name', 'role', 'state', 'policy', 'createdAt', 'updatedAt', 'maxConcurrentMissions'];
const pointers = (keys: string[]) =>
  JSON.stringify(Object.fromEntries(keys.map((k, i) => [k, [1767225600000000 + i, `58f6c017-3b40-4c2b-ad7a-74a5edcf00${String(i).padStart(2, '0')}`]])));

/** Missions pm<i> (user pu<i/10>), i in [from, to). Due: i % stride = 0 (exactly 100 over [0, n)). */
async function insertMissions(db: TestDb, from: number, to: number, stride: number): Promise<void> {
  await db.admin.query(
    `insert into mana_ai_private.projections
       (user_id, table_name, record_id, present, fields, vals, updated_at_us, last_created_at, last_change_id,
        rows_applied, deleted, state, agent_id, next_run_at, due_at, projected_at)
     select 'pu' || (i / 10), 'aiMissions', 'pm' || i, true, $4::jsonb,
            jsonb_build_object('state', x.state, 'agentId', x.agent_id, 'cadence', '{"kind": "interval", "everyMinutes": 60}'::jsonb,
                               'createdAt', '2026-01-01T00:00:00.000Z', 'nextRunAt', bench.iso(x.next_run_at),
                               'updatedAt', '2026-01-01T00:00:00.000Z'),
            1767225600000000, now() - interval '1 day', gen_random_uuid(), 3, false, x.state, x.agent_id, x.next_run_at,
            case when x.state = 'active' then x.next_run_at end, now()
       from generate_series($1::int, $2::int - 1) i
      cross join lateral (
        select case when i % $3::int = 0 then 'active' when i % 10 = 3 then 'paused' when i % 10 = 4 then 'done' else 'active' end as state,
               case when i % 2 = 0 then 'pa' || (i / 10) end as agent_id,
               case when i % $3::int = 0 then now() - ((i / $3::int) % 50 + 1) * interval '1 minute'
                    else now() + interval '1 hour' + (i % 43200) * interval '1 minute' end as next_run_at) x`,
    [from, to, stride, pointers(MISSION_KEYS)]);
}

/** n projected missions, their users' agents, a done run for every 10th mission; analysed. */
async function buildProjections(ctx: Ctx, db: TestDb, n: number, chunk: number): Promise<void> {
  const stride = n / DUE;
  for (let from = 0; from < n; from += chunk) await insertMissions(db, from, Math.min(n, from + chunk), stride);
  await db.admin.query(
    `insert into mana_ai_private.projections
       (user_id, table_name, record_id, present, fields, vals, updated_at_us, last_created_at, last_change_id,
        rows_applied, deleted, state, name, max_concurrent, projected_at)
     select 'pu' || u, 'agents', 'pa' || u, true, $2::jsonb,
            '{"name": "Agent", "state": "active", "updatedAt": "2026-01-01T00:00:00.000Z", "maxConcurrentMissions": 3}'::jsonb,
            1767225600000000, now() - interval '1 day', gen_random_uuid(), 1, false, 'active', 'Agent', 3, now()
       from generate_series(0, $1::int / 10 - 1) u`, [n, pointers(AGENT_KEYS)]);
  await db.admin.query(
    `insert into mana_ai.runs (user_id, mission_id, slot, agent_id, status, attempts, worker, iteration_id, next_run_at,
                               schedule_advanced, became_due_at, enqueued_at, claimed_at, finished_at, updated_at)
     select 'pu' || (i / 10), 'pm' || i, now() - interval '1 day', null, 'done', 1, 'bench', md5(i::text), now() + interval '1 hour',
            true, now() - interval '1 day', now() - interval '1 day', now() - interval '1 day', now() - interval '1 day', now()
       from generate_series(1, $1::int - 1, 10) i`, [n]);
  await db.admin.query('vacuum (analyze) mana_ai_private.projections, mana_ai.runs');
  ctx.log(`B2/B7: ${n.toLocaleString('en-US')} missions projected`);
}

/** The reference's data for the same missions: a log with one ai row per mission and merged snapshots. */
async function buildReference(ctx: Ctx, db: TestDb, n: number, chunk: number): Promise<void> {
  const stride = n / DUE;
  await db.admin.query(`
    create schema bench_ref;
    create table bench_ref.sync_changes (like public.sync_changes including defaults including indexes);
    create table bench_ref.mission_snapshots (
      user_id text not null, mission_id text not null, record jsonb not null, last_created_at timestamptz not null,
      primary key (user_id, mission_id))`);
  for (let from = 0; from < n; from += chunk) {
    await db.admin.query(
      `insert into bench_ref.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, created_at)
       select 'ai', 'aiMissions', 'pm' || i, 'pu' || (i / 10), 'insert',
              bench.mission_record('pm' || i, 'pu' || (i / 10), case when i % 2 = 0 then 'pa' || (i / 10) end,
                                   case when i % $3::int = 0 then 'active' when i % 10 = 3 then 'paused' when i % 10 = 4 then 'done' else 'active' end,
                                   bench.iso(case when i % $3::int = 0 then now() - ((i / $3::int) % 50 + 1) * interval '1 minute'
                                                  else now() + interval '1 hour' + (i % 43200) * interval '1 minute' end),
                                   '2026-01-01T00:00:00.000Z'),
              '{}', 'bench-ref', now() - (i % 129600) * interval '1 minute'
         from generate_series($1::int, $2::int - 1) i`, [from, Math.min(n, from + chunk), stride]);
  }
  await db.admin.query(
    `insert into bench_ref.mission_snapshots (user_id, mission_id, record, last_created_at)
     select c.user_id, c.record_id, c.data || jsonb_build_object('iterations', jsonb_build_array(jsonb_build_object(
              'id', md5(c.record_id), 'startedAt', '2026-01-01T00:00:00.000Z', 'overallStatus', 'approved',
              'summary', 'Erledigt', 'plan', '[]'::jsonb))), c.created_at
       from bench_ref.sync_changes c`);
  await db.admin.query('vacuum (analyze) bench_ref.sync_changes, bench_ref.mission_snapshots');
  ctx.log(`B2: reference log and snapshots of ${n.toLocaleString('en-US')} missions built`);
}

/** The reference's per-tick work, as one statement; returns the due count (must be 100). */
const REFERENCE = `
  select (select count(*)
            from (select c.user_id, c.record_id, max(c.created_at) as last_at
                    from bench_ref.sync_changes c
                   where c.app_id = 'ai' and c.table_name = 'aiMissions'
                   group by c.user_id, c.record_id) latest) as records,
         (select count(*)
            from bench_ref.mission_snapshots s
           where s.record ->> 'state' = 'active'
             and (s.record ->> 'nextRunAt')::timestamptz <= now()) as due`;

async function tickOnce(client: pg.Client): Promise<{ ms: number; stats: Record<string, unknown> }> {
  await client.query('begin');
  const start = now();
  const { rows } = await client.query<{ tick: Record<string, unknown> }>('select mana_ai.tick() as tick');
  const ms = now() - start;
  await client.query('rollback');
  return { ms, stats: rows[0]!.tick };
}

export async function runB2B7(ctx: Ctx): Promise<BenchResult[]> {
  const size = SIZES[ctx.scale];
  const dbs: TestDb[] = [];
  const clients: pg.Client[] = [];
  try {
    const t0 = now();
    for (const n of size.missions) {
      const db = await benchDatabase();
      dbs.push(db);
      await buildProjections(ctx, db, n, size.chunk);
    }
    const largest = dbs.at(-1)!;
    const nMax = size.missions.at(-1)!;
    await buildReference(ctx, largest, nMax, size.chunk);
    const buildS = (now() - t0) / 1000;
    for (const db of dbs) clients.push(await connect(db.adminUrl));
    const refClient = clients.at(-1)!;

    // Sanity: every size finds exactly the due missions; the reference agrees.
    for (const [i, c] of clients.entries()) {
      const { stats } = await tickOnce(c);
      if (stats.enqueued !== DUE || stats.dueMissionCount !== DUE) {
        throw new Error(`tick() at ${size.missions[i]} missions enqueued ${String(stats.enqueued)} (due ${String(stats.dueMissionCount)}), expected ${DUE}`);
      }
    }
    const refCheck = (await refClient.query<{ records: string; due: string }>(REFERENCE)).rows[0]!;
    if (Number(refCheck.due) !== DUE || Number(refCheck.records) !== nMax) {
      throw new Error(`reference found ${refCheck.due} due of ${refCheck.records} records, expected ${DUE} of ${nMax}`);
    }

    const ticks: number[][] = size.missions.map(() => []);
    const refs: number[] = [];
    for (let round = 0; round < size.rounds; round += 1) {
      const order = rotate([...size.missions.keys(), -1], round);
      for (const which of order) {
        if (which === -1) {
          const start = now();
          await refClient.query(REFERENCE);
          refs.push(now() - start);
        } else {
          for (let k = 0; k < size.ticks; k += 1) ticks[which]!.push((await tickOnce(clients[which]!)).ms);
        }
      }
      ctx.log(`B2/B7: round ${round + 1}/${size.rounds}: reference ${fmt(refs.at(-1)!)} ms, tick ` +
        size.missions.map((n, i) => `${n}: ${fmt(median(ticks[i]!.slice(-size.ticks)))} ms`).join(', '));
    }

    const profile = await profileTick(refClient, size.ticks);
    const relSizes: string[] = [];
    for (const c of clients) {
      const { rows } = await c.query<{ s: string }>(`select pg_size_pretty(pg_total_relation_size('mana_ai_private.projections')) as s`);
      relSizes.push(rows[0]!.s);
    }
    const tickMax = median(ticks.at(-1)!);
    const refMed = median(refs);
    const speedup = refMed / tickMax;
    const medians = ticks.map((t) => median(t));
    const growth = Math.max(...medians) / Math.min(...medians);
    const sizeName = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

    const b2: BenchResult = {
      id: 'B2',
      what: `\`tick()\` finds and enqueues ${DUE} due among ${sizeName(nMax)} projected missions`,
      product: `${fmt(tickMax)} ms (p95 ${fmt(percentile(ticks.at(-1)!, 95))} ms)`,
      comparison: `${fmt(refMed)} ms`,
      ratio: `${fmt(speedup, 0)}× faster`,
      target: '≤ 5 ms, ≥ 100× faster',
      met: ctx.scale === 'full' ? tickMax <= 5 && speedup >= 100 : null,
      details: [
        `${ticks.at(-1)!.length} ticks (each in BEGIN … ROLLBACK, so each finds and enqueues the same ${DUE}) and ` +
          `${refs.length} reference passes, interleaved in ${size.rounds} rounds; building the data took ${fmt(buildS, 0)} s.`,
        `Reference = one statement: \`count(*)\` of \`MAX(created_at) … GROUP BY user_id, record_id\` over the ${sizeName(nMax)} ai rows ` +
          `of a log copy (same columns and indexes as \`sync_changes\`, one row per mission — a real log has many), plus a scan of ` +
          `${sizeName(nMax)} snapshots (merged mission JSONB, ~0.8 KB, small \`iterations\`) for \`state = 'active' and nextRunAt <= now()\`. ` +
          'It returns only counts; the reference also ships every snapshot to Node and folds changed records, so this is its floor.',
        '',
        ...table(['side', 'median ms', 'p95 ms', 'min ms', 'max ms'], [
          ['tick()', fmt(tickMax), fmt(percentile(ticks.at(-1)!, 95)), fmt(Math.min(...ticks.at(-1)!)), fmt(Math.max(...ticks.at(-1)!))],
          ['reference', fmt(refMed), fmt(percentile(refs, 95)), fmt(Math.min(...refs)), fmt(Math.max(...refs))],
        ], ['l', 'r', 'r', 'r', 'r']),
      ],
      profile: profile.lines,
      followUp: [
        'tick() does more than due selection (supersede, exhausted runs, gate and quota counts, counter fold, tick_state);',
        'the per-statement plans above show which step dominates. Plan: keep every step on a partial index',
        '(open runs, due_at) and move the gate/quota counts out of the hot path if they dominate.',
      ],
    };
    const b7: BenchResult = {
      id: 'B7',
      what: `\`tick()\` cost at ${size.missions.map(sizeName).join(', ')} missions (${DUE} due each)`,
      product: size.missions.map((n, i) => `${sizeName(n)}: ${fmt(medians[i]!)} ms`).join(', '),
      comparison: 'itself',
      ratio: `${ratio(growth)} (max/min)`,
      target: 'flat (within 2×)',
      met: ctx.scale === 'full' ? growth <= 2 : null,
      details: [
        `${size.rounds * size.ticks} ticks per size, the sizes rotated through ${size.rounds} rounds (separate databases on one cluster).`,
        '',
        ...table(['missions', 'median ms', 'p95 ms', 'max ms', 'projections size'],
          size.missions.map((n, i) => [n.toLocaleString('en-US'), fmt(medians[i]!), fmt(percentile(ticks[i]!, 95)),
            fmt(Math.max(...ticks[i]!)), relSizes[i]!]), ['r', 'r', 'r', 'r', 'r']),
      ],
      followUp: [
        'A cost that grows with the number of missions means a step of tick() is not bounded by an index on due or',
        'open rows; the nested plans under B2 name it. Plan: add the partial index that bounds it (a migration) and re-run.',
      ],
    };
    return [b2, b7];
  } finally {
    for (const c of clients) await c.end().catch(() => undefined);
    for (const db of dbs) await db.drop();
  }
}

/**
 * Plans of every statement of one tick (auto_explain to the client as NOTICEs, nested, with ANALYZE and
 * BUFFERS), the due selection's own EXPLAIN, and pg_stat_user_functions over `ticks` ticks.
 */
async function profileTick(client: pg.Client, ticks: number): Promise<{ lines: string[] }> {
  const notices: string[] = [];
  const onNotice = (msg: { message?: string }) => notices.push(msg.message ?? '');
  client.on('notice', onNotice);
  await client.query(`load 'auto_explain'`);
  await client.query(`set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on; set auto_explain.log_buffers = on;
                      set auto_explain.log_nested_statements = on; set auto_explain.log_level = notice; set auto_explain.log_timing = on;
                      set auto_explain.log_format = json`);
  await tickOnce(client);
  await client.query('set auto_explain.log_min_duration = -1');
  client.off('notice', onNotice);

  interface PlanNode { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] }
  const walk = (node: PlanNode, visit: (n: PlanNode) => void): void => {
    visit(node);
    for (const child of node.Plans ?? []) walk(child, visit);
  };
  const statements = notices
    .filter((n) => n.includes('"Query Text"'))
    .map((n) => {
      const duration = Number(/duration: ([\d.]+) ms/.exec(n)?.[1] ?? Number.NaN);
      const parsed = JSON.parse(n.slice(n.indexOf('{'))) as { 'Query Text': string; Plan: PlanNode };
      const text = parsed['Query Text'].replace(/\s+/g, ' ').trim();
      const seqScans: string[] = [];
      const indexes = new Set<string>();
      walk(parsed.Plan, (node) => {
        if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) seqScans.push(node['Relation Name']);
        if (node['Index Name']) indexes.add(node['Index Name']);
      });
      const top = `${parsed.Plan['Node Type']}${parsed.Plan['Relation Name'] ? ` on ${parsed.Plan['Relation Name']}` : ''}`;
      return { duration, text, top, seqScans, indexes: [...indexes] };
    })
    .filter((s) => !/^select mana_ai\.tick\(\)/i.test(s.text));

  const explain = await client.query<{ 'QUERY PLAN': string }>(
    `explain (analyze, buffers, costs off)
     select d.user_id, d.mission_id, d.slot, d.agent_id
       from mana_ai_private.due_missions d
      where d.slot <= now() and d.gate is null
      order by d.slot, d.user_id, d.mission_id`);
  const planText = explain.rows.map((r) => r['QUERY PLAN']);
  const usesIndex = planText.some((l) => l.includes('projections_due_at_idx'));

  await client.query(`set track_functions = 'all'`);
  await client.query('select pg_stat_reset()');
  for (let k = 0; k < ticks; k += 1) await tickOnce(client);
  await client.query('select pg_stat_force_next_flush()');
  await client.query('select 1');
  await client.query(`set track_functions = 'none'`);
  const { rows: fns } = await client.query<{ fn: string; calls: string; self_ms: number; total_ms: number }>(
    `select schemaname || '.' || funcname as fn, calls, self_time as self_ms, total_time as total_ms
       from pg_stat_user_functions where schemaname in ('mana_ai', 'mana_ai_private')
      order by total_time desc limit 8`);

  const lines = [
    `Due selection at the largest size — \`EXPLAIN (ANALYZE, BUFFERS)\` of the query \`enqueue_due\` runs ` +
      `(${usesIndex ? 'uses `projections_due_at_idx`' : '**does not use `projections_due_at_idx`**'}):`,
    '',
    '```',
    ...planText,
    '```',
    '',
    `Every statement one \`tick()\` ran (auto_explain, nested, ANALYZE): ${statements.length} statements, ` +
      `${statements.some((s) => s.seqScans.some((t) => /projections|runs/.test(t))) ? '**a sequential scan of a large table is among them**' : 'no sequential scan of projections or runs'}.`,
    '',
    ...table(['ms', 'statement', 'top node', 'indexes', 'seq scans'],
      statements.map((s) => [fmt(s.duration, 3), `\`${s.text.slice(0, 90).replace(/\|/g, '\\|')}${s.text.length > 90 ? '…' : ''}\``,
        s.top.replace(/\|/g, '\\|'), s.indexes.join(', ') || '—', s.seqScans.join(', ') || '—']), ['r', 'l', 'l', 'l', 'l']),
    '',
    `\`pg_stat_user_functions\` over ${ticks} more ticks (track_functions = all), per tick:`,
    '',
    ...table(['function', 'calls / tick', 'total ms / tick', 'self ms / tick'],
      fns.map((f) => [`\`${f.fn}\``, fmt(Number(f.calls) / ticks, 1), fmt(Number(f.total_ms) / ticks, 3), fmt(Number(f.self_ms) / ticks, 3)]),
      ['l', 'r', 'r', 'r']),
  ];
  return { lines };
}
