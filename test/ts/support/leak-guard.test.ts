/**
 * test/support/leak-guard.ts (preloaded into every test process by the Makefile): a file that leaves
 * pg clients or pools connected fails and names where they connected; a tidy file passes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../support/dist.js';

/** Runs a probe as its own `node --test` (without this runner's child context, so it exits with its result). */
function runProbe(name: string) {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return spawnSync(process.execPath,
    ['--import', 'tsx', '--import', './test/support/leak-guard.ts', '--test', join('test/support/leak-probes', name)],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env });
}

test('a file leaving a client and a pool connected fails, naming both', () => {
  const r = runProbe('leaky.ts');
  assert.notEqual(r.status, 0, r.stdout);
  assert.match(r.stdout, /leak guard: this test file left 2 pg client\(s\) connected/);
  assert.equal([...r.stdout.matchAll(/leaky\.ts:\d+:\d+/g)].length >= 2, true, 'each leak names its line in the probe');
});

test('a file that closes what it opens passes', () => {
  const r = runProbe('tidy.ts');
  assert.equal(r.status, 0, r.stdout);
  assert.doesNotMatch(r.stdout, /leak guard/);
});
