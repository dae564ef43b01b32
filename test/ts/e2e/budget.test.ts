/**
 * The per-agent token budget end to end: two real listeners, the loopback fake LLM answering with
 * `usage.total_tokens`, an agent with maxTokensPerDay 1,000 whose missions cost 600 each. Usage is
 * recorded with each attempt's outcome (also for a plan that does not parse), the claim stops the
 * agent once its usage of the last 24 h reaches the budget (the run in flight may overshoot), the
 * waiting missions stay due, and the listener's next-wakeup timer claims them when the window frees.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, type TestDb } from '../../support/db.js';
import {
  agentRow, metricValue, missionRow, missionTitleOf, requestsFor, runsOf, scrape, sleep, startRunner, waitForRun,
  type RunningApp,
} from '../../support/e2e-kit.js';
import { chatCompletion, planText, startFakeLlm, type FakeLlm, type FakeLlmReplySpec } from '../../../src/dev/fake-llm.js';

const USER = 'budget-user';
/** A gateway answer carrying `content` and `usage.total_tokens = tokens`. */
const answer = (content: string, tokens: number): FakeLlmReplySpec => {
  const body = chatCompletion(content) as Record<string, unknown>;
  return { json: { ...body, usage: { prompt_tokens: tokens - 100, completion_tokens: 100, total_tokens: tokens } } };
};
const EMPTY = planText({ summary: 'Nichts', steps: [] });
const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

describe('token budget: two listeners, budget 1,000, 600 tokens per mission', () => {
  let db: TestDb;
  let llm: FakeLlm;
  let a: RunningApp;
  let b: RunningApp;

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    llm.setDefault(async (request) => {
      await sleep(60); // runs overlap across the two listeners
      const title = missionTitleOf(request) ?? '';
      if (title === 'Budget 1') return answer('Ich habe leider keinen Plan.', 600); // does not parse, still costs
      if (title === 'Free') return answer(EMPTY, 5000);
      return answer(EMPTY, 600);
    });
    a = await startRunner(db, llm, { worker: 'budget-a' });
    b = await startRunner(db, llm, { worker: 'budget-b' });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await llm?.close();
    await db?.drop();
  });

  const usage = async () => (await db.admin.query<{ mission_id: string; tokens: string; attempt: number }>(
    `select mission_id, tokens::text, attempt from mana_ai_private.run_tokens where user_id = $1 order by mission_id`,
    [USER])).rows;

  test('the budget stops the agent after the run in flight; a failed parse counts; other agents go on', async () => {
    await db.sync([
      agentRow(USER, 'capped', { maxTokensPerDay: 1000, maxConcurrentMissions: 1 }),
      agentRow(USER, 'free-agent', { maxTokensPerDay: 'viel', maxConcurrentMissions: 1 }),
    ]);
    // One commit: NOTIFY wakes both listeners at once. Slots in title order, so the claim order is known.
    await db.sync([
      ...[1, 2, 3, 4].map((i) => missionRow(USER, `bud-${i}`, { title: `Budget ${i}`, agentId: 'capped', nextRunAt: at(i) })),
      missionRow(USER, 'free', { title: 'Free', agentId: 'free-agent', nextRunAt: at(5) }),
    ]);
    await waitForRun(db, USER, 'bud-1', ['failed'], 15_000);
    await waitForRun(db, USER, 'bud-2', ['done'], 15_000);
    await waitForRun(db, USER, 'free', ['done'], 15_000);
    await a.app.tickNow();
    await b.app.tickNow();
    await sleep(300); // a wrong third claim of the capped agent would surface here

    assert.equal(requestsFor(llm, 'Budget 1').length, 1);
    assert.equal(requestsFor(llm, 'Budget 2').length, 1, 'claimed at 600 of 1,000 (below the budget): it overshoots to 1,200');
    assert.equal(requestsFor(llm, 'Budget 3').length, 0, 'at 1,200 of 1,000 nothing more of the agent is claimed');
    assert.equal(requestsFor(llm, 'Budget 4').length, 0);
    const [run1] = await runsOf(db, USER, 'bud-1');
    assert.equal(run1?.error_class, 'parse', 'bud-1 failed to parse');
    assert.deepEqual(await usage(), [
      { mission_id: 'bud-1', tokens: '600', attempt: 1 },
      { mission_id: 'bud-2', tokens: '600', attempt: 1 },
      { mission_id: 'free', tokens: '5000', attempt: 1 },
    ], 'one ledger row per attempt that received an answer, the failed parse included');
    for (const id of ['bud-3', 'bud-4']) {
      assert.deepEqual((await runsOf(db, USER, id)).map((r) => r.status), ['queued'], `${id} waits, still due`);
    }
    const { rows: budget } = await db.admin.query(
      `select agent_id, budget::int, used_24h::int, over_budget, waiting::int from mana_ai.v_token_budget where user_id = $1`, [USER]);
    assert.deepEqual(budget, [
      // bud-3 waits for the budget; bud-4 behind it counts against quota 1 first (archived → paused →
      // concurrency → budget), so the budget holds back one run
      { agent_id: 'capped', budget: 1000, used_24h: 1200, over_budget: true, waiting: 1 },
      { agent_id: 'free-agent', budget: null, used_24h: 5000, over_budget: null, waiting: 0 },
    ], 'the view shows usage beside the budget; a non-numeric budget is no limit');

    const [ma, mb] = [await scrape(a.base), await scrape(b.base)];
    assert.equal(metricValue(ma, 'mana_ai_tokens_used_total') + metricValue(mb, 'mana_ai_tokens_used_total'), 6200,
      'mana_ai_tokens_used_total counts every received answer across both listeners');
    assert.ok(metricValue(ma, 'mana_ai_agent_decisions_total', { decision: 'skipped-budget' }) >= 2,
      'the ticks counted the decision skipped-budget');
  });

  test('when the window frees, the next-wakeup timer claims the waiting mission, and the budget holds again', async () => {
    // Move the agent's usage back in time, as the test clock would move time forward: bud-1's 600 leave
    // the 24-hour window 1.5 s from now, which leaves 600 (< 1,000) in it.
    await db.admin.query(`
      update mana_ai_private.run_tokens
         set recorded_at = now() - interval '24 hours' + case mission_id when 'bud-1' then interval '1.5 seconds' else interval '1 hour' end
       where user_id = $1 and agent_id = 'capped'`, [USER]);
    const { rows: [view] } = await db.admin.query(
      `select frees_at, (select mana_ai.next_wakeup()) as next from mana_ai.v_token_budget where agent_id = 'capped'`);
    assert.ok(view.frees_at instanceof Date && view.next instanceof Date);
    assert.ok(view.next.getTime() <= view.frees_at.getTime(), 'next_wakeup() is no later than the instant the window frees');
    const before3 = requestsFor(llm, 'Budget 3').length;
    // Any wake-up re-arms the timer from next_wakeup(); this one still finds the agent over budget.
    await a.app.tickNow();
    await b.app.tickNow();
    assert.equal(requestsFor(llm, 'Budget 3').length, before3, 'still over budget until the window frees');

    await waitForRun(db, USER, 'bud-3', ['done'], 15_000); // the timer fired at frees_at and claimed it
    await sleep(300);
    assert.equal(requestsFor(llm, 'Budget 3').length, 1);
    assert.equal(requestsFor(llm, 'Budget 4').length, 0, '600 + 600 reach the budget again: bud-4 waits');
    assert.deepEqual((await runsOf(db, USER, 'bud-4')).map((r) => r.status), ['queued']);
  });
});
