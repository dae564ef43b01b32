/**
 * The built command (dist/) for tests that run `bin/mana-ai.js` as a deployment does: whether dist/ is
 * at least as new as src/, and building it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Newest mtime under `dir` (files only). */
function newest(dir: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return max;
}

/** True when dist/cli/main.js exists and is not older than any file under src/. */
export function distIsFresh(): boolean {
  const main = join(ROOT, 'dist/cli/main.js');
  return existsSync(main) && statSync(main).mtimeMs >= newest(join(ROOT, 'src'));
}

/** `npm run build` in the repository root (quiet). */
export function buildDist(): void {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, NPM_CONFIG_LOGLEVEL: 'error' } });
}
