/**
 * Every citation of the documentation in sql/, src/, test/, bench/, docker/ (and between docs/ pages)
 * resolves inside this repository: the page exists in docs/, the § is one of its numbered headings,
 * the KI number has an entry in docs/known-issues.md, and nothing cites the spec folder outside the
 * repository. The rules are in test/support/citations.ts; test/support/rewrite-citations.sh turns
 * the old bare form into the docs/ form.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { checkTree, findCitationProblems, loadDocsIndex, scannedFiles, type DocsIndex } from '../../support/citations.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const index: DocsIndex = {
  pages: new Map([
    ['scheduling', new Set(['1', '5', '5.1', '5.3', '5.4', '5.5'])],
    ['crypto', new Set(['2', '3', '4', '5', '7'])],
    ['known-issues', new Set<string>()],
  ]),
  knownIssues: new Set([1, 9]),
};
const problems = (text: string, path = 'src/x.ts'): string[] =>
  findCitationProblems(text, path, index).map((p) => `${p.line}: ${p.message}`);

describe('citation rules', () => {
  test('docs/ citations with existing sections, ranges, lists and KI numbers pass', () => {
    assert.deepEqual(problems([
      '// one plan per slot (docs/scheduling.md §5.3 step 4, §5.4; KI-9)',
      '-- claim (docs/scheduling.md §5.3–5.5) and docs/crypto.md §2–4, §7',
    ].join('\n')), []);
    assert.deepEqual(problems('/** see docs/crypto.md. */\n// a later bare (§3) resolves against the page named last'), []);
    assert.deepEqual(problems('// RFC 4648 §4 is not ours; bench/results/latest.md and forge.md.sha256 are no citations'), []);
  });

  test('a bare page name, a missing page, section or KI entry is reported with its line', () => {
    assert.deepEqual(problems('// (scheduling.md §5.3)'), [
      '1: scheduling.md points outside the repository: cite it as docs/scheduling.md',
    ]);
    assert.deepEqual(problems('\n// docs/scheduling.md §5.2 and §4.5, §5.1–5.6'), [
      '2: §5.2 is not a numbered heading of docs/scheduling.md',
      '2: §4.5 is not a numbered heading of docs/scheduling.md',
      '2: §5.6 is not a numbered heading of docs/scheduling.md',
    ]);
    assert.deepEqual(problems('// docs/nowhere.md §1 and TOOLCHAIN.md §5'), [
      '1: docs/nowhere.md is not a page of docs/',
      '1: TOOLCHAIN.md is not a page of docs/',
    ]);
    assert.deepEqual(problems('// KI-9, KI-10'), ['1: KI-10 has no entry in docs/known-issues.md']);
    assert.deepEqual(problems('// steps of §5 (no page named before)'), [
      '1: §5 names no docs/ page before it in this file',
    ]);
  });

  test('frozen migrations may keep the bare page name, but their sections are still checked', () => {
    const migration = 'sql/migrations/00001_init.sql';
    assert.deepEqual(problems('-- the run ledger (scheduling.md §5.3)', migration), []);
    assert.deepEqual(problems('-- (scheduling.md §9)', migration), ['1: §9 is not a numbered heading of docs/scheduling.md']);
  });

  test('references to the spec folder beside the repository are reported', () => {
    assert.deepEqual(problems("const u = new URL('../../../../shared/spec/vectors/crypto-v1.json');"), [
      '1: ../shared cites the spec folder outside the repository; cite docs/ instead',
      '1: spec/ cites the spec folder outside the repository; cite docs/ instead',
    ]);
  });

  test('docs pages cite each other by bare name; a bare § there is the page’s own', () => {
    assert.deepEqual(problems('see [crypto.md](crypto.md) §5 and KI-1', 'docs/scheduling.md'), []);
    assert.deepEqual(problems('as in §5.1; [crypto.md](crypto.md) §7\nthen §2', 'docs/scheduling.md'), [
      '2: §2 is not a numbered heading of docs/scheduling.md',
    ]);
  });
});

describe('docs/', () => {
  const docs = loadDocsIndex(ROOT);

  test('known-issues.md has the entries KI-1 … KI-24 and README.md lists every page', () => {
    assert.deepEqual([...docs.knownIssues].sort((a, b) => a - b), Array.from({ length: 24 }, (_, i) => i + 1));
    const readme = readFileSync(`${ROOT}docs/README.md`, 'utf8');
    const pages = readdirSync(`${ROOT}docs`).filter((f) => f.endsWith('.md') && f !== 'README.md');
    for (const page of pages) assert.match(readme, new RegExp(`\\[${page}\\]\\(${page}\\)`), `docs/README.md lists ${page}`);
  });

  test('the scan covers the trees comments live in', () => {
    const files = scannedFiles(ROOT);
    for (const prefix of ['sql/', 'src/', 'test/', 'bench/', 'docker/', 'docs/']) {
      assert.ok(files.some((f) => f.startsWith(prefix)), `some file under ${prefix} is scanned`);
    }
  });

  test('every citation in the repository resolves in docs/', () => {
    const found = checkTree(ROOT).map((p) => `${p.file}:${p.line}: ${p.message}`);
    assert.deepEqual(found, [], `unresolvable citations (test/support/rewrite-citations.sh fixes the bare form):\n${found.join('\n')}`);
  });
});
