/**
 * Finds citations of the documentation in source, test, bench and docker files and says which ones
 * do not resolve in docs/. Used by test/ts/docs/citations.test.ts.
 *
 * What counts as a citation, per line, in order of appearance:
 *   - a page name `<name>.md` (not part of another path) that is written `docs/<name>.md`, or is a
 *     known page name, or is followed by `§`. Outside docs/ it must carry the `docs/` prefix; inside
 *     docs/ pages cite each other by bare name. The page must exist in docs/.
 *   - `§N`, `§N.M`, ranges `§N–M` / `§N.M–N.K`: a numbered heading of the page cited last before it in
 *     the same file (so `docs/crypto.md §3, §5` and a later bare `(§4)` both resolve against
 *     crypto.md). Inside docs/ a bare § means the page's own section unless a page link right before
 *     it on the same line says otherwise (`[crypto.md](crypto.md) §5`). `RFC 1234 §4` is skipped.
 *   - `KI-N`: an entry `### KI-N` of docs/known-issues.md.
 *   - any reference to the spec folder beside the repository (`../shared`, `spec/`): never allowed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Page names comments used to cite from outside the repository; all must now be docs/ pages. */
export const KNOWN_PAGE_NAMES: readonly string[] = [
  'architecture', 'data-model', 'scheduling', 'planner', 'writeback', 'crypto', 'resolvers',
  'operations', 'known-issues', 'roadmap', 'platform', 'STYLE', 'TOOLCHAIN',
];

/** The trees whose files are checked, relative to the repository root. */
export const SCANNED_ROOTS: readonly string[] = ['sql', 'src', 'test', 'bench', 'docker', 'docs'];

/** Paths (relative, `/`-separated) never scanned: copied data, and the checker and rewriter themselves. */
export const EXCLUDED_PATHS: readonly string[] = [
  'test/fixtures/',
  'test/support/citations.ts',
  'test/support/rewrite-citations.sh',
  'test/ts/docs/citations.test.ts',
];

/**
 * Frozen files: landed migrations are hashed by postgres-migrations, so not even a comment may change.
 * Their citations are still checked, but may keep the bare page name.
 */
export const FROZEN_PATHS: readonly string[] = ['sql/migrations/'];

const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', '.dev']);

/** What docs/ provides: page → its numbered headings, and the KI entries of known-issues.md. */
export interface DocsIndex {
  readonly pages: ReadonlyMap<string, ReadonlySet<string>>;
  readonly knownIssues: ReadonlySet<number>;
}

/** One citation that does not resolve. */
export interface CitationProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

const HEADING = /^#{1,6}\s+§?(\d+(?:\.\d+)*)\.?(?=\s|$)/;
const KI_HEADING = /^#{1,6}\s+KI-(\d+)\b/;

/** Reads docs/*.md of `root` into an index. */
export function loadDocsIndex(root: string): DocsIndex {
  const pages = new Map<string, Set<string>>();
  const knownIssues = new Set<number>();
  const dir = join(root, 'docs');
  for (const entry of readdirSync(dir)) {
    if (!entry.endsWith('.md')) continue;
    const headings = new Set<string>();
    for (const line of readFileSync(join(dir, entry), 'utf8').split('\n')) {
      const h = HEADING.exec(line);
      if (h) headings.add(h[1]!);
      const ki = KI_HEADING.exec(line);
      if (ki && entry === 'known-issues.md') knownIssues.add(Number(ki[1]));
    }
    pages.set(entry.slice(0, -3), headings);
  }
  return { pages, knownIssues };
}

// One alternation, scanned left to right so that a § is judged against the page named before it.
//   1 docs/ prefix, 2 page name, 3 text after the name (lookahead for §)
//   4 RFC prefix of a §, 5 section, 6 range end
//   7 KI number
//   8 a reference to the spec folder beside the repository
const TOKEN = new RegExp(
  [
    String.raw`(?<![\w./-])(docs\/)?([A-Za-z][\w-]*)\.md(?![\w-]|\.\w)(?=(\)?\s*§)?)`,
    String.raw`(RFC\s*\d+\s*)?§\s?(\d+(?:\.\d+)*)(?:\s?[–-]\s?(\d+(?:\.\d+)*))?`,
    String.raw`\bKI-(\d+)\b`,
    String.raw`(\.\.\/shared\b|(?<![\w-])spec\/)`,
  ].join('|'),
  'g',
);

/** `§5.3–5.5` → ['5.3', '5.5']; `§5.1–3` → ['5.1', '5.3']; `§2–4` → ['2', '4']. */
function sectionsOf(start: string, end: string | undefined): string[] {
  if (end === undefined) return [start];
  if (end.includes('.') || !start.includes('.')) return [start, end];
  return [start, `${start.slice(0, start.lastIndexOf('.'))}.${end}`];
}

/**
 * The unresolvable citations in one file's text. `path` is relative to the repository root with
 * `/` separators; files under docs/ may cite pages by bare name.
 */
export function findCitationProblems(text: string, path: string, index: DocsIndex): CitationProblem[] {
  const problems: CitationProblem[] = [];
  const inDocs = path.startsWith('docs/');
  const frozen = FROZEN_PATHS.some((p) => path.startsWith(p));
  const self = inDocs ? path.slice('docs/'.length, -'.md'.length) : undefined;
  // The page a bare § refers to: the one cited last; null after a citation that was itself wrong.
  let current: string | null | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const add = (message: string): void => {
      problems.push({ file: path, line: i + 1, message });
    };
    // Inside docs/, a bare § is the page's own section unless a page cited just before it on the
    // same line says otherwise (`[crypto.md](crypto.md) §5`).
    if (inDocs) current = self;
    for (const m of lines[i]!.matchAll(TOKEN)) {
      const [, docsPrefix, name, followedBySection, rfc, section, rangeEnd, ki, outside] = m;
      if (name !== undefined) {
        const isCitation = docsPrefix !== undefined || KNOWN_PAGE_NAMES.includes(name) || followedBySection !== undefined;
        if (!isCitation) continue;
        if (inDocs && followedBySection === undefined) {
          current = self;
          if (!index.pages.has(name)) add(`${m[0]} is not a page of docs/`);
        } else if (!index.pages.has(name)) {
          add(`${m[0]} is not a page of docs/`);
          current = null;
        } else if (!inDocs && !frozen && docsPrefix === undefined) {
          add(`${m[0]} points outside the repository: cite it as docs/${name}.md`);
          current = null;
        } else {
          current = name;
        }
      } else if (section !== undefined) {
        if (rfc !== undefined) continue;
        if (current === null) continue; // the page citation before it is already reported
        if (current === undefined) {
          add(`${m[0].trim()} names no docs/ page before it in this file`);
          continue;
        }
        const headings = index.pages.get(current);
        if (headings === undefined) {
          add(`${m[0].trim()}: docs/${current}.md does not exist`);
          continue;
        }
        for (const s of sectionsOf(section, rangeEnd)) {
          if (!headings.has(s)) add(`§${s} is not a numbered heading of docs/${current}.md`);
        }
      } else if (ki !== undefined) {
        if (!index.knownIssues.has(Number(ki))) add(`KI-${ki} has no entry in docs/known-issues.md`);
      } else if (outside !== undefined) {
        add(`${outside} cites the spec folder outside the repository; cite docs/ instead`);
      }
    }
  }
  return problems;
}

function isExcluded(rel: string): boolean {
  return EXCLUDED_PATHS.some((p) => (p.endsWith('/') ? rel.startsWith(p) : rel === p));
}

/** Every scanned text file under `root`, relative and `/`-separated, sorted. */
export function scannedFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      if (SKIPPED_DIRS.has(entry)) continue;
      const full = join(dir, entry);
      const rel = relative(root, full).split(sep).join('/');
      if (statSync(full).isDirectory()) walk(full);
      else if (!isExcluded(rel)) out.push(rel);
    }
  };
  for (const r of SCANNED_ROOTS) {
    try {
      if (statSync(join(root, r)).isDirectory()) walk(join(root, r));
    } catch {
      // a root that does not exist in this checkout has nothing to check
    }
  }
  return out.sort();
}

/** All unresolvable citations under `root`. Binary files (a NUL byte) are skipped. */
export function checkTree(root: string): CitationProblem[] {
  const index = loadDocsIndex(root);
  const problems: CitationProblem[] = [];
  for (const rel of scannedFiles(root)) {
    const buf = readFileSync(join(root, rel));
    if (buf.includes(0)) continue;
    problems.push(...findCitationProblems(buf.toString('utf8'), rel, index));
  }
  return problems;
}
