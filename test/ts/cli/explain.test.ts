/**
 * `mana-ai explain` against a fresh database: the verdicts come from what the projection trigger folded
 * and what the ledger holds — paused, agent archived, an invalid cadence with its cadence_error, the
 * last run's error, an id two users share, an unknown id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Explanation } from '../../../src/cli/explain.js';
import { freshDatabase, type TestDb } from '../../support/db.js';
import { adminEnv, cli, inMinutes, syncAgent, syncMission } from './support.js';

describe('mana-ai explain', () => {
  let db: TestDb;

  before(async () => {
    db = await freshDatabase();
    await syncAgent(db, 'u1', 'a-arch', { state: 'archived' });
    await syncMission(db, 'u1', 'm-paused', { state: 'paused' });
    await syncMission(db, 'u1', 'm-arch', { agentId: 'a-arch' });
    await syncMission(db, 'u1', 'm-badcad', { cadence: { kind: 'daily', atHour: 24, atMinute: 0 }, nextRunAt: null });
    await syncMission(db, 'u1', 'm-failed');
    await syncMission(db, 'u1', 'm-later', { nextRunAt: inMinutes(120) });
    await syncMission(db, 'u1', 'm-shared', { nextRunAt: inMinutes(120) });
    await syncMission(db, 'u2', 'm-shared', { nextRunAt: inMinutes(120) });
    // The trigger queued m-failed; a listener tried once and the LLM timed out.
    await db.admin.query(`update mana_ai.runs set status = 'failed', attempts = 1, worker = 'w1', claimed_at = now(),
                                 retry_at = now() + interval '30 seconds', error_class = 'llm:timeout',
                                 last_error = 'mana-llm timeout after 3000 ms' where mission_id = 'm-failed'`);
  });
  after(() => db?.drop());

  test('a paused mission: "paused"', async () => {
    const { code, stdout } = await cli(['explain', 'm-paused'], adminEnv(db));
    assert.equal(code, 0);
    assert.match(stdout, /^mission m-paused of user u1: not-active$/m);
    assert.match(stdout, /the mission is paused/);
  });

  test('a mission of an archived agent: "agent archived"', async () => {
    const { code, stdout } = await cli(['explain', 'm-arch', '--user', 'u1'], adminEnv(db));
    assert.equal(code, 0);
    assert.match(stdout, /agent archived/);
    assert.match(stdout, /^gate\s+skipped-archived$/m);
  });

  test('an invalid cadence shows its cadence_error', async () => {
    const { code, stdout } = await cli(['explain', 'm-badcad'], adminEnv(db));
    assert.equal(code, 0);
    assert.match(stdout, /: no-slot$/m);
    assert.match(stdout, /INVALID — cadence_error: daily cadence: atHour must be an integer 0-23, got 24/);
  });

  test('a due mission whose run failed shows the run and its error', async () => {
    const { code, stdout } = await cli(['explain', 'm-failed'], adminEnv(db));
    assert.equal(code, 0);
    assert.match(stdout, /: due$/m);
    assert.match(stdout, /failed \(attempt 1: mana-llm timeout after 3000 ms\); retry at /);
    assert.match(stdout, /failed\s+1\s+w1\s+llm:timeout: mana-llm timeout after 3000 ms/);
  });

  test('a future slot is not due yet', async () => {
    const { code, stdout } = await cli(['explain', 'm-later'], adminEnv(db));
    assert.equal(code, 0);
    assert.match(stdout, /not due yet: next slot/);
  });

  test('--json is the SQL function\'s answer', async () => {
    const { code, stdout } = await cli(['explain', 'm-failed', '--json'], adminEnv(db));
    assert.equal(code, 0);
    const e = JSON.parse(stdout) as Explanation;
    assert.equal(e.verdict, 'due');
    assert.equal(e.userId, 'u1');
    assert.equal(e.slot?.run?.status, 'failed');
    assert.equal(e.runs?.[0]?.lastError, 'mana-llm timeout after 3000 ms');
  });

  test('an id two users share: lists the users and asks for --user (exit 2); --user picks one', async () => {
    const ambiguous = await cli(['explain', 'm-shared'], adminEnv(db));
    assert.equal(ambiguous.code, 2);
    assert.equal(ambiguous.stdout, '');
    assert.match(ambiguous.stderr, /2 users have a mission with id m-shared: u1, u2/);
    assert.match(ambiguous.stderr, /--user/);
    const picked = await cli(['explain', 'm-shared', '--user', 'u2'], adminEnv(db));
    assert.equal(picked.code, 0);
    assert.match(picked.stdout, /^mission m-shared of user u2: not-yet-due$/m);
  });

  test('an unknown mission exits 1 and says so; no id at all is a usage error', async () => {
    const missing = await cli(['explain', 'nope'], adminEnv(db));
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /no user has a projected ai mission with id nope/);
    const otherUser = await cli(['explain', 'm-paused', '--user', 'u2'], adminEnv(db));
    assert.equal(otherUser.code, 1);
    assert.match(otherUser.stdout, /user u2 has no projected ai mission with id m-paused/);
    const none = await cli(['explain'], adminEnv(db));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /a mission id is required/);
  });
});
