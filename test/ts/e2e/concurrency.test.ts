/**
 * Several listeners on one database (KI-10, docs/scheduling.md §5.3–5.4): two real app instances with
 * different worker names drain the same ledger. One plan per slot across instances, the per-agent
 * quota counted across instances, gated agents never reach the LLM, a deleted agent plans as the
 * legacy principal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, waitFor, type TestDb } from '../../support/db.js';
import {
  agentRow, metricValue, missionRow, missionTitleOf, requestsFor, scrape, sleep, startRunner, waitForRun, writeBacksOf,
  type RunningApp,
} from '../../support/e2e-kit.js';
import { startFakeLlm, type FakeLlm, type FakeLlmReplySpec } from '../../../src/dev/fake-llm.js';

const EMPTY_PLAN = { content: '```json\n{"summary": "Nichts", "steps": []}\n```' } as const;

describe('two listeners on one database', () => {
  let db: TestDb;
  let llm: FakeLlm;
  let a: RunningApp;
  let b: RunningApp;
  /** Per-title-prefix bookkeeping of requests the fake is still answering. */
  const open = new Map<string, number>();
  const maxOpen = new Map<string, number>();
  let delayMs = 40;

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    // Every answer is delayed, so runs overlap; requests are counted open until their answer goes out.
    llm.setDefault(async (request): Promise<FakeLlmReplySpec> => {
      const group = (missionTitleOf(request) ?? '').split(' ')[0]!;
      const now = (open.get(group) ?? 0) + 1;
      open.set(group, now);
      maxOpen.set(group, Math.max(maxOpen.get(group) ?? 0, now));
      await sleep(delayMs);
      open.set(group, (open.get(group) ?? 1) - 1);
      return EMPTY_PLAN;
    });
    a = await startRunner(db, llm, { worker: 'listener-a' });
    b = await startRunner(db, llm, { worker: 'listener-b' });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await llm?.close();
    await db?.drop();
  });

  test('50 due missions of 5 users: each gets exactly one iteration, both listeners share the work', async () => {
    delayMs = 40;
    const rows = [];
    for (let u = 1; u <= 5; u += 1) {
      for (let i = 1; i <= 10; i += 1) rows.push(missionRow(`bulk-user-${u}`, `bulk-${u}-${i}`, { title: `Bulk ${u}-${i}` }));
    }
    // Five commits (one per user), so NOTIFY wakes both listeners several times while they drain.
    for (let u = 0; u < 5; u += 1) await db.sync(rows.slice(u * 10, u * 10 + 10));

    await waitFor(async () => {
      const { rows: r } = await db.admin.query(`select count(*)::int n from mana_ai.runs where mission_id like 'bulk-%' and status = 'done'`);
      return r[0].n === 50;
    }, 30_000);
    // Let any (wrong) second claim surface before counting.
    await sleep(300);

    const { rows: perMission } = await db.admin.query(`
      select record_id, count(*)::int n from public.sync_changes
       where client_id = 'mana-ai-runner' and record_id like 'bulk-%' group by record_id`);
    assert.equal(perMission.length, 50, 'every mission was written back');
    assert.deepEqual(perMission.filter((r) => r.n !== 1), [], 'no mission was written back twice');
    const { rows: runs } = await db.admin.query(`
      select status, count(*)::int n, sum(attempts)::int attempts, count(distinct worker)::int workers
        from mana_ai.runs where mission_id like 'bulk-%' group by status`);
    assert.deepEqual(runs, [{ status: 'done', n: 50, attempts: 50, workers: 2 }], 'one run per slot, one attempt each, both listeners worked');
    const bulkRequests = llm.requests.filter((r) => (missionTitleOf(r) ?? '').startsWith('Bulk '));
    assert.equal(bulkRequests.length, 50, 'one LLM call per mission');
    assert.equal(new Set(bulkRequests.map(missionTitleOf)).size, 50);
  });

  test('maxConcurrentMissions 1: five missions of one agent never run at the same time, even across listeners', async () => {
    delayMs = 250;
    await db.sync(agentRow('quota-user', 'quota-agent', { maxConcurrentMissions: 1 }));
    await db.sync(Array.from({ length: 5 }, (_, i) =>
      missionRow('quota-user', `quota-${i}`, { title: `Quota ${i}`, agentId: 'quota-agent' })));
    for (let i = 0; i < 5; i += 1) await waitForRun(db, 'quota-user', `quota-${i}`, ['done'], 20_000);

    assert.equal(maxOpen.get('Quota'), 1, 'never more than one LLM request of the agent open at once');
    for (let i = 0; i < 5; i += 1) {
      assert.equal(requestsFor(llm, `Quota ${i}`).length, 1, `mission ${i} planned once`);
      assert.equal((await writeBacksOf(db, 'quota-user', `quota-${i}`)).length, 1);
    }
    // The requests came one after another: each started after the previous one was answered.
    const starts = [0, 1, 2, 3, 4].map((i) => requestsFor(llm, `Quota ${i}`)[0]!.receivedAt.perf).sort((x, y) => x - y);
    for (let i = 1; i < starts.length; i += 1) assert.ok(starts[i]! - starts[i - 1]! >= delayMs - 5, `request ${i} started after the previous answer`);
    const { rows } = await db.admin.query(`select distinct agent_id from mana_ai.runs where user_id = 'quota-user'`);
    assert.deepEqual(rows, [{ agent_id: 'quota-agent' }], 'the ledger knows the agent of each run');
  });

  test('a paused and an archived agent: their due missions cause no LLM call and no run', async () => {
    delayMs = 10;
    await db.sync([
      agentRow('gate-user', 'paused-agent', { state: 'paused' }),
      agentRow('gate-user', 'archived-agent', { state: 'archived' }),
    ]);
    await db.sync([
      missionRow('gate-user', 'gated-paused', { title: 'Gated paused', agentId: 'paused-agent' }),
      missionRow('gate-user', 'gated-archived', { title: 'Gated archived', agentId: 'archived-agent' }),
      missionRow('gate-user', 'gate-control', { title: 'Gate control' }),
    ]);
    await waitForRun(db, 'gate-user', 'gate-control', ['done']);
    const stats = await a.app.tickNow();
    await b.app.tickNow();
    assert.ok(stats.dueMissionCount >= 2, 'the gated missions are due (and counted as such)');
    await sleep(200);

    assert.equal(requestsFor(llm, 'Gated paused').length, 0, 'paused: no LLM call');
    assert.equal(requestsFor(llm, 'Gated archived').length, 0, 'archived: no LLM call');
    const { rows } = await db.admin.query(`select mission_id, status from mana_ai.runs where mission_id like 'gated-%'`);
    assert.deepEqual(rows, [], 'gated missions are neither enqueued nor claimed');
    assert.deepEqual(await writeBacksOf(db, 'gate-user', 'gated-paused'), []);
    assert.deepEqual(await writeBacksOf(db, 'gate-user', 'gated-archived'), []);
    const metrics = await scrape(a.base);
    assert.ok(metricValue(metrics, 'mana_ai_agent_decisions_total', { decision: 'skipped-paused' }) >= 1);
    assert.ok(metricValue(metrics, 'mana_ai_agent_decisions_total', { decision: 'skipped-archived' }) >= 1);

    // Resuming the agent makes its mission plannable at once (the trigger enqueues and notifies).
    await db.sync({ userId: 'gate-user', table: 'agents', recordId: 'paused-agent', op: 'update',
      data: { state: 'active' }, fieldTimestamps: { state: new Date().toISOString() } });
    await waitForRun(db, 'gate-user', 'gated-paused', ['done']);
    assert.equal(requestsFor(llm, 'Gated paused').length, 1);
    assert.equal(requestsFor(llm, 'Gated archived').length, 0);
  });

  test('a deleted agent: its mission is planned as the legacy principal', async () => {
    delayMs = 10;
    await db.sync(agentRow('del-user', 'doomed-agent', { name: 'Bald weg' }));
    await db.sync({ userId: 'del-user', table: 'agents', recordId: 'doomed-agent', op: 'delete', data: { deletedAt: new Date().toISOString() } });
    await db.sync(missionRow('del-user', 'orphan', { title: 'Orphan', agentId: 'doomed-agent', objective: 'Weiter ohne Agent' }));
    const run = await waitForRun(db, 'del-user', 'orphan', ['done']);
    const [row, ...more] = await writeBacksOf(db, 'del-user', 'orphan');
    assert.equal(more.length, 0);
    assert.deepEqual(row!.actor, {
      kind: 'ai', principalId: 'legacy:ai-default', displayName: 'Mana', missionId: 'orphan', iterationId: run.iteration_id,
      rationale: 'Weiter ohne Agent',
    });
    assert.equal(run.agent_id, null, 'no agent in the ledger: no quota applies');
  });
});
