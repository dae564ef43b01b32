/**
 * The backfill `mana-ai migrate` ends with (docs/architecture.md, "Capture, then fold"): ai rows the log
 * holds and the projection has never folded — every row of a live Mana database the runner is installed
 * on, or rows written while it was removed — are put on the capture queue
 * (mana_ai_private.backfill_capture) and folded in batches of FOLD_BATCH, each its own transaction, with
 * a progress line on stderr. Resumable: a kill leaves the unfolded rest queued (and the next migrate,
 * or any listener, folds it); idempotent: a run with nothing to do queues nothing. Due missions are
 * enqueued by the fold like any other change, so each due slot is planned once.
 */
import type pg from 'pg';
import type { Logger } from '../log.js';

export const BACKFILL_BATCH = 1_000;

export interface BackfillResult {
  /** Rows the queue held when folding started (queued now plus any a killed run left behind). */
  total: number;
  /** Rows folded by this run. */
  folded: number;
  /** The admin cannot read every user's rows (no superuser, no BYPASSRLS): nothing was queued. */
  skipped: boolean;
  seconds: number;
}

export interface BackfillOptions {
  logger: Logger;
  /** Receives human progress lines ("backfill: 12,000 / 100,000 rows …"); default: nothing. */
  progress?: (line: string) => void;
  /** How often a progress line is written; default 2,000 ms. */
  progressEveryMs?: number;
}

const n = (v: number) => v.toLocaleString('en-US');

/** Queues what the projection has not seen and folds the whole queue. `client` is the admin's own connection. */
export async function backfill(client: pg.Client, options: BackfillOptions): Promise<BackfillResult> {
  const { logger } = options;
  const progress = options.progress ?? (() => undefined);
  const started = Date.now();
  // NULL queued: this role cannot read every user's rows (backfill_capture says so itself)
  const { rows: [q] } = await client.query<{ queued: string | null }>('select mana_ai_private.backfill_capture() as queued');
  const skipped = q!.queued === null;
  if (!skipped && Number(q!.queued) > 0) logger.info('backfill: rows the projection has not seen were queued', { rows: Number(q!.queued) });
  if (skipped) {
    logger.warn('backfill skipped: this admin role cannot read every user\'s sync_changes rows (needs superuser or BYPASSRLS); ' +
      'rows already in the log are projected only as they change, or by `mana-ai rebuild --user …`');
  }
  const { rows: [t] } = await client.query<{ n: number }>('select count(*)::int as n from mana_ai_private.captured');
  const total = t!.n;
  let folded = 0;
  if (total > 0) {
    let lastReport = Date.now();
    const every = options.progressEveryMs ?? 2_000;
    progress(`backfill: ${n(total)} rows to fold`);
    for (;;) {
      const { rows: [r] } = await client.query<{ rows: number }>(`select (mana_ai.fold($1) ->> 'rows')::int as rows`, [BACKFILL_BATCH]);
      folded += r!.rows;
      const last = r!.rows < BACKFILL_BATCH;
      if (last || Date.now() - lastReport >= every) {
        lastReport = Date.now();
        const secs = Math.max(0.001, (Date.now() - started) / 1000);
        const rate = folded / secs;
        const left = Math.max(0, total - folded);
        progress(`backfill: ${n(folded)} / ${n(total)} rows (${Math.min(100, Math.floor((folded / total) * 100))} %), ` +
          `${n(Math.round(rate))} rows/s, ${last ? 'done' : `ETA ${n(Math.ceil(left / Math.max(1, rate)))} s`}`);
      }
      if (last) break;
    }
  }
  const seconds = (Date.now() - started) / 1000;
  if (folded > 0) logger.info('backfill done', { folded, seconds });
  return { total, folded, skipped, seconds };
}
