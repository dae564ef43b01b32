/**
 * The `mana-ai` command: one entry point, one sub-command per job. Each command parses its own
 * options, prints `--help`, and exits non-zero with a one-line message on failure.
 */
import { runCommand } from './commands.js';

const code = await runCommand(process.argv.slice(2), {
  env: process.env,
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
});
process.exitCode = code;
