/**
 * Scenario 1: `kill -9` of the real listener process while its LLM calls are in flight (the fake LLM
 * answers after 2.5 s), twice in a row, each time restarted like a supervisor would. The lease is
 * 1500 ms (heartbeats stop with the process), so every killed run becomes claimable 1.5 s later and
 * must complete exactly once: one `done` run per slot, one write-back per iteration, never re-claimed
 * before its lease ran out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  checkIntegrity, insertRows, kill9, killAll, recordResult, serveEnv, spawnServe, terminate, until, type Expected,
} from '../support/chaos-kit.js';
import { freshDatabase, type TestDb } from '../support/db.js';
import { missionRow, missionTitleOf } from '../support/e2e-kit.js';
import { planText, startFakeLlm, type FakeLlm } from '../../src/dev/fake-llm.js';

const SLOW = { content: planText({ summary: 'Langsam', steps: [] }), delayMs: 2_500 };

describe('scenario 1: kill -9 of the listener with LLM calls in flight', () => {
  let db: TestDb;
  let llm: FakeLlm;

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    llm.setDefault(SLOW);
  });
  after(async () => {
    await killAll();
    await llm?.close();
    await db?.drop();
  });

  test('12 missions, two kills mid-flight: every run done exactly once, re-claimed only after its lease expired', async () => {
    const env = serveEnv(db.runnerUrl, llm.url, { MANA_AI_LEASE_MS: '1500', MANA_AI_CONCURRENCY: '4', TICK_INTERVAL_MS: '2000' });
    const expected: Expected[] = [];
    const rows = [];
    for (let u = 1; u <= 3; u += 1) {
      for (let i = 1; i <= 4; i += 1) {
        const [userId, missionId] = [`kill-user-${u}`, `kill-${u}-${i}`];
        expected.push({ userId, missionId });
        rows.push(missionRow(userId, missionId, { title: `Kill ${u}-${i}` }));
      }
    }

    type Held = { run_id: string; attempts: number; lease_until: Date; worker: string };
    /** Runs the process with this pid holds a live lease on. */
    const held = async (pid: number): Promise<Held[]> => (await db.admin.query<Held>(
      `select run_id, attempts, lease_until, worker from mana_ai.runs
        where status = 'running' and lease_until > now() and worker like '%:' || $1 order by run_id`, [pid])).rows;
    const killed: { listener: string; runs: Held[] }[] = [];

    let listener = spawnServe('listener-1', env);
    await listener.started();
    await insertRows(db.admin, rows, 4); // one statement (and NOTIFY) per user

    for (const next of ['listener-2', 'listener-3']) {
      const before = llm.requests.length;
      // The process has LLM calls open: the fake got requests and has not answered them yet.
      await until(async () => llm.requests.length >= before + 4 && (await held(listener.pid)).length === 4, 15_000,
        async () => `requests ${llm.requests.length}, running ${(await held(listener.pid)).length}`, 20);
      const runs = await held(listener.pid);
      await kill9(listener);
      killed.push({ listener: listener.name, runs });
      assert.ok(runs.every((r) => r.worker.endsWith(`:${listener.pid}`)), 'the killed process held these leases');
      listener = spawnServe(next, env);
      await listener.started();
    }

    await until(async () => {
      const { rows: r } = await db.admin.query(`select count(*)::int n from mana_ai.runs where status = 'done'`);
      return r[0].n === expected.length;
    }, 40_000, async () => JSON.stringify((await db.admin.query('select status, count(*) from mana_ai.runs group by 1')).rows));

    const result = await checkIntegrity(db.admin, expected);
    assert.deepEqual(result.problems, []);
    assert.equal(result.lost, 0);
    assert.equal(result.duplicated, 0);
    assert.deepEqual(result.statuses, { done: 12 });

    const { rows: final } = await db.admin.query<{ run_id: string; attempts: number; claimed_at: Date; mission_id: string; title: string }>(
      `select run_id, attempts, claimed_at, mission_id from mana_ai.runs order by run_id`);
    for (const { listener: name, runs } of killed) {
      for (const r of runs) {
        const now = final.find((f) => f.run_id === r.run_id)!;
        assert.ok(now.attempts > r.attempts, `run ${r.run_id} killed in ${name} was claimed again`);
        assert.ok(now.claimed_at.getTime() >= r.lease_until.getTime(),
          `run ${r.run_id} re-claimed at ${now.claimed_at.toISOString()}, not before its lease ended at ${r.lease_until.toISOString()}`);
      }
    }
    // Every LLM request belongs to one claim; a claim whose process died before it sent the request
    // (claimed into a slot freed just before the kill) costs an attempt but no request.
    for (const f of final) {
      const n = llm.requests.filter((q) => missionTitleOf(q) === `Kill ${f.mission_id.slice(5)}`).length;
      assert.ok(n >= 1 && n <= f.attempts, `LLM requests of ${f.mission_id}: ${n} for ${f.attempts} attempts`);
    }
    assert.equal(await terminate(listener), 0, 'the last listener stops cleanly');

    const killedRuns = new Set(killed.flatMap((k) => k.runs.map((r) => r.run_id))).size;
    recordResult({
      scenario: '1 kill -9 listener mid-LLM',
      inputs: `12 missions/3 users, 2 SIGKILLs with 4 calls in flight each (${killedRuns} distinct runs), lease 1500 ms`,
      outcome: `12/12 done; killed runs re-claimed after lease expiry; ${llm.requests.length} LLM calls for ${final.reduce((n, f) => n + f.attempts, 0)} attempts`,
      lost: result.lost,
      duplicated: result.duplicated,
    });
  });
});
