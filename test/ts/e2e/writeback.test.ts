/**
 * End to end through the real product: a sync_changes insert makes a mission due → the trigger
 * enqueues and notifies → the listener (connected as a mana_ai_runner member) claims, prompts the
 * loopback fake LLM, parses and hands the iteration to complete_run → the write-back row, checked
 * field by field against docs/writeback.md.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { silentLogger } from '../../../src/log.js';
import { freshDatabase, waitFor, type TestDb } from '../../support/db.js';
import { planText, startFakeLlm, type FakeLlm } from '../../../src/dev/fake-llm.js';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('write-back end to end', () => {
  let db: TestDb;
  let llm: FakeLlm;
  let app: App;

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    llm.setDefault({
      content: planText({
        summary: 'Zwei Schritte',
        steps: [
          { summary: 'Aufgabe anlegen', toolName: 'create_task', params: { title: 'Bericht schreiben', priority: 'high' }, rationale: 'weil' },
          { summary: '', toolName: 'create_event', params: { title: 'Review', startTime: '2026-12-01T10:00:00.000Z', endTime: '2026-12-01T11:00:00.000Z' }, rationale: 'Termin nötig' },
        ],
      }),
    });
    const config = loadConfig({
      SYNC_DATABASE_URL: db.runnerUrl, MANA_LLM_URL: llm.url, MANA_SERVICE_KEY: 'svc-key', PORT: '0',
      TICK_ENABLED: 'false', MANA_LLM_TIMEOUT_MS: '3000', MANA_AI_TIMEZONE: 'Europe/Berlin', LOG_LEVEL: 'error',
    });
    app = createApp({ config, logger: silentLogger, version: '0.0.0-test', worker: 'e2e' });
    await app.start();
  });
  after(async () => {
    await app?.stop();
    await llm?.close();
    await db?.drop();
  });

  test('a mission that becomes due is planned once and written back exactly as the webapp expects', async () => {
    const before = new Date();
    await db.sync([
      { userId: 'user-1', table: 'agents', recordId: 'agent-1', op: 'insert',
        data: { id: 'agent-1', name: 'Planer', role: 'Assistent', state: 'active', maxConcurrentMissions: 1,
                policy: { tools: {}, defaultForAi: 'propose' }, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' } },
      { userId: 'user-1', table: 'aiMissions', recordId: 'mission-1', op: 'insert',
        data: { id: 'mission-1', title: 'Wochenbericht', conceptMarkdown: 'Konzept', objective: 'Jeden Freitag berichten',
                state: 'active', agentId: 'agent-1', cadence: { kind: 'interval', everyMinutes: 60 },
                nextRunAt: '2026-01-01T00:00:00.000Z', inputs: [],
                iterations: [{ id: 'old-1', startedAt: '2026-01-01T00:00:00.000Z', plan: [], overallStatus: 'approved' }],
                createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' } },
    ]);

    const run = await waitFor(async () => {
      const { rows } = await db.admin.query(`select * from mana_ai.runs where mission_id = 'mission-1' and status = 'done'`);
      return rows[0];
    });
    assert.equal(llm.requests.length, 1, 'exactly one LLM request');
    const request = llm.requests[0]!;
    assert.deepEqual(Object.keys(request.body as object).sort(), ['messages', 'model', 'temperature']);
    assert.equal(request.headers.authorization, 'Bearer svc-key');
    assert.equal(request.headers['x-api-key'], undefined);

    const { rows } = await db.admin.query(`select * from public.sync_changes where client_id = 'mana-ai-runner'`);
    assert.equal(rows.length, 1, 'exactly one write-back row');
    const row = rows[0];
    assert.equal(row.app_id, 'ai');
    assert.equal(row.table_name, 'aiMissions');
    assert.equal(row.record_id, 'mission-1');
    assert.equal(row.user_id, 'user-1');
    assert.equal(row.op, 'update');
    assert.equal(row.schema_version, 1);
    assert.deepEqual(Object.keys(row.data).sort(), ['iterations', 'nextRunAt', 'updatedAt']);
    const S = row.data.updatedAt as string;
    assert.match(S, ISO_MS);
    assert.deepEqual(row.field_timestamps, { iterations: S, nextRunAt: S, updatedAt: S });
    assert.ok(new Date(S).getTime() >= before.getTime() - 1000, 'S is the write-back time');
    const next = new Date(row.data.nextRunAt as string).getTime();
    assert.match(row.data.nextRunAt as string, ISO_MS);
    assert.ok(Math.abs(next - (new Date(S).getTime() + 60 * 60_000)) < 5_000, 'nextRunAt advanced by the interval from the write-back');

    const iterations = row.data.iterations as Array<Record<string, unknown>>;
    assert.equal(iterations.length, 2);
    assert.deepEqual(iterations[0], { id: 'old-1', startedAt: '2026-01-01T00:00:00.000Z', plan: [], overallStatus: 'approved' });
    const it = iterations[1]!;
    assert.match(it.id as string, UUID);
    assert.equal(it.id, run.iteration_id);
    assert.deepEqual(Object.keys(it).sort(), ['finishedAt', 'id', 'overallStatus', 'plan', 'source', 'startedAt', 'summary']);
    assert.equal(it.source, 'server');
    assert.equal(it.overallStatus, 'awaiting-review');
    assert.equal(it.summary, 'Zwei Schritte');
    assert.match(it.startedAt as string, ISO_MS);
    assert.match(it.finishedAt as string, ISO_MS);
    assert.deepEqual(it.plan, [
      { id: `${it.id}-0`, summary: 'Aufgabe anlegen', intent: { kind: 'toolCall', toolName: 'create_task', params: { title: 'Bericht schreiben', priority: 'high' } }, status: 'planned' },
      { id: `${it.id}-1`, summary: 'Termin nötig', intent: { kind: 'toolCall', toolName: 'create_event', params: { title: 'Review', startTime: '2026-12-01T10:00:00.000Z', endTime: '2026-12-01T11:00:00.000Z' } }, status: 'planned' },
    ]);
    assert.deepEqual(row.actor, {
      kind: 'ai', principalId: 'agent-1', displayName: 'Planer', missionId: 'mission-1', iterationId: it.id, rationale: 'Jeden Freitag berichten',
    });

    // The webapp's merge of that row (our one LWW merge) shows the new iteration, not yet staged.
    const merged = (await db.admin.query(`select mana_ai_private.record_json('user-1', 'aiMissions', 'mission-1') as r`)).rows[0].r;
    assert.equal(merged.iterations.length, 2);
    assert.equal(merged.iterations[1].id, it.id);
    assert.equal(merged.nextRunAt, row.data.nextRunAt);
    const due = (await db.admin.query(`select due_at from mana_ai_private.projections where record_id = 'mission-1'`)).rows[0].due_at;
    assert.equal(new Date(due).getTime(), next, 'the projection folded the runner row: the mission is due at the next slot only');

    // A manual tick now finds nothing to do: one plan per slot.
    const stats = await app.tickNow();
    assert.equal(stats.plansWrittenBack, 0);
    assert.equal(llm.requests.length, 1);
  });
});
