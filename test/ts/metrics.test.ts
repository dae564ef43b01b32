import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { register as globalRegister } from 'prom-client';
import { createLogger } from '../../src/log.js';
import { createMetrics, SQL_COUNTERS } from '../../src/metrics.js';

interface Family { type: string; samples: { name: string; labels: Record<string, string>; value: number }[] }

/** Minimal parser of the Prometheus text format (enough for what prom-client writes). */
function parse(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      current = { type: type[2]!, samples: [] };
      families.set(type[1]!, current);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m && current, `unparseable line ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    current.samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return families;
}

/** Label names of a family's samples, without `service` and `le`. */
function labelNames(family: Family): string[] {
  const names = new Set<string>();
  for (const s of family.samples) for (const k of Object.keys(s.labels)) if (k !== 'service' && k !== 'le') names.add(k);
  return [...names].sort();
}

function buckets(family: Family): number[] {
  return family.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.le !== '+Inf').map((s) => Number(s.labels.le));
}

const value = (family: Family | undefined, labels: Record<string, string> = {}): number | undefined =>
  family?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('metric families', () => {
  test('reference families have the exact names, types, labels and buckets', async () => {
    const m = createMetrics();
    // Labelled families only show their labels once a series exists.
    m.httpRequests.inc({ method: 'GET', path: '/health', status: '200' });
    m.httpRequestDuration.observe({ method: 'GET', path: '/health', status: '200' }, 0.01);
    m.decrypts.inc({ table: 'notes' });
    m.grantScopeViolations.inc({ table: 'notes' }, 0);
    const f = parse(await m.registry.metrics());
    const expected: [string, string, string[], number[]?][] = [
      ['mana_ai_http_requests_total', 'counter', ['method', 'path', 'status']],
      ['mana_ai_http_request_duration_seconds', 'histogram', ['method', 'path', 'status'],
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]],
      ['mana_ai_ticks_total', 'counter', []],
      ['mana_ai_tick_duration_seconds', 'histogram', [], [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120]],
      ['mana_ai_plans_produced_total', 'counter', []],
      ['mana_ai_plans_written_back_total', 'counter', []],
      ['mana_ai_parse_failures_total', 'counter', []],
      ['mana_ai_mission_errors_total', 'counter', []],
      ['mana_ai_planner_request_duration_seconds', 'histogram', [], [0.25, 0.5, 1, 2, 5, 10, 30, 60]],
      ['mana_ai_snapshots_new_total', 'counter', []],
      ['mana_ai_snapshots_updated_total', 'counter', []],
      ['mana_ai_snapshot_rows_applied_total', 'counter', []],
      ['mana_ai_decrypts_total', 'counter', ['table']],
      ['mana_ai_grant_scope_violations_total', 'counter', ['table']],
      ['mana_ai_grant_skips_total', 'counter', ['reason']],
      ['mana_ai_agent_decisions_total', 'counter', ['decision']],
    ];
    for (const [name, type, labels, bucketList] of expected) {
      const family = f.get(name);
      assert.ok(family, `${name} missing`);
      assert.equal(family.type, type, name);
      assert.deepEqual(labelNames(family), labels, name);
      if (bucketList) assert.deepEqual(buckets(family), bucketList, name);
    }
  });

  test('project families use new names, with every label value present from the start', async () => {
    const f = parse(await createMetrics().registry.metrics());
    const expected: [string, string, string?, string[]?][] = [
      ['mana_ai_runs_total', 'counter', 'outcome', ['done', 'superseded', 'failed', 'dead', 'released']],
      ['mana_ai_run_claims_total', 'counter'],
      ['mana_ai_lease_extensions_total', 'counter', 'result', ['ok', 'lost']],
      ['mana_ai_llm_attempts_total', 'counter', 'outcome', ['ok', 'timeout', 'http-5xx', 'http-429', 'http-4xx',
        'connect', 'bad-json', 'too-large', 'circuit-open', 'aborted']],
      ['mana_ai_llm_retries_total', 'counter'],
      ['mana_ai_llm_circuit_open', 'gauge'],
      ['mana_ai_due_to_llm_seconds', 'histogram'],
      ['mana_ai_runs_in_flight', 'gauge'],
      ['mana_ai_wakeups_total', 'counter', 'reason', ['notify', 'timer', 'tick', 'connected', 'manual', 'fold']],
      ['mana_ai_fold_rows_total', 'counter'],
      ['mana_ai_capture_backlog_rows', 'gauge'],
      ['mana_ai_capture_backlog_oldest_age_seconds', 'gauge'],
      ['mana_ai_grant_skips_total', 'counter', 'reason', ['not-configured', 'expired', 'malformed', 'wrap-rejected']],
      ['mana_ai_agent_decisions_total', 'counter', 'decision',
        ['ran', 'skipped-paused', 'skipped-archived', 'skipped-concurrency', 'skipped-budget']],
    ];
    for (const [name, type, label, values] of expected) {
      const family = f.get(name);
      assert.ok(family, `${name} missing`);
      assert.equal(family.type, type, name);
      if (label) assert.deepEqual(family.samples.map((s) => s.labels[label]).sort(), [...values!].sort(), name);
    }
    const due = buckets(f.get('mana_ai_due_to_llm_seconds')!);
    assert.equal(due[0], 0.005);
    assert.equal(due.at(-1), 60);
  });

  test('every series carries service="mana-ai", default metrics use the mana_ai_ prefix', async () => {
    const f = parse(await createMetrics().registry.metrics());
    assert.ok(f.has('mana_ai_process_cpu_user_seconds_total'));
    assert.ok(f.has('mana_ai_nodejs_heap_size_total_bytes'));
    for (const [name, family] of f) {
      assert.ok(name.startsWith('mana_ai_'), name);
      for (const s of family.samples) assert.equal(s.labels.service, 'mana-ai', `${s.name} lacks the service label`);
    }
  });

  test('each instance has its own registry; the global one stays empty', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.ticks.inc();
    assert.notEqual(a.registry, b.registry);
    assert.equal(value(parse(await b.registry.metrics()).get('mana_ai_ticks_total')), 0);
    assert.equal(globalRegister.getSingleMetric('mana_ai_ticks_total'), undefined);
    assert.match(a.registry.contentType, /^text\/plain; version=0\.0\.4/);
  });

  test('countAgentRan counts decision="ran"', async () => {
    const m = createMetrics();
    m.countAgentRan();
    m.countAgentRan(2);
    assert.equal(value(parse(await m.registry.metrics()).get('mana_ai_agent_decisions_total'), { decision: 'ran' }), 3);
  });
});

describe('counters read from SQL at scrape time', () => {
  const snapshotFamilies = ['mana_ai_snapshots_new_total', 'mana_ai_snapshots_updated_total',
    'mana_ai_snapshot_rows_applied_total'];

  test('expose the SQL totals, with one read per scrape, leaving "ran" to the listener', async () => {
    let reads = 0;
    let totals: Record<string, number> = {
      [SQL_COUNTERS.snapshotsNew]: 3, [SQL_COUNTERS.snapshotsUpdated]: 5, [SQL_COUNTERS.snapshotRowsApplied]: 40,
      [SQL_COUNTERS.skippedPaused]: 2, [SQL_COUNTERS.skippedArchived]: 1, [SQL_COUNTERS.skippedConcurrency]: 7,
      [SQL_COUNTERS.skippedBudget]: 4,
    };
    const m = createMetrics({ readSqlCounters: async () => { reads += 1; return totals; } });
    m.countAgentRan();
    let f = parse(await m.registry.metrics());
    assert.equal(reads, 1);
    assert.deepEqual(snapshotFamilies.map((n) => value(f.get(n))), [3, 5, 40]);
    const decisions = f.get('mana_ai_agent_decisions_total');
    assert.equal(value(decisions, { decision: 'skipped-paused' }), 2);
    assert.equal(value(decisions, { decision: 'skipped-archived' }), 1);
    assert.equal(value(decisions, { decision: 'skipped-concurrency' }), 7);
    assert.equal(value(decisions, { decision: 'skipped-budget' }), 4);
    assert.equal(value(decisions, { decision: 'ran' }), 1);

    totals = { ...totals, [SQL_COUNTERS.snapshotsNew]: 10, [SQL_COUNTERS.skippedPaused]: 4 };
    f = parse(await m.registry.metrics());
    assert.equal(reads, 2);
    assert.equal(value(f.get('mana_ai_snapshots_new_total')), 10);
    assert.equal(value(f.get('mana_ai_agent_decisions_total'), { decision: 'skipped-paused' }), 4);
    assert.equal(value(f.get('mana_ai_agent_decisions_total'), { decision: 'ran' }), 1);
  });

  test('the capture queue: rows folded, backlog rows and the oldest age in seconds, from the same read', async () => {
    let reads = 0;
    let totals: Record<string, number> = {
      [SQL_COUNTERS.foldRows]: 1200, [SQL_COUNTERS.captureBacklogRows]: 35, [SQL_COUNTERS.captureBacklogOldestAgeMs]: 1500,
    };
    const m = createMetrics({ readSqlCounters: async () => { reads += 1; return totals; } });
    let f = parse(await m.registry.metrics());
    assert.equal(reads, 1);
    assert.equal(value(f.get('mana_ai_fold_rows_total')), 1200);
    assert.equal(value(f.get('mana_ai_capture_backlog_rows')), 35);
    assert.equal(value(f.get('mana_ai_capture_backlog_oldest_age_seconds')), 1.5);
    totals = { [SQL_COUNTERS.foldRows]: 1235, [SQL_COUNTERS.captureBacklogRows]: 0, [SQL_COUNTERS.captureBacklogOldestAgeMs]: 0 };
    f = parse(await m.registry.metrics());
    assert.equal(value(f.get('mana_ai_capture_backlog_rows')), 0, 'a gauge goes down again');
    assert.equal(value(f.get('mana_ai_capture_backlog_oldest_age_seconds')), 0);
    assert.equal(value(f.get('mana_ai_fold_rows_total')), 1235);
  });

  test('a failing reader keeps the last values and logs once until it recovers', async () => {
    const lines: { level: string; msg: string }[] = [];
    const logger = createLogger({ write: (l) => lines.push(JSON.parse(l)) });
    let fail = false;
    const m = createMetrics({
      logger,
      readSqlCounters: async () => {
        if (fail) throw new Error('connection refused');
        return { [SQL_COUNTERS.snapshotsNew]: 6, [SQL_COUNTERS.skippedArchived]: 2 };
      },
    });
    await m.registry.metrics();
    fail = true;
    for (let i = 0; i < 3; i += 1) {
      const f = parse(await m.registry.metrics());
      assert.equal(value(f.get('mana_ai_snapshots_new_total')), 6);
      assert.equal(value(f.get('mana_ai_agent_decisions_total'), { decision: 'skipped-archived' }), 2);
    }
    assert.deepEqual(lines.map((l) => l.level), ['warn']);
    assert.match(JSON.stringify(lines[0]), /connection refused/);
    fail = false;
    await m.registry.metrics();
    assert.deepEqual(lines.map((l) => l.level), ['warn', 'info']);
  });

  test('a hanging reader times out; missing or invalid keys keep their last value', async () => {
    let mode: 'ok' | 'hang' | 'partial' = 'ok';
    const m = createMetrics({
      sqlReadTimeoutMs: 50,
      readSqlCounters: (): Promise<Record<string, number>> => mode === 'hang' ? new Promise(() => undefined)
        : Promise.resolve<Record<string, number>>(mode === 'ok'
          ? { [SQL_COUNTERS.snapshotRowsApplied]: 9, [SQL_COUNTERS.snapshotsNew]: 1 }
          : { [SQL_COUNTERS.snapshotsNew]: Number.NaN }),
    });
    await m.registry.metrics();
    mode = 'hang';
    const started = Date.now();
    let f = parse(await m.registry.metrics());
    assert.ok(Date.now() - started < 1000);
    assert.equal(value(f.get('mana_ai_snapshot_rows_applied_total')), 9);
    mode = 'partial';
    f = parse(await m.registry.metrics());
    assert.equal(value(f.get('mana_ai_snapshot_rows_applied_total')), 9);
    assert.equal(value(f.get('mana_ai_snapshots_new_total')), 1);
  });

  test('without a reader the SQL counters are exposed as 0', async () => {
    const f = parse(await createMetrics().registry.metrics());
    assert.deepEqual(snapshotFamilies.map((n) => value(f.get(n))), [0, 0, 0]);
  });
});

describe('label values come from the modules that produce them', () => {
  test('every unwrap reason and every LLM attempt outcome is a preset series', async () => {
    const { UNWRAP_REASONS } = await import('../../src/crypto/grant.js');
    const { LLM_ATTEMPT_OUTCOMES } = await import('../../src/llm/client.js');
    const { LLM_ERROR_KINDS } = await import('../../src/llm/errors.js');
    const families = parse(await createMetrics().registry.metrics());
    const values = (name: string, label: string) =>
      families.get(name)!.samples.map((s) => s.labels[label]).filter((v) => v !== undefined).sort();
    assert.deepEqual(values('mana_ai_grant_skips_total', 'reason'), [...UNWRAP_REASONS].sort());
    assert.deepEqual(values('mana_ai_llm_attempts_total', 'outcome'), [...LLM_ATTEMPT_OUTCOMES].sort());
    assert.deepEqual([...LLM_ATTEMPT_OUTCOMES].sort(), ['ok', ...LLM_ERROR_KINDS].sort());
  });
});
