#!/usr/bin/env node
// Entry point of the `mana-ai` command. Runs the compiled CLI in this same process (no child process),
// so SIGTERM/SIGINT sent to the command reach the code that handles them.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(compiled)) {
  process.stderr.write('mana-ai: dist/ is missing; run `npm run build` (npm ci does it through `prepare`).\n');
  process.exit(1);
}
await import(compiled);
