import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AI_PROPOSABLE_TOOL_NAMES, TOOL_DEFINITIONS, ToolCatalogError, verifyToolCatalog } from '../../../src/planner/tools.js';

describe('tool catalog', () => {
  test('the constant and the table agree (module-load check passes)', () => {
    assert.doesNotThrow(() => verifyToolCatalog());
    assert.deepEqual(
      TOOL_DEFINITIONS.map((t) => t.name),
      [...AI_PROPOSABLE_TOOL_NAMES],
    );
  });

  test('names, modules and parameters are byte-exact per docs/planner.md §7 (KI-13)', () => {
    const shape = Object.fromEntries(
      TOOL_DEFINITIONS.map((t) => [
        t.name,
        `${t.module}: ${t.parameters.map((p) => `${p.name}${p.required ? '*' : ''}${p.enum ? `[${p.enum.join('/')}]` : ''}`).join(',')}`,
      ]),
    );
    assert.deepEqual(shape, {
      create_task: 'todo: title*,dueDate,priority[low/medium/high],description',
      complete_task: 'todo: taskId*',
      complete_tasks_by_title: 'todo: titleSubstring*',
      create_event: 'calendar: title*,startIso*,endIso',
      create_place: 'places: name*,category',
      visit_place: 'places: placeId*',
      undo_drink: 'drink: ',
      save_news_article: 'news: url*,title,summary',
    });
    for (const t of TOOL_DEFINITIONS) {
      assert.ok(t.description.length > 0, t.name);
      for (const p of t.parameters) {
        assert.equal(p.type, 'string');
        assert.ok(p.description.length > 0, `${t.name}.${p.name}`);
      }
    }
  });

  test('a missing definition, an extra definition and a wrong type are reported', () => {
    const defs = TOOL_DEFINITIONS.slice(0, 7);
    assert.throws(() => verifyToolCatalog(AI_PROPOSABLE_TOOL_NAMES, defs), (e: unknown) => {
      assert.ok(e instanceof ToolCatalogError);
      assert.equal(e.code, 'TOOL_CATALOG_MISMATCH');
      assert.match(e.message, /"save_news_article" has no definition/);
      return true;
    });
    const extra = [...TOOL_DEFINITIONS, { name: 'record_visit', module: 'places', description: 'x', parameters: [] }];
    assert.throws(() => verifyToolCatalog(AI_PROPOSABLE_TOOL_NAMES, extra), /"record_visit" is defined but not proposable/);
    const badType = TOOL_DEFINITIONS.map((t) =>
      t.name === 'undo_drink'
        ? { ...t, parameters: [{ name: 'n', type: 'number' as unknown as 'string', required: false, description: 'd' }] }
        : t,
    );
    assert.throws(() => verifyToolCatalog(AI_PROPOSABLE_TOOL_NAMES, badType), /"undo_drink.n" is not of type string/);
  });

  test('the table is frozen', () => {
    assert.ok(Object.isFrozen(TOOL_DEFINITIONS));
    assert.ok(Object.isFrozen(TOOL_DEFINITIONS[0]?.parameters));
    assert.ok(Object.isFrozen(AI_PROPOSABLE_TOOL_NAMES));
  });
});
