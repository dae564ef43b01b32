/**
 * `mana-ai rebuild [--user <id> …]`: re-derives the mission/agent projections of the given users from
 * the log with `mana_ai_private.rebuild_projections` (as the admin) and prints what changed; changed = 0
 * means the incremental projection was exact.
 * Without --user the command lists the users itself: the distinct user ids of ai mission/agent rows in
 * sync_changes. That table has FORCE ROW LEVEL SECURITY (policy sync_changes_user_isolation: one user
 * per transaction), so only a role that bypasses RLS (superuser or BYPASSRLS) can see every user; any
 * other admin gets a clear error asking for --user instead of a silent "0 users".
 */
import { AppError } from '../errors.js';
import { parseOptions, UsageError, withUsage } from './args.js';
import type { CliIo } from './commands.js';
import { explainDbError, withAdminClient, type AdminClient } from './db.js';
import { jsonLine } from './format.js';

/** What rebuild_projections returns. */
export interface RebuildResult {
  users: number;
  records: number;
  changed: number;
  orphans: number;
}

/** The admin role cannot list the users of sync_changes (row-level security); pass --user. */
export class RebuildNeedsUsersError extends AppError {
  constructor(role: string, reason: string, options?: ErrorOptions) {
    super('REBUILD_NEEDS_USERS',
      `cannot list the users of public.sync_changes as role ${role}: ${reason}. ` +
      'sync_changes has FORCE ROW LEVEL SECURITY (policy sync_changes_user_isolation shows one user at a time), ' +
      'so only a superuser or a BYPASSRLS role sees every user. Pass --user <id> for each user to rebuild, ' +
      'or set MANA_AI_ADMIN_DATABASE_URL to such a role', options);
  }
}

const USAGE = `mana-ai rebuild [--user <id> …] [--json]

Re-derives the projection of every ai mission and agent of the given users from the log
(public.sync_changes) with mana_ai_private.rebuild_projections, writes back only rows that differ,
and prints users, records, changed and orphans. changed 0 means the trigger-maintained projection
was exact; a changed row was repaired. Orphans are projection rows without any log row (reported,
not touched).

Which users:
  --user <id>   rebuild this user; repeat for several. Works for any admin role (the function sets
                each user's RLS scope itself).
  (no --user)   every user with ai mission/agent rows in sync_changes. The command reads that list
                itself, which is possible only as a role that bypasses row-level security (superuser
                or BYPASSRLS): sync_changes has FORCE ROW LEVEL SECURITY and shows other roles one
                user at a time. Any other role gets an error asking for --user.

Connects as the admin (MANA_AI_ADMIN_DATABASE_URL, falling back to SYNC_DATABASE_URL).

Options:
  --user <id>   (repeatable) a user to rebuild
  --json        the result as one JSON object
`;

/** The distinct users of ai mission/agent rows, read as a role that bypasses RLS. */
async function listLogUsers(client: AdminClient): Promise<string[]> {
  const { rows: [role] } = await client.query<{ name: string; bypass: boolean }>(
    `select r.rolname as name, r.rolsuper or r.rolbypassrls as bypass from pg_catalog.pg_roles r where r.rolname = current_user`);
  if (!role?.bypass) {
    throw new RebuildNeedsUsersError(role?.name ?? 'unknown', 'it is neither a superuser nor BYPASSRLS');
  }
  try {
    const { rows } = await client.query<{ user_id: string }>('select mana_ai_private.log_user_ids() as user_id');
    return rows.map((r) => r.user_id);
  } catch (error) {
    throw new RebuildNeedsUsersError(role.name, explainDbError(error).message, { cause: error });
  }
}

/** Rebuilds the projections of `users` (undefined: every user in the log) as the admin. */
export async function rebuildProjections(env: CliIo['env'], users: string[] | undefined): Promise<RebuildResult> {
  return withAdminClient(env, 'rebuild', async (client) => {
    const list = users ?? (await listLogUsers(client));
    const { rows } = await client.query<{ r: RebuildResult }>('select mana_ai_private.rebuild_projections($1::text[]) as r', [list]);
    return rows[0]!.r;
  });
}

/** The human form of a rebuild result. */
export function formatRebuild(r: RebuildResult): string {
  return [
    `rebuilt ${r.users} user(s): ${r.records} records, ${r.changed} changed, ${r.orphans} orphans`,
    r.changed === 0
      ? '  the projection matched the log exactly'
      : `  ${r.changed} projection row(s) differed from the log and were repaired`,
    ...(r.orphans > 0 ? [`  ${r.orphans} projection row(s) have no rows in the log (left untouched)`] : []),
    '',
  ].join('\n');
}

/** The `rebuild` command. */
export const rebuildCommand = {
  summary: 're-derive mission/agent projections from sync_changes and repair differences (admin)',
  usage: USAGE,
  run(args: string[], io: CliIo): Promise<number> {
    return withUsage('rebuild', io, async () => {
      const parsed = parseOptions(args, { user: { type: 'string', multiple: true }, json: { type: 'boolean' } });
      const users = parsed.values.user as string[] | undefined;
      if (users?.some((u) => u === '')) throw new UsageError('--user needs a user id');
      const result = await rebuildProjections(io.env, users);
      io.stdout(parsed.values.json ? jsonLine(result) : formatRebuild(result));
      return 0;
    });
  },
};
