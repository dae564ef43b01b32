import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { filterToolsByPolicy } from '../../../src/planner/policy.js';
import { findCandidates, parsePlan, parseFailureFields, type ParseResult } from '../../../src/planner/parser.js';
import { TOOL_DEFINITIONS } from '../../../src/planner/tools.js';

const fence = (value: unknown, info = 'json') => `\`\`\`${info}\n${typeof value === 'string' ? value : JSON.stringify(value)}\n\`\`\``;
const step = (extra: Record<string, unknown> = {}) => ({
  summary: 'Aufgabe anlegen',
  toolName: 'create_task',
  rationale: 'Der Nutzer will mehr laufen',
  params: { title: 'Laufen' },
  ...extra,
});
const plan = (steps: unknown[], summary: unknown = 'Plan') => ({ summary, steps });
const event = (extra: Record<string, unknown> = {}) => ({
  title: 'Review', startTime: '2026-12-01T10:00:00.000Z', endTime: '2026-12-01T11:00:00.000Z', ...extra,
});
const place = (extra: Record<string, unknown> = {}) => ({ name: 'Café Mana', latitude: 52.52, longitude: 13.405, ...extra });

function reasonOf(result: ParseResult): string {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  return (result as { reason: string }).reason;
}
const reason = (text: string) => reasonOf(parsePlan(text, TOOL_DEFINITIONS));

describe('parsePlan: reason strings (docs/planner.md §6)', () => {
  const cases: [string, string, string][] = [
    ['no block', 'Ich habe leider keinen Plan.', 'no JSON block found'],
    ['unterminated fence, not braces', '```json\n{"steps": []}', 'no JSON block found'],
    ['empty text', '', 'no JSON block found'],
    ['array', fence([1, 2]), 'top-level value is not an object'],
    ['null', fence('null'), 'top-level value is not an object'],
    ['string', fence('"x"'), 'top-level value is not an object'],
    ['steps missing', fence({ summary: 'x' }), '`steps` must be an array'],
    ['steps object', fence({ steps: { 0: step() } }), '`steps` must be an array'],
    ['6 steps', fence(plan([step(), step(), step(), step(), step(), step()])), '`steps` must contain at most 5 entries'],
    ['step array', fence(plan([['create_task']])), 'step[0] is not an object'],
    ['step null', fence(plan([step(), null])), 'step[1] is not an object'],
    ['toolName missing', fence(plan([step({ toolName: undefined })])), 'step[0].toolName missing or not a string'],
    ['toolName empty', fence(plan([step({ toolName: '' })])), 'step[0].toolName missing or not a string'],
    ['toolName number', fence(plan([step({ toolName: 3 })])), 'step[0].toolName missing or not a string'],
    ['unknown tool', fence(plan([step({ toolName: 'record_visit' })])), 'step[0].toolName "record_visit" is not in the allowed tool set'],
    ['rationale missing', fence(plan([step({ rationale: undefined })])), 'step[0].rationale is required (user will see this)'],
    ['rationale empty', fence(plan([step(), step({ rationale: '' })])), 'step[1].rationale is required (user will see this)'],
    ['params array', fence(plan([step({ params: [] })])), 'step[0].params must be an object'],
    ['params string', fence(plan([step({ params: 'title=x' })])), 'step[0].params must be an object'],
    ['required missing', fence(plan([step({ params: {} })])), 'step[0].params.title is required'],
    ['required null', fence(plan([step({ params: { title: null } })])), 'step[0].params.title is required'],
    ['required empty', fence(plan([step({ params: { title: '' } })])), 'step[0].params.title is required'],
    ['params absent, required', fence(plan([step({ params: undefined })])), 'step[0].params.title is required'],
    ['string type', fence(plan([step({ params: { title: 42 } })])), 'step[0].params.title must be a string'],
    ['optional string type', fence(plan([step({ params: { title: 'x', dueDate: 20260101 } })])), 'step[0].params.dueDate must be a string'],
    ['enum', fence(plan([step({ params: { title: 'x', priority: 'urgent' } })])), 'step[0].params.priority must be one of low|medium|high'],
    ['required before type', fence(plan([step({ toolName: 'create_event', params: { title: 1 } })])), 'step[0].params.startTime is required'],
    ['create_event without endTime', fence(plan([step({ toolName: 'create_event', params: event({ endTime: undefined }) })])), 'step[0].params.endTime is required'],
    ['boolean type', fence(plan([step({ toolName: 'create_event', params: event({ isAllDay: 'true' }) })])), 'step[0].params.isAllDay must be a boolean'],
    ['boolean as number', fence(plan([step({ toolName: 'create_event', params: event({ isAllDay: 1 }) })])), 'step[0].params.isAllDay must be a boolean'],
    ['latitude as string', fence(plan([step({ toolName: 'create_place', params: place({ latitude: '52.5' }) })])), 'step[0].params.latitude must be a number'],
    ['longitude as boolean', fence(plan([step({ toolName: 'create_place', params: place({ longitude: true }) })])), 'step[0].params.longitude must be a number'],
    ['latitude missing', fence(plan([step({ toolName: 'create_place', params: place({ latitude: undefined }) })])), 'step[0].params.latitude is required'],
    ['place category enum', fence(plan([step({ toolName: 'create_place', params: place({ category: 'Café' }) })])), 'step[0].params.category must be one of home|work|food|shopping|sport|culture|nature|transport|health|education|nightlife|other'],
    ['titleMatch required', fence(plan([step({ toolName: 'complete_tasks_by_title', params: { titleSubstring: 'Milch' } })])), 'step[0].params.titleMatch is required'],
    ['type before enum, any parameter', fence(plan([step({ toolName: 'create_place', params: place({ category: 'x', address: 7 }) })])), 'step[0].params.address must be a string'],
  ];
  for (const [name, text, expected] of cases) {
    test(`${name} → ${expected}`, () => assert.equal(reason(text), expected));
  }

  test('JSON parse failed carries the engine message, raw = the candidate', () => {
    const result = parsePlan('Hier:\n```json\n{"steps": [,]}\n```\n', TOOL_DEFINITIONS);
    const expected = (() => {
      try {
        JSON.parse('{"steps": [,]}');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    assert.deepEqual(result, { ok: false, reason: `JSON parse failed: ${expected}`, raw: '{"steps": [,]}' });
  });

  test('no JSON block: raw is the full text', () => {
    assert.deepEqual(parsePlan('  nichts  ', TOOL_DEFINITIONS), { ok: false, reason: 'no JSON block found', raw: '  nichts  ' });
  });

  test('a tool denied by the policy is rejected like an unknown one (KI-12)', () => {
    const allowed = filterToolsByPolicy(TOOL_DEFINITIONS, { policy: { tools: { create_task: 'deny' }, defaultForAi: 'propose' } });
    const result = parsePlan(fence(plan([step()])), allowed);
    assert.equal(reasonOf(result), 'step[0].toolName "create_task" is not in the allowed tool set');
  });

  test('a name set checks names only', () => {
    const result = parsePlan(fence(plan([step({ params: { priority: 7 } })])), new Set(['create_task']));
    assert.equal(result.ok, true);
  });

  test('never throws on odd input', () => {
    assert.equal(parsePlan(undefined as unknown as string, TOOL_DEFINITIONS).ok, false);
    assert.equal(parsePlan('```json\n{"steps":[{"toolName":"constructor","rationale":"r"}]}\n```', TOOL_DEFINITIONS).ok, false);
  });

  test('parseFailureFields keeps the first 200 characters', () => {
    const fields = parseFailureFields({ reason: 'r', raw: 'x'.repeat(500) });
    assert.equal(fields.raw.length, 200);
  });
});

describe('parsePlan: lenient defaults', () => {
  test('non-string summaries → "", absent/null params → {}, extra and undeclared keys pass', () => {
    const text = fence({
      summary: 7,
      extra: true,
      steps: [
        { toolName: 'undo_drink', rationale: 'r1', summary: null, foo: 1 },
        { toolName: 'undo_drink', rationale: 'r2', params: null },
        { toolName: 'create_task', rationale: 'r3', summary: 's', params: { title: 'T', priority: 'high', color: 3 } },
      ],
    });
    assert.deepEqual(parsePlan(text, TOOL_DEFINITIONS), {
      ok: true,
      value: {
        summary: '',
        steps: [
          { summary: '', toolName: 'undo_drink', rationale: 'r1', params: {} },
          { summary: '', toolName: 'undo_drink', rationale: 'r2', params: {} },
          { summary: 's', toolName: 'create_task', rationale: 'r3', params: { title: 'T', priority: 'high', color: 3 } },
        ],
      },
    });
  });

  test('an empty steps array is a valid plan; 5 steps are fine', () => {
    assert.deepEqual(parsePlan(fence({ summary: 'nichts', steps: [] }), []), { ok: true, value: { summary: 'nichts', steps: [] } });
    const five = parsePlan(fence(plan([step(), step(), step(), step(), step()])), TOOL_DEFINITIONS);
    assert.equal(five.ok && five.value.steps.length, 5);
  });

  test('a valid step for every tool of the catalog parses, values keep their JSON type (§7)', () => {
    const valid: Record<string, Record<string, unknown>> = {
      create_task: { title: 'Laufen', dueDate: '2026-12-01', priority: 'high', description: 'Runde im Park' },
      complete_task: { taskId: 't1' },
      complete_tasks_by_title: { titleMatch: 'Milch' },
      create_event: event({ isAllDay: false, location: 'Park', description: 'Wochenrückblick' }),
      create_place: place({ category: 'food', address: 'Unter den Linden 1' }),
      visit_place: { placeId: 'p1' },
      undo_drink: {},
      save_news_article: { url: 'https://example.org/a', title: 'A', summary: 'S' },
    };
    assert.deepEqual(Object.keys(valid), TOOL_DEFINITIONS.map((t) => t.name));
    const steps = Object.entries(valid).slice(0, 5).map(([toolName, params]) => step({ toolName, params }));
    const rest = Object.entries(valid).slice(5).map(([toolName, params]) => step({ toolName, params }));
    for (const batch of [steps, rest]) {
      const result = parsePlan(fence(plan(batch)), TOOL_DEFINITIONS);
      assert.ok(result.ok, JSON.stringify(result));
      assert.deepEqual(result.value.steps.map((s) => s.params), batch.map((s) => s.params));
    }
    const parsed = parsePlan(fence(plan([step({ toolName: 'create_place', params: place({ latitude: 0, longitude: -0.5 }) })])), TOOL_DEFINITIONS);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.steps[0]?.params['latitude'], 0);
  });

  test('optional params may be null or absent', () => {
    const result = parsePlan(fence(plan([step({ params: { title: 'x', priority: null, dueDate: null } })])), TOOL_DEFINITIONS);
    assert.equal(result.ok, true);
  });

  test('bare JSON without a fence is the only candidate', () => {
    const result = parsePlan(`  ${JSON.stringify(plan([step()]))}\n`, TOOL_DEFINITIONS);
    assert.equal(result.ok, true);
  });
});

describe('parsePlan: candidates', () => {
  test('an example block first, the real plan second → the real plan', () => {
    const text = [
      'Format:',
      '```json\n{"summary": …, "steps": [{"toolName": …}]}\n```',
      'Mein Plan:',
      fence(plan([step()], 'Echt')),
    ].join('\n');
    const result = parsePlan(text, TOOL_DEFINITIONS);
    assert.ok(result.ok);
    assert.equal(result.value.summary, 'Echt');
  });

  test('an object without steps first, the plan second → the plan', () => {
    const text = `${fence({ note: 'Beispiel' })}\n${fence(plan([step()], 'Zwei'))}`;
    const result = parsePlan(text, TOOL_DEFINITIONS);
    assert.ok(result.ok);
    assert.equal(result.value.summary, 'Zwei');
  });

  test('the first usable candidate wins even if it then fails validation', () => {
    const text = `${fence(plan([step({ toolName: 'nope' })]))}\n${fence(plan([step()]))}`;
    assert.equal(reason(text), 'step[0].toolName "nope" is not in the allowed tool set');
  });

  test('no usable candidate → the first candidate’s error is reported', () => {
    const text = `${fence('{ kaputt')}\n${fence([1])}`;
    const result = parsePlan(text, TOOL_DEFINITIONS);
    assert.equal(result.ok, false);
    assert.match(reasonOf(result), /^JSON parse failed: /);
    assert.equal((result as { raw: string }).raw, '{ kaputt');
  });

  test('a ```javascript block: the info word is stripped', () => {
    const result = parsePlan(`So:\n${fence(plan([step()]), 'javascript')}`, TOOL_DEFINITIONS);
    assert.equal(result.ok, true);
  });

  test('a top-level array is not an object (and not usable)', () => {
    assert.equal(reason(fence([plan([step()])])), 'top-level value is not an object');
  });

  test('fence variants: no info word, no newline, same-line JSON', () => {
    assert.deepEqual(findCandidates('```\n{"a":1}\n```'), ['{"a":1}']);
    assert.deepEqual(findCandidates('```{"a":1}```'), ['{"a":1}']);
    assert.deepEqual(findCandidates('```json {"a":1} ```'), ['{"a":1}']);
    assert.deepEqual(findCandidates('```JSON\r\n{"a":1}\r\n```'), ['{"a":1}']);
    assert.deepEqual(findCandidates('{"a":1} und {"b":2}'), ['{"a":1} und {"b":2}']);
    assert.deepEqual(findCandidates('text {"a":1}'), []);
  });
});
