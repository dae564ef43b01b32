/**
 * explain_mission answers in codes and src/cli/explain.ts words them: every cause and note code the
 * SQL function can return (read from its source) gets its own sentence in the CLI.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { noteLines, summarize, type Explanation } from '../../../src/cli/explain.js';
import { ROOT } from '../../support/dist.js';

const SQL = readFileSync(join(ROOT, 'sql/mana_ai/functions/explain_mission.sql'), 'utf8');

/** The codes assigned in `v_cause := case … end` after `v_verdict := '<verdict>'`. */
function causes(verdict: string): string[] {
  const block = new RegExp(`v_verdict := '${verdict}';\\s*v_cause := case([\\s\\S]*?)\\bend;`).exec(SQL)?.[1] ?? '';
  return [...block.matchAll(/then '([a-z-]+)'|else '([a-z-]+)'/g)].map((m) => m[1] ?? m[2]!);
}

const base: Explanation = {
  missionId: 'm1', userId: 'u1', now: '2024-06-01T12:00:00.000Z', found: true, verdict: 'due', cause: null, due: true,
  mission: {
    present: true, deleted: false, state: 'active', agentId: 'a1', cadence: { kind: 'cron' }, cadenceError: 'bad cron',
    nextRunAt: null, nextRunAtStored: 42, dueAt: '2024-06-01T11:00:00.000Z', nextSlotIfRunNow: null, rowsApplied: 1, lastChangeAt: null,
  },
  agent: { id: 'a1', resolved: true, found: true, present: true, deleted: false, state: 'paused', name: null, quota: 1, runningLive: 1 },
  gate: 'skipped-paused',
  slot: {
    at: '2024-06-01T11:00:00.000Z', dueNow: true, lateBySeconds: 3600, dueInSeconds: null,
    run: { runId: 7, status: 'failed', attempts: 2, worker: 'w1', quotaBlocked: false, retryAt: null, leaseUntil: null, lastError: 'boom' },
  },
};

for (const verdict of ['no-slot', 'due', 'not-active']) {
  test(`every ${verdict} cause has its own sentence`, () => {
    const codes = causes(verdict);
    assert.ok(codes.length >= 2, `found the ${verdict} causes in explain_mission.sql`);
    const words = codes.map((cause) => summarize({ ...base, verdict, cause }));
    assert.equal(new Set(words).size, codes.length, words.join('\n'));
  });
}

test('every note code has its own sentence', () => {
  const codes = [...SQL.matchAll(/v_notes := v_notes \|\| '([a-z-]+)'/g)].map((m) => m[1]!);
  assert.deepEqual(codes, ['cadence-invalid', 'agent-unresolved', 'agent-gated']);
  const lines = noteLines({ ...base, notes: codes });
  assert.equal(new Set(lines).size, 3);
  assert.ok(lines.every((l, i) => l !== codes[i]), 'no code is printed as is');
});
