/**
 * Runs the benchmarks of bench/ side by side on the throwaway cluster named by PG* (make bench /
 * make bench-smoke start one through test/support/with-cluster.sh) and writes a Markdown report:
 *
 *   make bench          SCALE=full: every benchmark at its real size (< 15 min); prints the report and
 *                       writes bench/results/latest.md and bench/results/<date>-<n>cpu.md
 *   make bench-smoke    SCALE=smoke: tiny sizes (< 60 s) so the benchmarks cannot rot; make test runs it;
 *                       writes bench/results/smoke.md.tmp (git-ignored)
 *
 *   node --import tsx bench/run.ts [--scale=smoke|full] [--only=b1,b2,b3,b4,b5,b6,b8,b10,b11] [--out=FILE]
 *
 * Every benchmark compares the product with its comparison in the same run on the same cluster,
 * interleaved. Targets are judged and reported, never asserted: the exit code is non-zero only when a
 * benchmark could not run. Progress goes to stderr, the report to stdout.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runB1 } from './b1-ingest.js';
import { runB2B7 } from './b2-due.js';
import { runB3 } from './b3-dispatch.js';
import { runB4 } from './b4-latency.js';
import { runB5 } from './b5-sync-traffic.js';
import { runB6 } from './b6-memory.js';
import { runB8 } from './b8-fold.js';
import { runB10 } from './b10-backfill.js';
import { runB11 } from './b11-scale-out.js';
import { fmt, now, table, type BenchResult, type Ctx, type Scale } from './lib/common.js';
import { benchDatabase, serverFacts } from './lib/data.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(root, 'bench/.build');

const MODULES: { key: string; ids: string[]; run: (ctx: Ctx) => Promise<BenchResult[]> }[] = [
  { key: 'b1', ids: ['B1a', 'B1b'], run: runB1 },
  { key: 'b5', ids: ['B5', 'B9'], run: runB5 },
  { key: 'b8', ids: ['B8'], run: runB8 },
  { key: 'b10', ids: ['B10'], run: runB10 },
  { key: 'b2', ids: ['B2', 'B7'], run: runB2B7 },
  { key: 'b3', ids: ['B3'], run: runB3 },
  { key: 'b4', ids: ['B4'], run: runB4 },
  { key: 'b6', ids: ['B6'], run: runB6 },
  { key: 'b11', ids: ['B11'], run: runB11 },
];
const ORDER = ['B1a', 'B1b', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9', 'B10', 'B11'];

function args(): { scale: Scale; only: string[] | null; out: string | null } {
  const get = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const scale = (get('scale') ?? process.env.SCALE ?? 'full') as Scale;
  if (scale !== 'smoke' && scale !== 'full') throw new Error(`unknown scale ${scale} (smoke | full)`);
  const only = get('only')?.toLowerCase().split(',').filter(Boolean) ?? null;
  return { scale, only, out: get('out') ?? null };
}

const started = now();
const stamp = () => `${fmt((now() - started) / 1000, 1).padStart(6)} s`;
const log = (message: string) => process.stderr.write(`[bench ${stamp()}] ${message}\n`);
const sh = (cmd: string, argv: string[]) => execFileSync(cmd, argv, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

async function main(): Promise<number> {
  const { scale, only, out } = args();
  if (!process.env.PGHOST) throw new Error('PGHOST is not set: run through `make bench` / `make bench-smoke` (test/support/with-cluster.sh)');
  const loadStart = loadavg();
  const date = new Date();

  log(`scale ${scale}: compiling the listener into bench/.build/dist`);
  mkdirSync(workDir, { recursive: true });
  sh(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', join(workDir, 'dist'), '--sourceMap', 'false']);
  // The code measured is the working tree at this moment (migrated into the template now).
  const codeAtStart = gitFacts();
  log('migrating mana_template (test/support/prepare-test-db.sh --template-only)');
  sh(join(root, 'test/support/prepare-test-db.sh'), ['--template-only']);

  // Smoke runs (inside make test) keep only the start/done lines; BENCH_VERBOSE=1 shows every step.
  const stepLog = scale === 'full' || process.env.BENCH_VERBOSE === '1' ? log : () => undefined;
  const ctx: Ctx = { scale, root, listenerEntry: join(workDir, 'dist/cli/main.js'), workDir, log: stepLog };
  const factsDb = await benchDatabase();
  const pgFacts = await serverFacts(factsDb);
  await factsDb.drop();

  const results: BenchResult[] = [];
  const errors: string[] = [];
  for (const m of MODULES) {
    if (only && !only.includes(m.key)) continue;
    const t0 = now();
    log(`${m.ids.join('/')}: start`);
    const load0 = loadavg()[0]!;
    try {
      const out = await m.run(ctx);
      const seconds = (now() - t0) / 1000;
      const note = `_Ran ${fmt(seconds, 0)} s; 1-minute load average ${load0.toFixed(2)} at its start, ${loadavg()[0]!.toFixed(2)} at its end._`;
      results.push(...out.map((r) => ({ ...r, details: [...r.details, '', note] })));
      log(`${m.ids.join('/')}: done in ${fmt(seconds, 1)} s`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`${m.ids.join('/')}: FAILED: ${message}`);
      errors.push(`${m.ids.join('/')}: ${message.split('\n')[0]}`);
      for (const id of m.ids) {
        results.push({ id, what: '', product: '—', comparison: '—', ratio: '—', target: '', met: false, details: [`**Error:** ${message.split('\n')[0]}`] });
      }
    }
  }
  results.sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id));

  const totalS = (now() - started) / 1000;
  const codeAtEnd = gitFacts();
  const code = codeAtEnd.tree === codeAtStart.tree ? codeAtStart.text
    : `${codeAtStart.text} (migrated at the start and measured). **sql/ or src/ changed during the run**; at the end: ${codeAtEnd.text}`;
  const report = render({ scale, date, results, errors, totalS, loadStart, loadEnd: loadavg(), pgFacts, code });
  // Smoke runs print only the results table (make test stays readable); the file has everything.
  process.stdout.write(`${scale === 'smoke' ? summaryOnly(report) : report}\n`);

  const complete = !only || MODULES.every((m) => only.includes(m.key));
  const targets = out ? [out]
    : scale === 'full' && complete
      ? ['bench/results/latest.md', `bench/results/${date.toISOString().slice(0, 10)}-${cpus().length}cpu.md`]
      : [`bench/results/${scale === 'smoke' ? 'smoke' : 'partial'}.md.tmp`];
  for (const t of targets) {
    const path = resolve(root, t);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${report}\n`);
  }
  log(`report written to ${targets.join(', ')}; total ${fmt(totalS, 0)} s`);
  return errors.length > 0 ? 1 : 0;
}

interface RenderInput {
  scale: Scale;
  date: Date;
  results: BenchResult[];
  errors: string[];
  totalS: number;
  loadStart: number[];
  loadEnd: number[];
  pgFacts: Record<string, string>;
  code: string;
}

function summaryOnly(report: string): string {
  const lines = report.split('\n');
  const start = lines.indexOf('## Results');
  const end = lines.indexOf('## Details');
  return lines.slice(start, end === -1 ? undefined : end).join('\n').trimEnd();
}

/** The code being measured: HEAD, uncommitted files, and content hashes of sql/ + src/ and of the trigger path. */
function gitFacts(): { text: string; tree: string } {
  try {
    const head = sh('git', ['rev-parse', '--short', 'HEAD']);
    const dirty = sh('git', ['status', '--porcelain', '--', 'sql', 'src']).split('\n').filter(Boolean).map((l) => l.slice(3));
    const hashOf = (paths: string[]) => {
      const h = createHash('sha1');
      for (const f of sh('git', ['ls-files', '-co', '--exclude-standard', ...paths]).split('\n').filter(Boolean).sort()) {
        h.update(f).update(readFileSync(join(root, f)));
      }
      return h.digest('hex').slice(0, 10);
    };
    const tree = hashOf(['sql', 'src']);
    const text = `HEAD \`${head}\`; ${dirty.length === 0 ? 'sql/ and src/ clean' : `uncommitted in sql/ or src/ (measured as in the working tree): ${dirty.map((d) => `\`${d}\``).join(', ')}`}; ` +
      `sha1 of sql/+src/ \`${tree}\`, of the trigger file \`${hashOf(['sql/mana_ai_private/triggers/sync_changes.sql'])}\`, ` +
      `of the merge functions \`${hashOf(['sql/mana_ai_private/functions/merge'])}\``;
    return { text, tree };
  } catch {
    return { text: 'not a git checkout', tree: '' };
  }
}

function render(input: RenderInput): string {
  const { scale, date, results, errors, totalS, loadStart, loadEnd, pgFacts, code } = input;
  const cpu = cpus();
  const la = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  let graphileVersion = '?';
  try {
    graphileVersion = (JSON.parse(readFileSync(join(root, 'node_modules/graphile-worker/package.json'), 'utf8')) as { version: string }).version;
  } catch { /* not installed */ }
  const verdict = (r: BenchResult) => (r.met === null ? 'not judged (smoke sizes)' : r.met ? 'met' : r.what === '' ? '**error**' : '**missed**');
  const missed = results.filter((r) => r.met === false && r.what !== '');
  const lines: string[] = [
    `# mana-ai runner benchmarks — ${date.toISOString().slice(0, 10)}, ${cpu.length} CPU`,
    '',
    `Scale **${scale}**${scale === 'smoke' ? ' (tiny sizes: a liveness check of the harness, numbers not meaningful)' : ''}; ` +
      `generated by \`bench/run.ts\` (\`make bench${scale === 'smoke' ? '-smoke' : ''}\`) in ${fmt(totalS / 60, 1)} min. ` +
      'Each benchmark runs the product and its comparison in the same run on one throwaway cluster, interleaved in ' +
      'alternating blocks; ratios are the numbers to read, absolute values move from run to run on this shared machine.',
    '',
    ...table(['machine', ''], [
      ['date', date.toISOString()],
      ['CPU', `${cpu.length} × ${cpu[0]?.model ?? '?'}`],
      ['memory', `${fmt(totalmem() / 2 ** 30, 1)} GiB`],
      ['PostgreSQL', `${pgFacts.server_version ?? '?'} — throwaway cluster (test/support/cluster.sh): fsync ${pgFacts.fsync}, ` +
        `synchronous_commit ${pgFacts.synchronous_commit}, full_page_writes ${pgFacts.full_page_writes}, shared_buffers ` +
        `${pgFacts.shared_buffers}, work_mem ${pgFacts.work_mem}, max_connections ${pgFacts.max_connections}, jit ${pgFacts.jit}`],
      ['Node', process.version],
      ['graphile-worker', graphileVersion],
      ['load average (1/5/15 min)', `start ${la(loadStart)}, end ${la(loadEnd)} — the machine is shared with other engineers' test runs`],
      ['code', code],
    ]),
    '',
    '## Results',
    '',
    ...table(['#', 'What', 'Product', 'Comparison', 'Ratio', 'Target', 'Verdict'],
      results.map((r) => [r.id, r.what || '(failed)', r.product, r.comparison, r.ratio, r.target, verdict(r)])),
    '',
  ];
  if (errors.length > 0) lines.push('**Benchmarks that could not run:**', '', ...errors.map((e) => `- ${e}`), '');
  if (scale === 'full') {
    if (missed.length === 0) lines.push('All targets met.', '');
    else {
      lines.push('## Targets missed', '', `${missed.length} of ${results.length} targets missed: ${missed.map((r) => r.id).join(', ')}. ` +
        'For each: the measured numbers, what limits it (profile in the details below), and the follow-up plan.', '');
      for (const r of missed) {
        lines.push(`### ${r.id}: ${r.ratio} against ${r.target}`, '', `Measured: product ${r.product}; comparison ${r.comparison}.`, '',
          '**Follow-up:**', '', ...(r.followUp ?? ['(none written)']), '');
      }
    }
  }
  lines.push('## Details', '');
  for (const r of results) {
    lines.push(`### ${r.id} — ${r.what || '(failed)'}`, '', ...r.details, '');
    if (r.profile?.length) lines.push('**Profile / what limits it**', '', ...r.profile, '');
  }
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd();
}

main().then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    log(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
