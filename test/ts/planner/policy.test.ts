import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { filterToolsByPolicy } from '../../../src/planner/policy.js';
import { TOOL_DEFINITIONS } from '../../../src/planner/tools.js';

const ALL = TOOL_DEFINITIONS.map((t) => t.name);
const names = (agent: Parameters<typeof filterToolsByPolicy>[1]) =>
  filterToolsByPolicy(TOOL_DEFINITIONS, agent).map((t) => t.name);

describe('filterToolsByPolicy', () => {
  test('no agent, or no / non-object policy → all tools', () => {
    assert.deepEqual(names(null), ALL);
    assert.deepEqual(names(undefined), ALL);
    assert.deepEqual(names({}), ALL);
    assert.deepEqual(names({ policy: null }), ALL);
    assert.deepEqual(names({ policy: 'deny' }), ALL);
  });

  test('an array policy is not a policy → all tools', () => {
    assert.deepEqual(names({ policy: [{ defaultForAi: 'deny' }] }), ALL);
  });

  test('deny by tool', () => {
    const kept = names({ policy: { tools: { create_task: 'deny', undo_drink: 'auto' }, defaultForAi: 'propose' } });
    assert.deepEqual(kept, ALL.filter((n) => n !== 'create_task'));
  });

  test('deny by module default, overridden per tool', () => {
    const kept = names({
      policy: { tools: { complete_task: 'propose' }, defaultsByModule: { todo: 'deny' }, defaultForAi: 'propose' },
    });
    assert.deepEqual(kept, ALL.filter((n) => n !== 'create_task' && n !== 'complete_tasks_by_title'));
  });

  test('deny by defaultForAi, with tool and module exceptions', () => {
    const kept = names({
      policy: { tools: { visit_place: 'auto' }, defaultsByModule: { news: 'propose' }, defaultForAi: 'deny' },
    });
    assert.deepEqual(kept, ['visit_place', 'save_news_article']);
  });

  test('missing or non-object tools / defaultsByModule count as {} (KI-12)', () => {
    assert.deepEqual(names({ policy: { defaultForAi: 'propose' } }), ALL);
    assert.deepEqual(names({ policy: { defaultForAi: 'deny' } }), []);
    assert.deepEqual(names({ policy: { tools: 'deny', defaultsByModule: 7, defaultForAi: 'propose' } }), ALL);
    assert.deepEqual(names({ policy: { tools: null, defaultsByModule: ['deny'], defaultForAi: 'deny' } }), []);
  });

  test('only exactly "deny" drops; unknown decisions and a missing defaultForAi keep', () => {
    assert.deepEqual(names({ policy: { tools: { create_task: 'DENY', undo_drink: 'denied' } } }), ALL);
  });

  test('the web app default policy keeps all eight', () => {
    const tools = Object.fromEntries(ALL.map((n) => [n, 'propose']));
    assert.deepEqual(names({ policy: { tools: { ...tools, list_tasks: 'auto' }, defaultForAi: 'propose' } }), ALL);
  });

  test('prototype keys are not decisions', () => {
    const protoTool = [{ name: 'constructor', module: 'toString' }];
    assert.equal(filterToolsByPolicy(protoTool, { policy: { defaultForAi: 'deny' } }).length, 0);
    assert.equal(filterToolsByPolicy(protoTool, { policy: { defaultForAi: 'propose' } }).length, 1);
  });
});
