/**
 * `mana-ai status` against a fresh database: the counts it prints are the rows the test put in (through
 * the log and the ledger), in text and JSON; it writes nothing; the listener's role is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Status } from '../../../src/cli/status.js';
import { freshDatabase, type TestDb } from '../../support/db.js';
import { adminEnv, cli, inMinutes, syncAgent, syncMission } from './support.js';

describe('mana-ai status', () => {
  let db: TestDb;
  const nextDue = inMinutes(90);

  before(async () => {
    db = await freshDatabase();
    await syncAgent(db, 'u1', 'a1', { maxConcurrentMissions: 1 });
    await syncAgent(db, 'u1', 'a-arch', { state: 'archived' });
    await syncMission(db, 'u1', 'm-run', { agentId: 'a1', nextRunAt: inMinutes(-30) });
    await syncMission(db, 'u1', 'm-wait', { agentId: 'a1', nextRunAt: inMinutes(-20) });
    await syncMission(db, 'u1', 'm-gated', { agentId: 'a-arch' });
    await syncMission(db, 'u2', 'm-future', { nextRunAt: nextDue });
    await syncMission(db, 'u2', 'm-bad', { cadence: { kind: 'fortnightly' }, nextRunAt: null });
    // The trigger queued m-run and m-wait; a listener holds m-run; older slots failed and died.
    await db.admin.query(`update mana_ai.runs set status = 'running', attempts = 1, worker = 'w1', lease_token = gen_random_uuid(),
                                 lease_until = now() + interval '5 minutes', claimed_at = now() where mission_id = 'm-run'`);
    await db.admin.query(`insert into mana_ai.runs (user_id, mission_id, slot, became_due_at, status, attempts, retry_at, finished_at,
                                                    error_class, last_error) values
      ('u2', 'm-future', now() - interval '2 hours', now() - interval '2 hours', 'failed', 1, now() + interval '1 minute', null, 'llm:timeout', 'slow'),
      ('u2', 'm-bad', now() - interval '3 hours', now() - interval '3 hours', 'dead', 3, null, now() - interval '1 hour', 'parse', 'no plan')`);
  });
  after(() => db?.drop());

  test('--json counts exactly the rows put in', async () => {
    const { code, stdout, stderr } = await cli(['status', '--json'], adminEnv(db));
    assert.equal(code, 0, stderr);
    const s = JSON.parse(stdout) as Status;
    assert.deepEqual(s.missions, {
      projected: 5, dueNow: 2, gatedNow: 1, nextDueAt: nextDue,
      oldestDueAt: (await db.admin.query(`select mana_ai_private.to_iso(due_at) t from mana_ai_private.projections where record_id = 'm-run'`)).rows[0].t,
    });
    assert.equal(s.runs.queued, 1);
    assert.equal(s.runs.running, 1);
    assert.equal(s.runs.runningLive, 1);
    assert.equal(s.runs.failed, 1);
    assert.equal(s.runs.failedRetryPending, 1);
    assert.equal(s.runs.dead, 1);
    assert.equal(s.runs.dead24h, 1);
    assert.deepEqual(s.quarantine, { total: 1, last24h: 1, skipped: 0 }, 'the unknown cadence kind was quarantined (applied)');
    assert.deepEqual(s.capture, { rows: 0, oldestCapturedAt: null, oldestAgeSeconds: 0 }, 'db.sync folded everything');
    assert.equal(s.pgCron, false, 'the test clone has no pg_cron');
    const a1 = s.agents.find((a) => a.agentId === 'a1');
    assert.deepEqual(
      a1 && { running: a1.running, queued: a1.queued, blocked: a1.blocked, quota: a1.quota, atQuota: a1.atQuota },
      { running: 1, queued: 1, blocked: 1, quota: 1, atQuota: true },
      'a1 runs one of one; its second mission waits behind the quota');
    assert.equal(s.agents.find((a) => a.agentId === 'a-arch')?.gated, 1, 'the archived agent gates its due mission');
  });

  test('text output says the same in words', async () => {
    const { code, stdout } = await cli(['status'], adminEnv(db));
    assert.equal(code, 0);
    assert.match(stdout, /missions\s+5 projected, 2 due now, 1 due but gated by their agent/);
    assert.match(stdout, /runs\s+1 queued, 1 running \(1 live lease, 0 expired\), 1 failed \(1 retry pending\), 1 dead/);
    assert.ok(stdout.includes(`next due    ${nextDue} (in 1 h `), stdout);
    assert.match(stdout, /quarantine\s+1 row \(1 in the last 24 h, 0 skipped entirely\)/);
    assert.match(stdout, /capture\s+nothing waiting to be folded/);
    assert.match(stdout, /pg_cron\s+absent/);
    assert.match(stdout, /u1\s+a1\s+active\s+1\/1 full\s+0\s+1\s+0\s+1\s+0/);
  });

  test('status writes nothing', async () => {
    const snapshot = async () => (await db.admin.query(
      `select (select ticks from mana_ai_private.tick_state) ticks,
              (select jsonb_agg(to_jsonb(r) order by run_id) from mana_ai.runs r) runs,
              (select count(*) from mana_ai_private.counter_deltas) deltas`)).rows[0];
    const before = await snapshot();
    assert.equal((await cli(['status'], adminEnv(db))).code, 0);
    assert.equal((await cli(['status', '--json'], adminEnv(db))).code, 0);
    assert.deepEqual(await snapshot(), before);
  });

  test('the listener\'s role is refused with a hint to use the admin URL', async () => {
    const { code, stderr } = await cli(['status'], { MANA_AI_ADMIN_DATABASE_URL: db.runnerUrl });
    assert.equal(code, 1);
    assert.match(stderr, /permission denied/);
    assert.match(stderr, /MANA_AI_ADMIN_DATABASE_URL/);
    assert.match(stderr, /\[PERMISSION_DENIED\]/);
  });

  test('an unknown option is a usage error (exit 2)', async () => {
    const { code, stderr } = await cli(['status', '--verbose'], adminEnv(db));
    assert.equal(code, 2);
    assert.match(stderr, /mana-ai status --help/);
  });
});
