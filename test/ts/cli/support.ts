/**
 * Helpers for the operator-command tests: run `mana-ai <argv>` in-process through runCommand with
 * collected output, and put missions/agents into a test database through the log (the projection
 * trigger folds them, as in production).
 */
import { runCommand } from '../../../src/cli/commands.js';
import type { TestDb } from '../../support/db.js';

/** The outcome of one CLI invocation. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command with exactly `env` (nothing from process.env) and returns its exit code and output. */
export async function cli(argv: string[], env: Record<string, string> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCommand(argv, {
    env,
    stdout: (s) => { stdout += s; },
    stderr: (s) => { stderr += s; },
  });
  return { code, stdout, stderr };
}

/** The env of an admin command against `db` (superuser of the clone). */
export const adminEnv = (db: TestDb): Record<string, string> => ({ MANA_AI_ADMIN_DATABASE_URL: db.adminUrl });

/** An ISO instant `minutes` from now. */
export const inMinutes = (minutes: number): string => new Date(Date.now() + minutes * 60_000).toISOString();

/** Syncs an agent record (insert row) for `userId`. */
export async function syncAgent(db: TestDb, userId: string, id: string, fields: Record<string, unknown> = {}): Promise<void> {
  await db.sync({
    userId, table: 'agents', recordId: id, op: 'insert',
    data: { id, name: `Agent ${id}`, role: 'planner', state: 'active', maxConcurrentMissions: 1, policy: {},
            createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', ...fields },
  });
}

/** Syncs a mission record (insert row) for `userId`; defaults: active, hourly, due an hour ago. */
export async function syncMission(db: TestDb, userId: string, id: string, fields: Record<string, unknown> = {}): Promise<void> {
  await db.sync({
    userId, table: 'aiMissions', recordId: id, op: 'insert',
    data: { id, title: `Mission ${id}`, conceptMarkdown: '', objective: 'plan', inputs: [], iterations: [],
            state: 'active', cadence: { kind: 'interval', everyMinutes: 60 }, nextRunAt: inMinutes(-60),
            createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', ...fields },
  });
}
