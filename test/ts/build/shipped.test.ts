/**
 * What ships: `npm pack`, dist/ and the image carry only what `serve`, `migrate` and the CLI need.
 *   - the import graph: nothing `serve` loads (src/app.ts onwards) reaches src/dev/ (the demo),
 *     src/issuer/ (grant minting and field encryption, dev/CLI only) or src/cli/; the CLI reaches
 *     src/issuer/ only through the `grant` command's dynamic import, and src/dev/ never;
 *   - a fresh build (tsconfig.build.json into a temporary directory) emits nothing from src/dev/;
 *   - `npm pack --dry-run` of a package made of that build lists only package.json, README.md, bin/,
 *     the compiled .js files and sql/ — no sources, tests, source maps or demo code;
 *   - the image's runtime stage copies only dist/, sql/, bin/ and the package manifests.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../../support/dist.js';

/** Files reachable from `entry` through static relative imports (`import … from './x.js'`, `export … from`). */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // Static import/export declarations only; `import('…')` expressions are dynamic on purpose.
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)'/gms)) {
      if (/^\s*import\s+type\s|^\s*export\s+type\s/.test(m[0])) continue;
      visit(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
    }
  };
  visit(join(ROOT, entry));
  return new Set([...seen].map((f) => relative(ROOT, f)));
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name]);
}

describe('the shipped build', () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'mana-ai-pack-'));
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'),
      '--outDir', join(work, 'dist')], { cwd: ROOT, stdio: 'pipe' });
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('serve\'s import graph holds no demo, issuer or CLI code; the CLI\'s none of the demo', () => {
    const serve = [...staticGraph('src/app.ts')];
    assert.ok(serve.includes('src/schedule/scheduler.ts') && serve.includes('src/crypto/grant.ts'), 'the graph is followed');
    assert.deepEqual(serve.filter((f) => /^src\/(dev|issuer|cli)\//.test(f)), []);
    const cli = [...staticGraph('src/cli/main.ts')];
    assert.ok(cli.includes('src/app.ts') && cli.includes('src/cli/grant.ts'), 'the CLI reaches serve and grant');
    assert.deepEqual(cli.filter((f) => /^src\/(dev|issuer)\//.test(f)), []);
    assert.match(readFileSync(join(ROOT, 'src/cli/grant.ts'), 'utf8'), /await import\('\.\.\/issuer\/mint\.js'\)/,
      'grant loads the issuer only when it runs');
  });

  test('a fresh build emits nothing from src/dev/', () => {
    const emitted = walk(join(work, 'dist'));
    assert.ok(emitted.includes('cli/main.js') && emitted.includes('issuer/mint.js'));
    assert.deepEqual(emitted.filter((f) => f.startsWith('dev/')), []);
  });

  test('npm pack lists only the manifest, README, bin/, compiled .js and sql/', () => {
    const pkg = join(work, 'pkg');
    cpSync(join(work, 'dist'), join(pkg, 'dist'), { recursive: true });
    for (const p of ['README.md', 'bin', 'sql']) cpSync(join(ROOT, p), join(pkg, p), { recursive: true });
    // the manifest without its lifecycle scripts: dist/ is already built here, and npm 10 runs `prepare`
    // on pack even with --ignore-scripts (seen in the PostgreSQL 17 chroot), which has no tsc to run
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    delete manifest.scripts;
    writeFileSync(join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: pkg, encoding: 'utf8', env: { ...process.env, NPM_CONFIG_LOGLEVEL: 'error' },
    });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort();
    const allowed = /^(package\.json|README\.md|bin\/[a-z-]+\.js|dist\/[a-z0-9/-]+\.js|sql\/[a-z0-9_/]+\.sql)$/;
    assert.deepEqual(files.filter((f) => !allowed.test(f)), [], 'nothing else is packed');
    assert.deepEqual(files.filter((f) => /^dist\/(dev|.*\.map$)/.test(f)), []);
    for (const needed of ['bin/mana-ai.js', 'dist/cli/main.js', 'dist/app.js', 'dist/db/migrate.js', 'sql/objects.sql']) {
      assert.ok(files.includes(needed), `${needed} is packed`);
    }
    const sqlFiles = walk(join(ROOT, 'sql')).filter((f) => f.endsWith('.sql')).map((f) => `sql/${f}`);
    assert.deepEqual(files.filter((f) => f.startsWith('sql/')), sqlFiles.sort(), 'every SQL source migrate applies');
  });

  test('the image\'s runtime stage copies only dist/, sql/, bin/ and the manifests', () => {
    const dockerfile = readFileSync(join(ROOT, 'docker/listener.Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    const copies = [...runtime.matchAll(/^COPY (.+)$/gm)].map((m) => m[1]!.trim());
    assert.deepEqual(copies, ['package.json package-lock.json ./', '--from=build /app/dist ./dist', 'sql ./sql', 'bin ./bin']);
    assert.match(dockerfile, /RUN npm run build/, 'the build stage compiles with tsconfig.build.json (src\/dev excluded)');
  });
});
