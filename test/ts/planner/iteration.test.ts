import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildIteration } from '../../../src/planner/iteration.js';

const id = '6f1c2d2e-8a51-4d55-9f7b-0e5b3c1e9a10';
const startedAt = new Date('2026-01-02T03:04:05.006Z');
const finishedAt = new Date('2026-01-02T03:04:09.000Z');

describe('buildIteration', () => {
  test('steps become planned tool calls; empty summary falls back to the rationale (KI-17)', () => {
    const it = buildIteration({
      iterationId: id,
      startedAt,
      finishedAt,
      plan: {
        summary: 'Wochenplan',
        steps: [
          { summary: 'Aufgabe anlegen', toolName: 'create_task', rationale: 'weil', params: { title: 'Laufen', x: 1 } },
          { summary: '', toolName: 'undo_drink', rationale: 'Versehentlich erfasst', params: {} },
        ],
      },
    });
    assert.deepEqual(it, {
      id,
      startedAt: '2026-01-02T03:04:05.006Z',
      finishedAt: '2026-01-02T03:04:09.000Z',
      plan: [
        { id: `${id}-0`, summary: 'Aufgabe anlegen', intent: { kind: 'toolCall', toolName: 'create_task', params: { title: 'Laufen', x: 1 } }, status: 'planned' },
        { id: `${id}-1`, summary: 'Versehentlich erfasst', intent: { kind: 'toolCall', toolName: 'undo_drink', params: {} }, status: 'planned' },
      ],
      summary: 'Wochenplan',
      overallStatus: 'awaiting-review',
      source: 'server',
    });
    assert.deepEqual(Object.keys(it), ['id', 'startedAt', 'finishedAt', 'plan', 'summary', 'overallStatus', 'source']);
    assert.deepEqual(Object.keys(it.plan[0] ?? {}), ['id', 'summary', 'intent', 'status']);
  });

  test('an empty plan is an approved iteration', () => {
    const it = buildIteration({ iterationId: id, startedAt, finishedAt: startedAt, plan: { summary: '', steps: [] } });
    assert.equal(it.overallStatus, 'approved');
    assert.deepEqual(it.plan, []);
    assert.equal(it.summary, '');
    assert.equal(it.startedAt, it.finishedAt);
  });
});
