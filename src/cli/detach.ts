/**
 * `mana-ai detach`: the way back. Runs sql/detach.sql as the admin in one transaction (what it removes,
 * and why, is written there) and prints what was removed. `mana-ai migrate` attaches again.
 */
import pg from 'pg';
import { SQL_DIR } from '../db/migrate.js';
import { expandSqlFile } from '../db/sqlfiles.js';
import { parseOptions, withUsage } from './args.js';
import type { CliIo } from './commands.js';
import { withAdminClient } from './db.js';
import { jsonLine } from './format.js';
import { SQLSTATE_CODES, SqlApiError } from '../errors.js';

/** What detach removed. */
export interface DetachResult {
  triggers: string[];
  cronJobs: string[];
  revoked: string[];
}

const USAGE = `mana-ai detach [--json]

The way back (README, "Going back to the reference runner"). In one transaction:
  - drops every trigger on public.sync_changes whose function lives in mana_ai_private
    (found in the catalog), so inserts into the log no longer reach this runner;
  - unschedules the pg_cron jobs named mana-ai-* (tick, retention, cron history);
  - revokes EXECUTE on mana_ai.claim_runs and mana_ai.tick from mana_ai_runner: a listener that is
    still running can no longer claim or enqueue runs;
  - empties mana_ai_private.sql_objects, so the next migrate re-applies every object file.
The log (public.sync_changes rows), the audit rows (mana_ai.decrypt_audit) and the projections stay
as they are. Stop every listener first. \`mana-ai migrate\` attaches again.

Connects as the admin (MANA_AI_ADMIN_DATABASE_URL, falling back to SYNC_DATABASE_URL); dropping a
trigger needs ownership of sync_changes, i.e. a superuser or the sync server's role.

Options:
  --json   what was removed, as one JSON object
`;

/** Detaches the database named by `env` in one transaction (all or nothing). */
export async function detach(env: CliIo['env']): Promise<DetachResult> {
  return withAdminClient(env, 'detach', async (client) => {
    await client.query('begin');
    try {
      await client.query(`select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('mana_ai.migrate'))`);
      await client.query(expandSqlFile(`${SQL_DIR}/detach.sql`));
      const { rows } = await client.query<{ r: DetachResult }>(`select current_setting('mana_ai.detach_result')::jsonb as r`);
      await client.query('commit');
      return rows[0]!.r;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      // MA304 (not the table's owner) and MA305 (never migrated): keep the SQL's detail and hint
      if (error instanceof pg.DatabaseError && error.code !== undefined && error.code in SQLSTATE_CODES) {
        throw new SqlApiError(error.code, [error.message, error.detail, error.hint].filter(Boolean).join(' | '), { cause: error });
      }
      throw error;
    }
  });
}

/** The human form of a detach result. */
export function formatDetach(r: DetachResult): string {
  const list = (xs: string[]) => (xs.length === 0 ? 'none' : xs.join(', '));
  return [
    'detached from public.sync_changes',
    `  triggers dropped    ${list(r.triggers)}`,
    `  pg_cron jobs gone   ${list(r.cronJobs)}`,
    `  revoked from mana_ai_runner  ${list(r.revoked)}`,
    '  the log and the decrypt audit are untouched; `mana-ai migrate` attaches again',
    '',
  ].join('\n');
}

/** The `detach` command. */
export const detachCommand = {
  summary: 'the way back: remove the runner\'s triggers from sync_changes and stop planning; migrate re-attaches (admin)',
  usage: USAGE,
  run(args: string[], io: CliIo): Promise<number> {
    return withUsage('detach', io, async () => {
      const parsed = parseOptions(args, { json: { type: 'boolean' } });
      const result = await detach(io.env);
      io.stdout(parsed.values.json ? jsonLine(result) : formatDetach(result));
      return 0;
    });
  },
};
