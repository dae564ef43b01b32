/**
 * The summary table of the reliability suite, printed last through test diagnostics (so the node:test
 * totals stay the last lines of the output). Every scenario file appends its line to $CHAOS_RESULTS,
 * which `make test-chaos` creates; the files run one after another, and node:test orders them by path,
 * so this file lives at the path that sorts last (test/ts/chaos/99-…). Skipped in `make test`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readResults } from '../../support/chaos-kit.js';

const SCENARIOS = ['1', '2', '3', '4', '5', '6', '7', '8'];

test('summary: scenario | inputs tried | outcome | lost | duplicated', { skip: process.env.CHAOS_RESULTS ? false : 'CHAOS_RESULTS is unset (make test-chaos sets it)' }, (t) => {
  const rows = readResults();
  const cell = (v: unknown) => String(v).replaceAll('|', '\\|').replaceAll('\n', ' ');
  t.diagnostic('| scenario | inputs tried | outcome | lost | duplicated |');
  t.diagnostic('|---|---|---|---|---|');
  for (const r of rows) t.diagnostic(`| ${cell(r.scenario)} | ${cell(r.inputs)} | ${cell(r.outcome)} | ${cell(r.lost)} | ${cell(r.duplicated)} |`);
  const missing = SCENARIOS.filter((s) => !rows.some((r) => r.scenario.split(' ')[0]!.startsWith(s)));
  for (const s of missing) t.diagnostic(`| ${s} | (no result: the scenario failed before recording it) | | | |`);
  // The scenarios assert their own outcomes; this only refuses a table that claims a loss or a duplicate.
  assert.deepEqual(rows.filter((r) => (typeof r.lost === 'number' && r.lost !== 0) || (typeof r.duplicated === 'number' && r.duplicated !== 0))
    .map((r) => r.scenario), []);
});
