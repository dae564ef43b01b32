/**
 * Deploy configuration under docker/, checked without a Docker engine (CI has none): promtool checks
 * and unit-tests the Prometheus config and alert rules, python3's yaml parses compose and provisioning
 * files, and every PromQL expression (alerts and dashboard) may only
 * name metric families that createMetrics() registers, with their label names and preset label values.
 * The Dockerfiles are checked structurally, their HEALTHCHECK script is run against a local server,
 * and the listener role script runs against the test cluster when `make test` provides one. Building
 * and running the images is `make test-docker` (test/docker/stack.test.ts), which needs an engine.
 *
 * Tools: promtool (Debian package `prometheus`) and python3-yaml, both in test/support/install-deps.sh.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { builtinModules } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMetrics } from '../../../src/metrics.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DOCKER = join(ROOT, 'docker');
const PROM = join(DOCKER, 'prometheus');
const read = (path: string): string => readFileSync(path, 'utf8');

// ---------------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------------

function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: options.cwd ?? ROOT, env: options.env ?? process.env,
    input: options.input, timeout: 60_000 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message} (install it: test/support/install-deps.sh)`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function promtool(args: string[], cwd = PROM): string {
  const r = run('promtool', args, { cwd });
  assert.equal(r.code, 0, `promtool ${args.join(' ')} failed:\n${r.out}`);
  return r.out;
}

/** Debian's python3 carries python3-yaml (install-deps.sh); a pyenv `python3` first on PATH may not. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Parses YAML files with python3's yaml.safe_load (merge keys `<<` included); returns plain JSON values. */
function loadYaml(path: string): unknown {
  const script = 'import json, sys, yaml\nprint(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))))';
  const r = run(PYTHON, ['-c', script, path]);
  assert.equal(r.code, 0, `YAML parse of ${relative(ROOT, path)} failed (python3-yaml installed?):\n${r.out}`);
  return JSON.parse(r.out) as unknown;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown, what: string): Obj => {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${what} is not a mapping`);
  return v as Obj;
};
const arr = (v: unknown, what: string): unknown[] => {
  assert.ok(Array.isArray(v), `${what} is not a list`);
  return v;
};

// ---------------------------------------------------------------------------------------------
// Metric registry and PromQL selectors
// ---------------------------------------------------------------------------------------------

interface Family { type: string; labelNames: Set<string>; presets: Map<string, Set<string>> }

/** Families of createMetrics(), with label names and the label values exported from the start. */
async function registryFamilies(): Promise<Map<string, Family>> {
  const metrics = createMetrics();
  const families = new Map<string, Family>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    const single = metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] };
    const presets = new Map<string, Set<string>>();
    for (const v of m.values as { labels: Record<string, string | number> }[]) {
      for (const [k, val] of Object.entries(v.labels)) {
        if (k === 'service' || k === 'le') continue;
        if (!presets.has(k)) presets.set(k, new Set());
        presets.get(k)!.add(String(val));
      }
    }
    families.set(m.name, { type: String(m.type), labelNames: new Set(single.labelNames ?? []), presets });
  }
  return families;
}

/** Series Prometheus makes itself (scrape health, alert state). */
const SYNTHETIC = new Map<string, string[]>([
  ['up', []], ['scrape_duration_seconds', []], ['scrape_samples_scraped', []], ['ALERTS', ['alertname', 'alertstate', 'severity']],
]);
/** Labels every scraped series carries: the registry's default label plus the scrape's target labels. */
const TARGET_LABELS = ['service', 'job', 'instance'];

interface Matcher { name: string; op: string; value: string }
interface Selector { metric: string; matchers: Matcher[] }

const AGGREGATORS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values',
  'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless',
  'offset', 'bool', 'atan2', 'Inf', 'NaN', 'inf', 'nan']);
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/**
 * The metric selectors of a PromQL expression, plus the label names of its by/without/on/ignoring
 * lists. A small lexer, not a parser: promtool checks the syntax, this finds the names.
 */
function promqlNames(expr: string): { selectors: Selector[]; groupingLabels: string[] } {
  const src = expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  let i = 0;
  const skipSpace = () => { while (i < src.length && /\s/.test(src[i]!)) i++; };
  const readBraces = (): Matcher[] => {
    const end = findClose(src, i, '{', '}');
    const body = src.slice(i + 1, end);
    i = end + 1;
    const matchers: Matcher[] = [];
    const re = /([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g;
    for (let m = re.exec(body); m; m = re.exec(body)) matchers.push({ name: m[1]!, op: m[2]!, value: m[3]! });
    const rest = body.replace(re, '').replace(/[\s,]/g, '');
    if (rest !== '') throw new Error(`cannot read label matchers {${body}} in: ${expr}`);
    return matchers;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"' || c === "'" || c === '`') { i = src.indexOf(c, i + 1) + 1; if (i === 0) break; continue; }
    if (c === '[') { i = findClose(src, i, '[', ']') + 1; continue; }
    if (c === '{') throw new Error(`selector without a metric name in: ${expr}`);
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (/[0-9.]/.test(c)) { while (i < src.length && /[0-9A-Za-z.+_]/.test(src[i]!) && !(src[i] === '+' && !/[eE]/.test(src[i - 1]!))) i++; continue; }
    if (/[A-Za-z_:]/.test(c)) {
      const start = i;
      while (i < src.length && /[A-Za-z0-9_:]/.test(src[i]!)) i++;
      const word = src.slice(start, i);
      skipSpace();
      if (LABEL_LIST_KEYWORDS.has(word)) {
        if (src[i] === '(') {
          const end = findClose(src, i, '(', ')');
          groupingLabels.push(...src.slice(i + 1, end).split(',').map((s) => s.trim()).filter(Boolean));
          i = end + 1;
        }
        continue;
      }
      if (KEYWORDS.has(word) || AGGREGATORS.has(word) || src[i] === '(') continue;
      const matchers = src[i] === '{' ? readBraces() : [];
      selectors.push({ metric: word, matchers });
      continue;
    }
    i++;
  }
  return { selectors, groupingLabels };
}

function findClose(s: string, open: number, o: string, c: string): number {
  let depth = 0;
  for (let j = open; j < s.length; j++) {
    const ch = s[j];
    if (ch === '"') { j = s.indexOf('"', j + 1); while (j > 0 && s[j - 1] === '\\') j = s.indexOf('"', j + 1); if (j < 0) break; continue; }
    if (ch === o) depth++;
    else if (ch === c && --depth === 0) return j;
  }
  throw new Error(`unbalanced ${o}${c} in: ${s}`);
}

/** Problems of one expression against the registry; empty when every name, label and value exists. */
function checkExpr(expr: string, families: Map<string, Family>): string[] {
  const problems: string[] = [];
  let parsed: ReturnType<typeof promqlNames>;
  try { parsed = promqlNames(expr); } catch (e) { return [(e as Error).message]; }
  if (parsed.selectors.length === 0) problems.push(`no metric in: ${expr}`);
  const known = new Set<string>(['le', ...TARGET_LABELS]);
  for (const { metric, matchers } of parsed.selectors) {
    let family = families.get(metric);
    let extraLabels: string[] = [];
    if (!family) {
      const suffix = /^(.*)_(bucket|sum|count)$/.exec(metric);
      const base = suffix ? families.get(suffix[1]!) : undefined;
      if (base && base.type === 'histogram') {
        family = base;
        if (suffix![2] === 'bucket') extraLabels = ['le'];
      }
    }
    let labelNames: Set<string>;
    if (family) labelNames = new Set([...family.labelNames, ...TARGET_LABELS, ...extraLabels]);
    else if (SYNTHETIC.has(metric)) labelNames = new Set(['job', 'instance', ...SYNTHETIC.get(metric)!]);
    else { problems.push(`unknown metric ${metric} in: ${expr}`); continue; }
    for (const l of labelNames) known.add(l);
    for (const m of matchers) {
      if (!labelNames.has(m.name)) { problems.push(`${metric} has no label ${m.name}`); continue; }
      const presets = family?.presets.get(m.name);
      if (!presets) continue;
      if (m.op === '=' || m.op === '!=') {
        if (!presets.has(m.value)) problems.push(`${metric}{${m.name}${m.op}"${m.value}"}: not one of ${[...presets].join(', ')}`);
      } else {
        const re = new RegExp(`^(?:${m.value})$`);
        if (![...presets].some((v) => re.test(v))) problems.push(`${metric}{${m.name}${m.op}"${m.value}"} matches no value`);
        for (const alt of m.value.split('|')) {
          if (/^[A-Za-z0-9_-]+$/.test(alt) && !presets.has(alt)) problems.push(`${metric}{${m.name}${m.op}"${m.value}"}: ${alt} is not a value`);
        }
      }
    }
  }
  for (const l of parsed.groupingLabels) if (!known.has(l)) problems.push(`grouping label ${l} is on no series in: ${expr}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles
// ---------------------------------------------------------------------------------------------

interface Instruction { op: string; args: string }

/** Instructions of a Dockerfile: comments dropped, continuation lines joined. */
function dockerfile(path: string): Instruction[] {
  const lines = read(path).split('\n').filter((l) => !/^\s*#/.test(l));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  return joined.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const m = /^(\S+)\s+(.*)$/.exec(l)!;
    return { op: m[1]!.toUpperCase(), args: m[2]!.replace(/\s+/g, ' ') };
  });
}

/** Stages of a Dockerfile: FROM line, alias, instructions. ARG defaults before the first FROM resolve. */
function stages(ins: Instruction[]): { from: string; name?: string; body: Instruction[] }[] {
  const args = new Map<string, string>();
  const out: { from: string; name?: string; body: Instruction[] }[] = [];
  for (const i of ins) {
    if (i.op === 'ARG' && out.length === 0) {
      const [k, v] = i.args.split('=');
      if (v !== undefined) args.set(k!, v);
    } else if (i.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args)!;
      const from = m[1]!.replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? '');
      out.push({ from, name: m[2], body: [] });
    } else if (out.length > 0) out[out.length - 1]!.body.push(i);
  }
  return out;
}

const jsonArgs = (i: Instruction | undefined): string[] => {
  assert.ok(i, 'instruction missing');
  const v = JSON.parse(i.args.replace(/^--\S+\s+/g, '')) as unknown;
  assert.ok(Array.isArray(v), `${i.op} must use the exec (JSON array) form`);
  return v as string[];
};

/** True when a .dockerignore line excludes `path` (the prefix and `**` patterns used here). */
function dockerIgnored(path: string, patterns: string[]): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const p = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '(?:.*/)?').replace(/\*/g, '[^/]*')}(?:/.*)?$`);
    if (re.test(path)) ignored = !negate;
  }
  return ignored;
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('PromQL name check (the checker itself)', () => {
  test('finds selectors, skips functions, keywords, ranges and grouping lists', () => {
    const { selectors, groupingLabels } = promqlNames(
      'histogram_quantile(0.95, sum by (le) (rate(a_bucket{x="1", y=~"p|q"}[$__rate_interval]))) > 1e3 or b offset 5m unless on(instance) c');
    assert.deepEqual(selectors.map((s) => s.metric), ['a_bucket', 'b', 'c']);
    assert.deepEqual(selectors[0]!.matchers, [{ name: 'x', op: '=', value: '1' }, { name: 'y', op: '=~', value: 'p|q' }]);
    assert.deepEqual(groupingLabels, ['le', 'instance']);
  });

  test('rejects unknown metrics, labels and label values', async () => {
    const families = await registryFamilies();
    assert.deepEqual(checkExpr('sum(rate(mana_ai_runs_total{outcome="dead"}[5m]))', families), []);
    assert.deepEqual(checkExpr('histogram_quantile(0.9, sum by (le) (rate(mana_ai_due_to_llm_seconds_bucket[5m])))', families), []);
    assert.match(checkExpr('rate(mana_ai_run_total[5m])', families).join(), /unknown metric mana_ai_run_total/);
    assert.match(checkExpr('rate(mana_ai_ticks_total_bucket[5m])', families).join(), /unknown metric/);
    assert.match(checkExpr('mana_ai_runs_total{state="dead"}', families).join(), /no label state/);
    assert.match(checkExpr('mana_ai_runs_total{outcome="died"}', families).join(), /not one of/);
    assert.match(checkExpr('mana_ai_llm_attempts_total{outcome!~"ok|abort"}', families).join(), /abort is not a value/);
    assert.match(checkExpr('sum by (reason) (mana_ai_runs_total)', families).join(), /grouping label reason/);
  });
});

describe('Prometheus config and alert rules', () => {
  test(`promtool check config / check rules / test rules (${promtoolVersion()})`, () => {
    assert.match(promtool(['check', 'config', 'prometheus.yml']), /SUCCESS/);
    assert.match(promtool(['check', 'rules', 'alerts.yml']), /SUCCESS/);
    assert.match(promtool(['test', 'rules', 'alerts.test.yml']), /SUCCESS/);
  });

  test('scrapes the listener on 3067 (KI-23) and loads alerts.yml', () => {
    const cfg = obj(loadYaml(join(PROM, 'prometheus.yml')), 'prometheus.yml');
    assert.deepEqual(cfg.rule_files, ['alerts.yml']);
    const jobs = arr(cfg.scrape_configs, 'scrape_configs').map((j) => obj(j, 'scrape config'));
    const job = jobs.find((j) => j.job_name === 'mana-ai');
    assert.ok(job, 'job mana-ai');
    assert.equal(job.metrics_path ?? '/metrics', '/metrics');
    const targets = arr(job.static_configs, 'static_configs').flatMap((s) => arr(obj(s, 'static config').targets, 'targets'));
    assert.deepEqual(targets, ['listener:3067']);
  });

  test('every rule has for, a severity and summary/description; the required alerts exist', async () => {
    const families = await registryFamilies();
    const doc = obj(loadYaml(join(PROM, 'alerts.yml')), 'alerts.yml');
    const rules = arr(doc.groups, 'groups').flatMap((g) => arr(obj(g, 'group').rules, 'rules').map((r) => obj(r, 'rule')));
    const byName = new Map(rules.map((r) => [String(r.alert), r]));
    assert.equal(byName.size, rules.length, 'alert names are unique');
    for (const r of rules) {
      assert.match(String(r.for), /^\d+[smh]$/, `${String(r.alert)}: for`);
      assert.match(String(obj(r.labels, 'labels').severity), /^(critical|warning|info)$/, `${String(r.alert)}: severity`);
      const ann = obj(r.annotations, 'annotations');
      assert.ok(String(ann.summary ?? '').length > 10 && String(ann.description ?? '').length > 20, `${String(r.alert)}: annotations`);
      assert.deepEqual(checkExpr(String(r.expr), families), [], `${String(r.alert)}: metric names`);
    }
    // name → [expression fragments, for, severity]
    const required: [string, RegExp[], string, string][] = [
      ['ManaAiDown', [/^up\{job="mana-ai"\} == 0$/], '2m', 'critical'],
      ['ManaAiGrantScopeViolation', [/increase\(mana_ai_grant_scope_violations_total\[5m\]\)\) > 0/], '0m', 'critical'],
      ['ManaAiGrantSkipsHigh', [/mana_ai_grant_skips_total\{reason!="expired"\}/, /> 0\.1$/], '15m', 'warning'],
      ['ManaAiParseFailuresHigh', [/mana_ai_parse_failures_total\[10m\]/, /mana_ai_plans_produced_total\[10m\]/, /> 0\.2$/], '5m', 'warning'],
      ['ManaAiNoTicks', [/increase\(mana_ai_ticks_total\[5m\]\)\) == 0/], '1m', 'warning'],
      ['ManaAiDeadRuns', [/increase\(mana_ai_runs_total\{outcome="dead"\}\[15m\]\)\) > 0/], '0m', 'warning'],
      ['ManaAiLlmErrorRateHigh', [/mana_ai_llm_attempts_total\{outcome!~"ok\|aborted"\}/], '10m', 'warning'],
      ['ManaAiLlmCircuitOpen', [/mana_ai_llm_circuit_open/], '5m', 'warning'],
      ['ManaAiDueLagHigh', [/histogram_quantile\(0\.95, .*mana_ai_due_to_llm_seconds_bucket/], '15m', 'warning'],
      ['ManaAiCaptureBacklogOld', [/^max\(mana_ai_capture_backlog_oldest_age_seconds\) > 60$/], '5m', 'warning'],
    ];
    for (const [name, fragments, forValue, severity] of required) {
      const r = byName.get(name);
      assert.ok(r, `alert ${name} exists`);
      const expr = String(r.expr).trim().replace(/\s+/g, ' ');
      for (const f of fragments) assert.match(expr, f, `${name}: ${expr}`);
      assert.equal(r.for, forValue, `${name}: for`);
      assert.equal(obj(r.labels, 'labels').severity, severity, `${name}: severity`);
    }
    // SQL-side counters are database-wide: never summed across listeners.
    for (const r of rules) assert.doesNotMatch(String(r.expr), /sum[^(]*\([^)]*mana_ai_(snapshot|snapshots)_/, String(r.alert));
  });
});

describe('Grafana provisioning and dashboard', () => {
  const dashPath = join(DOCKER, 'grafana/dashboards/mana-ai.json');
  const datasources = () => arr(obj(loadYaml(join(DOCKER, 'grafana/provisioning/datasources/prometheus.yml')), 'datasources file').datasources, 'datasources')
    .map((d) => obj(d, 'datasource'));

  test('the datasource points at the compose prometheus service', () => {
    const [ds, ...rest] = datasources();
    assert.equal(rest.length, 0);
    assert.equal(ds!.type, 'prometheus');
    assert.equal(ds!.uid, 'mana-ai-prometheus');
    assert.equal(ds!.url, 'http://prometheus:9090');
  });

  test('valid dashboard JSON: uid, schemaVersion, unique ids, grid, datasource refs', () => {
    const dash = obj(JSON.parse(read(dashPath)) as unknown, 'dashboard');
    assert.equal(dash.uid, 'mana-ai-runner');
    assert.equal(typeof dash.title, 'string');
    assert.ok(typeof dash.schemaVersion === 'number' && dash.schemaVersion >= 36, 'schemaVersion');
    const uids = new Set(datasources().map((d) => d.uid));
    const panels = arr(dash.panels, 'panels').map((p) => obj(p, 'panel'));
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique');
    const cells = new Set<string>();
    for (const p of panels) {
      const g = obj(p.gridPos, `${String(p.title)}: gridPos`);
      const [x, y, w, h] = [g.x, g.y, g.w, g.h].map(Number) as [number, number, number, number];
      assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0 && y >= 0, `${String(p.title)}: gridPos ${JSON.stringify(g)}`);
      for (let cx = x; cx < x + w; cx++) for (let cy = y; cy < y + h; cy++) {
        assert.ok(!cells.has(`${cx},${cy}`), `${String(p.title)} overlaps another panel`);
        cells.add(`${cx},${cy}`);
      }
      if (p.type === 'row') continue;
      assert.ok(['timeseries', 'stat'].includes(String(p.type)), `${String(p.title)}: type`);
      assert.ok(uids.has(obj(p.datasource, 'datasource').uid), `${String(p.title)}: datasource uid`);
      const targets = arr(p.targets, 'targets').map((t) => obj(t, 'target'));
      assert.ok(targets.length > 0, `${String(p.title)}: targets`);
      assert.equal(new Set(targets.map((t) => t.refId)).size, targets.length, `${String(p.title)}: refIds`);
      for (const t of targets) assert.ok(uids.has(obj(t.datasource, 'datasource').uid) && String(t.expr ?? '') !== '');
    }
  });

  test('every expression names existing metrics, labels and values, and parses (promtool)', async () => {
    const families = await registryFamilies();
    const dash = JSON.parse(read(dashPath)) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
    for (const { title, expr } of exprs) assert.deepEqual(checkExpr(expr, families), [], `${title}: ${expr}`);
    // Syntax: the expressions as recording rules, with Grafana's interval variables filled in.
    const rules = { groups: [{ name: 'dashboard', rules: exprs.map((e, n) => ({
      record: `dashboard:expr_${n}`, expr: e.expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m') })) }] };
    const dir = mkdtempSync(join(tmpdir(), 'mana-ai-dash-'));
    try {
      writeFileSync(join(dir, 'rules.yml'), JSON.stringify(rules)); // JSON is YAML
      assert.match(promtool(['check', 'rules', 'rules.yml'], dir), new RegExp(`SUCCESS: ${exprs.length} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('panels cover the required topics', () => {
    const text = read(dashPath);
    for (const m of ['mana_ai_ticks_total', 'mana_ai_runs_total', 'mana_ai_planner_request_duration_seconds_bucket',
      'mana_ai_llm_attempts_total', 'mana_ai_decrypts_total', 'mana_ai_grant_skips_total',
      'mana_ai_due_to_llm_seconds_bucket', 'mana_ai_runs_in_flight', 'mana_ai_llm_circuit_open']) {
      assert.ok(text.includes(m), `dashboard uses ${m}`);
    }
  });

  test('the dashboard provider path is the compose mount of docker/grafana/dashboards', () => {
    const providers = arr(obj(loadYaml(join(DOCKER, 'grafana/provisioning/dashboards/mana-ai.yml')), 'providers file').providers, 'providers');
    const path = String(obj(obj(providers[0], 'provider').options, 'options').path);
    const compose = obj(loadYaml(join(DOCKER, 'compose.yaml')), 'compose');
    const grafana = obj(obj(compose.services, 'services').grafana, 'grafana');
    const mount = arr(grafana.volumes, 'volumes').map(String).find((v) => v.split(':')[1] === path);
    assert.ok(mount, `grafana mounts something at ${path}`);
    assert.ok(existsSync(join(DOCKER, mount.split(':')[0]!, 'mana-ai.json')));
  });
});

describe('compose.yaml', () => {
  const compose = () => obj(loadYaml(join(DOCKER, 'compose.yaml')), 'compose');
  const services = () => obj(compose().services, 'services');
  const service = (name: string) => obj(services()[name], name);
  const env = (name: string) => obj(service(name).environment, `${name}.environment`) as Record<string, string>;
  const SECRETS = ['POSTGRES_PASSWORD', 'MANA_AI_DB_PASSWORD', 'MANA_SERVICE_KEY', 'GRAFANA_ADMIN_PASSWORD'];

  test('services and start order: db healthy → migrate → db-roles → listener', () => {
    assert.deepEqual(Object.keys(services()).sort(), ['db', 'db-roles', 'grafana', 'listener', 'migrate', 'prometheus']);
    const deps = (name: string) => obj(service(name).depends_on, `${name}.depends_on`) as Record<string, { condition: string }>;
    assert.equal(deps('migrate').db?.condition, 'service_healthy');
    assert.equal(deps('db-roles').migrate?.condition, 'service_completed_successfully');
    assert.equal(deps('listener').migrate?.condition, 'service_completed_successfully');
    assert.equal(deps('listener')['db-roles']?.condition, 'service_completed_successfully');
    assert.equal(service('prometheus').depends_on, undefined, 'prometheus must run while the listener cannot');
    assert.deepEqual(arr(obj(service('db').healthcheck, 'healthcheck').test, 'test').slice(0, 2), ['CMD', 'pg_isready']);
  });

  test('migrate is the listener image with command ["migrate", "--create-sync-changes"] as the postgres superuser', () => {
    assert.deepEqual(service('migrate').command, ['migrate', '--create-sync-changes'], 'the demo stack has no sync server');
    assert.equal(service('migrate').image, service('listener').image);
    assert.deepEqual(service('migrate').build, service('listener').build);
    assert.match(env('migrate').MANA_AI_ADMIN_DATABASE_URL!, /^postgresql:\/\/postgres:\$\{POSTGRES_PASSWORD:\?[^}]*\}@db:5432\/mana_sync$/);
    assert.ok(env('migrate').MANA_AI_TIMEZONE);
    assert.equal(env('listener').MANA_AI_TIMEZONE, env('migrate').MANA_AI_TIMEZONE, 'the listener must use the zone migrate stored');
  });

  test('the listener: mana_ai role, port 3067 on loopback only, secrets without defaults', () => {
    const e = env('listener');
    assert.match(e.SYNC_DATABASE_URL!, /^postgresql:\/\/mana_ai:\$\{MANA_AI_DB_PASSWORD:\?[^}]*\}@db:5432\/mana_sync$/);
    assert.match(e.MANA_SERVICE_KEY!, /^\$\{MANA_SERVICE_KEY:\?[^}]*\}$/);
    assert.match(e.MANA_LLM_URL!, /^\$\{MANA_LLM_URL:\?[^}]*\}$/);
    assert.equal(String(e.PORT), '3067');
    assert.deepEqual(service('listener').ports, ['127.0.0.1:3067:3067']);
    assert.deepEqual(service('listener').command, ['serve']);
    const envFiles = arr(service('listener').env_file, 'env_file').map((f) => obj(f, 'env_file'));
    for (const f of envFiles) {
      if (f.required !== false) assert.ok(existsSync(join(DOCKER, String(f.path))), `required env file ${String(f.path)}`);
      else assert.ok(existsSync(join(DOCKER, `${String(f.path)}.example`)), `template for ${String(f.path)}`);
    }
  });

  test('every published port binds 127.0.0.1; the database is not published', () => {
    for (const [name, s] of Object.entries(services())) {
      for (const p of (obj(s, name).ports as unknown[] | undefined) ?? []) {
        assert.match(String(p), /^127\.0\.0\.1:\d+:\d+$/, `${name}: ${String(p)}`);
      }
    }
    assert.equal(service('db').ports, undefined);
  });

  test('secrets come from ${VAR:?} only: no default, no literal value', () => {
    const text = read(join(DOCKER, 'compose.yaml'));
    for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g)) {
      if (SECRETS.includes(m[1]!)) assert.equal(m[2], ':?', `\${${m[1]}} must use :? (no default)`);
    }
    for (const [name, s] of Object.entries(services())) {
      const e = (obj(s, name).environment as Record<string, unknown> | undefined) ?? {};
      for (const k of [...SECRETS, 'PGPASSWORD']) {
        if (k in e) assert.match(String(e[k]), /^\$\{[A-Z_]+:\?[^}]*\}$/, `${name}.${k}`);
      }
      assert.ok(!Array.isArray(obj(s, name).environment), `${name}: environment as a mapping`);
    }
    // the env template ships empty secrets
    const example = read(join(DOCKER, 'env.example'));
    for (const k of SECRETS) assert.match(example, new RegExp(`^${k}=$`, 'm'), `env.example: ${k} empty`);
    assert.match(read(join(DOCKER, '.gitignore')), /^\.env$/m);
  });

  test('base images are build arguments defaulting to the Dockerfiles\' official images; db-roles runs the db image', () => {
    const argDefault = (file: string, name: string): string => {
      const arg = dockerfile(join(DOCKER, file)).find((i) => i.op === 'ARG' && i.args.startsWith(`${name}=`));
      assert.ok(arg, `${file}: ARG ${name}`);
      return arg.args.slice(name.length + 1);
    };
    const buildArg = (svc: string, name: string): string => String(obj(obj(service(svc).build, `${svc}.build`).args, `${svc}.build.args`)[name]);
    assert.equal(buildArg('listener', 'NODE_IMAGE'), `\${NODE_IMAGE:-${argDefault('listener.Dockerfile', 'NODE_IMAGE')}}`);
    assert.equal(buildArg('db', 'POSTGRES_IMAGE'), `\${POSTGRES_IMAGE:-${argDefault('postgres.Dockerfile', 'POSTGRES_IMAGE')}}`);
    assert.equal(service('db-roles').image, service('db').image);
    assert.deepEqual(service('db-roles').build, service('db').build);
  });

  test('files it builds from and mounts exist; the prometheus and grafana mounts match their configs', () => {
    for (const [name, s0] of Object.entries(services())) {
      const s = obj(s0, name);
      if (s.build) {
        const b = obj(s.build, `${name}.build`);
        const ctx = resolve(DOCKER, String(b.context));
        assert.ok(statSync(ctx).isDirectory(), `${name}: build context`);
        assert.ok(existsSync(join(ctx, String(b.dockerfile ?? 'Dockerfile'))), `${name}: dockerfile`);
      }
      for (const v of (s.volumes as unknown[] | undefined) ?? []) {
        const [src] = String(v).split(':');
        if (src!.startsWith('.') || src!.startsWith('/')) assert.ok(existsSync(resolve(DOCKER, src!)), `${name}: mount source ${src}`);
        else assert.ok(src! in obj(compose().volumes, 'volumes'), `${name}: named volume ${src}`);
      }
    }
    const prom = service('prometheus');
    const configFlag = arr(prom.command, 'command').map(String).find((c) => c.startsWith('--config.file='))!;
    const configPath = configFlag.split('=')[1]!;
    const mounts = new Map(arr(prom.volumes, 'volumes').map(String).map((v) => [v.split(':')[1]!, v.split(':')[0]!]));
    assert.equal(mounts.get(configPath), './prometheus/prometheus.yml');
    assert.equal(mounts.get(join(dirname(configPath), 'alerts.yml')), './prometheus/alerts.yml');
    const roles = service('db-roles');
    const script = arr(roles.entrypoint, 'entrypoint').map(String).at(-1)!;
    assert.ok(arr(roles.volumes, 'volumes').map(String).some((v) => v.split(':')[1] === script && existsSync(resolve(DOCKER, v.split(':')[0]!))));
    // prometheus reaches the listener: one shared network
    const nets = (n: string) => new Set(arr(service(n).networks, `${n}.networks`).map(String));
    assert.ok([...nets('prometheus')].some((n) => nets('listener').has(n)));
    assert.ok([...nets('grafana')].some((n) => nets('prometheus').has(n)));
    assert.ok(![...nets('db')].some((n) => nets('prometheus').has(n)), 'the database is not on the monitoring network');
  });
});

describe('Dockerfiles', () => {
  test('listener: multi-stage node:20-bookworm-slim, prod deps only, non-root, 3067, health, tini, entrypoint', () => {
    const [build, runtime, ...more] = stages(dockerfile(join(DOCKER, 'listener.Dockerfile')));
    assert.equal(more.length, 0);
    assert.equal(build!.from, 'node:20-bookworm-slim');
    assert.equal(runtime!.from, 'node:20-bookworm-slim');
    const runs = (s: typeof build) => s!.body.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    assert.match(runs(build), /npm ci\b/);
    assert.match(runs(build), /npm run build -- --sourceMap false/);
    assert.match(runs(runtime), /npm ci --omit=dev --ignore-scripts/);
    assert.match(runs(runtime), /apt-get install .*\btini\b/);
    const copies = runtime!.body.filter((i) => i.op === 'COPY').map((i) => i.args);
    assert.ok(copies.includes(`--from=${build!.name} /app/dist ./dist`), 'dist from the build stage');
    for (const src of ['sql', 'bin', 'package.json']) assert.ok(copies.some((c) => c.split(' ').slice(0, -1).includes(src)), `COPY ${src}`);
    const user = runtime!.body.filter((i) => i.op === 'USER').at(-1)?.args;
    assert.ok(user && !/^(root|0)(:|$)/.test(user), 'runs as a non-root user');
    assert.deepEqual(runtime!.body.filter((i) => i.op === 'EXPOSE').map((i) => i.args), ['3067']);
    assert.match(runtime!.body.find((i) => i.op === 'ENV')!.args, /\bPORT=3067\b/);
    const health = runtime!.body.find((i) => i.op === 'HEALTHCHECK')!;
    assert.match(health.args, /--interval=30s/);
    assert.match(health.args, /\/health/);
    const entry = jsonArgs(runtime!.body.find((i) => i.op === 'ENTRYPOINT'));
    assert.equal(entry[0], '/usr/bin/tini');
    assert.deepEqual(entry.slice(-2), ['node', 'bin/mana-ai.js']);
    assert.deepEqual(jsonArgs(runtime!.body.find((i) => i.op === 'CMD')), ['serve']);
  });

  test('what the listener image copies exists and is not excluded by .dockerignore', () => {
    const ignore = read(join(ROOT, '.dockerignore')).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules', 'dist', '.git', 'test', 'bench']) assert.ok(dockerIgnored(p, ignore), `.dockerignore excludes ${p}`);
    const ins = dockerfile(join(DOCKER, 'listener.Dockerfile')).filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'));
    for (const i of ins) {
      const parts = i.args.split(' ').filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        assert.ok(existsSync(join(ROOT, src)), `COPY source ${src} exists`);
        assert.ok(!dockerIgnored(src, ignore), `COPY source ${src} is not in .dockerignore`);
      }
    }
  });

  test('the runtime stage needs no dev dependency: src/ imports only dependencies and node builtins', () => {
    const pkg = JSON.parse(read(join(ROOT, 'package.json'))) as { dependencies: Record<string, string> };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.ts')) files.push(join(d, e.name));
      }
    };
    walk(join(ROOT, 'src'));
    files.push(join(ROOT, 'bin/mana-ai.js'));
    for (const f of files) {
      const text = read(f);
      for (const m of text.matchAll(/^\s*import\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
        if (m[1]) continue; // `import type` is erased
        const spec = (m[2] ?? m[3] ?? m[4])!;
        if (spec.startsWith('.')) continue;
        const name = spec.startsWith('node:') ? spec.slice(5) : spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        assert.ok(allowed.has(name) || allowed.has(spec), `${relative(ROOT, f)} imports ${spec}, which npm ci --omit=dev does not install`);
      }
    }
  });

  test('postgres: postgres:15-bookworm with pg_cron preloaded for mana_sync, background workers, more worker processes', () => {
    const [stage, ...more] = stages(dockerfile(join(DOCKER, 'postgres.Dockerfile')));
    assert.equal(more.length, 0);
    assert.equal(stage!.from, 'postgres:15-bookworm');
    assert.match(stage!.body.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n'), /apt-get install .*postgresql-\$\{PG_MAJOR\}-cron/);
    const cmd = jsonArgs(stage!.body.find((i) => i.op === 'CMD'));
    assert.equal(cmd[0], 'postgres');
    const settings = new Map(cmd.filter((_, n) => cmd[n - 1] === '-c').map((s) => s.split('=') as [string, string]));
    assert.equal(settings.get('shared_preload_libraries'), 'pg_cron');
    assert.equal(settings.get('cron.database_name'), 'mana_sync');
    assert.equal(settings.get('cron.use_background_workers'), 'on');
    assert.ok(Number(settings.get('max_worker_processes')) > 8);
    const compose = obj(loadYaml(join(DOCKER, 'compose.yaml')), 'compose');
    assert.equal(obj(obj(obj(compose.services, 's').db, 'db').environment, 'env').POSTGRES_DB, settings.get('cron.database_name'));
  });

  test('the HEALTHCHECK script: 0 for a 2xx /health, 1 for a 503 and for a closed port', async () => {
    const health = dockerfile(join(DOCKER, 'listener.Dockerfile')).find((i) => i.op === 'HEALTHCHECK')!;
    const cmd = JSON.parse(/CMD\s+(\[.*\])$/.exec(health.args)![1]!) as string[];
    assert.deepEqual(cmd.slice(0, 2), ['node', '-e']);
    let status = 200;
    const seen: string[] = [];
    const server: Server = createServer((req, res) => { seen.push(`${req.method} ${req.url}`); res.writeHead(status).end('{}'); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const probe = (p: number) => new Promise<number | null>((resolvePromise) => {
      const child = spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, PORT: String(p) }, stdio: 'ignore' });
      child.on('exit', (code) => resolvePromise(code));
    });
    try {
      assert.equal(await probe(port), 0);
      status = 503;
      assert.equal(await probe(port), 1);
      assert.deepEqual(seen, ['GET /health', 'GET /health']);
    } finally {
      await new Promise((r) => server.close(r));
    }
    assert.equal(await probe(port), 1, 'nothing listening');
  });
});

describe('ports, keys and docs', () => {
  test('no file under docker/ names the reference ports 3066/3020 or a default service key (KI-23)', () => {
    const files: string[] = [join(ROOT, '.dockerignore')];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else files.push(join(d, e.name));
      }
    };
    walk(DOCKER);
    for (const f of files) {
      const text = read(f);
      assert.doesNotMatch(text, /:30(66|20)\b/, relative(ROOT, f));
      assert.doesNotMatch(text, /dev-service-key/i, relative(ROOT, f));
      assert.doesNotMatch(text, /MANA_SERVICE_KEY[=:]\s*["']?[A-Za-z0-9]/, `${relative(ROOT, f)}: a literal service key`);
    }
  });

  test('the README has the "Container and monitoring" section', () => {
    const readme = read(join(ROOT, 'README.md'));
    assert.match(readme, /^## Container and monitoring$/m);
    const section = readme.split(/^## Container and monitoring$/m)[1]!.split(/^## /m)[0]!.replace(/\s+/g, ' ');
    for (const s of ['/api/*', '/health', '/metrics', '/internal/*', 'docker/compose.yaml', 'make test-docker']) {
      assert.ok(section.includes(s), `README section mentions ${s}`);
    }
  });
});

describe('listener role script (docker/db-roles/listener-role.sql)', () => {
  const cluster = process.env.MANA_TEST_CLUSTER;
  test('creates mana_ai as a LOGIN member of mana_ai_runner, idempotently, and refuses an empty password',
    { skip: cluster ? false : 'needs the test cluster (make test)' }, () => {
      const script = join(DOCKER, 'db-roles/listener-role.sql');
      const psql = (password: string | undefined) => {
        const e = { ...process.env };
        delete e.MANA_AI_DB_PASSWORD;
        if (password !== undefined) e.MANA_AI_DB_PASSWORD = password;
        return run('psql', ['-X', '-q', '-d', 'postgres', '-f', script], { env: e });
      };
      const missing = psql(undefined);
      assert.notEqual(missing.code, 0);
      assert.match(missing.out, /MANA_AI_DB_PASSWORD is not set/);
      assert.equal(psql('').code, 3);
      for (let n = 0; n < 2; n++) {
        const r = psql(`pw-${n}`);
        assert.equal(r.code, 0, r.out);
        assert.doesNotMatch(r.out, /pw-/, 'the password is not echoed');
      }
      const q = run('psql', ['-X', '-At', '-d', 'postgres', '-c',
        `select rolcanlogin, rolsuper, rolbypassrls, pg_has_role('mana_ai', 'mana_ai_runner', 'member'),
                rolpassword like 'SCRAM-SHA-256$%' from pg_authid where rolname = 'mana_ai'`]);
      assert.equal(q.out.trim(), 't|f|f|t|t');
    });
});

function promtoolVersion(): string {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return /version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'promtool missing';
}
