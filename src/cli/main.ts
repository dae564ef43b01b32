/**
 * The `mana-ai` command: one entry point, one sub-command per job. Each command parses its own
 * options, prints `--help`, and exits non-zero with a one-line message on failure.
 */
import { runCommand } from './commands.js';

const code = await runCommand(process.argv.slice(2), {
  env: process.env,
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  onStopSignal: (handler) => {
    process.once('SIGTERM', () => handler('SIGTERM'));
    process.once('SIGINT', () => handler('SIGINT'));
  },
});
process.exitCode = code;
// Long-running commands close their handles on stop; a stray one must not keep a stopped process alive.
setTimeout(() => process.exit(code), 2_000).unref();
