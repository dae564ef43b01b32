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

  test('names, modules, parameters, JSON types, enums and required flags are byte-exact as the web app tool definitions (README, tool catalog; KI-13)', () => {
    const shape = Object.fromEntries(
      TOOL_DEFINITIONS.map((t) => [
        t.name,
        `${t.module}: ${t.parameters.map((p) => `${p.name}${p.required ? '*' : ''}:${p.type}${p.enum ? `[${p.enum.join('/')}]` : ''}`).join(',')}`,
      ]),
    );
    assert.deepEqual(shape, {
      create_task: 'todo: title*:string,dueDate:string,priority:string[low/medium/high],description:string',
      complete_task: 'todo: taskId*:string',
      complete_tasks_by_title: 'todo: titleMatch*:string',
      create_event: 'calendar: title*:string,startTime*:string,endTime*:string,isAllDay:boolean,location:string,description:string',
      create_place:
        'places: name*:string,latitude*:number,longitude*:number,' +
        'category:string[home/work/food/shopping/sport/culture/nature/transport/health/education/nightlife/other],address:string',
      visit_place: 'places: placeId*:string',
      undo_drink: 'drink: ',
      save_news_article: 'news: url*:string,title:string,summary:string',
    });
    for (const t of TOOL_DEFINITIONS) {
      assert.ok(t.description.length > 0, t.name);
      for (const p of t.parameters) assert.ok(p.description.length > 0, `${t.name}.${p.name}`);
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
        ? { ...t, parameters: [{ name: 'n', type: 'integer' as unknown as 'number', required: false, description: 'd' }] }
        : t,
    );
    assert.throws(() => verifyToolCatalog(AI_PROPOSABLE_TOOL_NAMES, badType), /"undo_drink.n" has type "integer", not one of string\|number\|boolean/);
    const numberEnum = TOOL_DEFINITIONS.map((t) =>
      t.name === 'undo_drink'
        ? { ...t, parameters: [{ name: 'n', type: 'number' as const, required: false, description: 'd', enum: ['1'] }] }
        : t,
    );
    assert.throws(() => verifyToolCatalog(AI_PROPOSABLE_TOOL_NAMES, numberEnum), /"undo_drink.n" has an enum but is not a string parameter/);
  });

  test('the table is frozen', () => {
    assert.ok(Object.isFrozen(TOOL_DEFINITIONS));
    assert.ok(Object.isFrozen(TOOL_DEFINITIONS[0]?.parameters));
    assert.ok(Object.isFrozen(AI_PROPOSABLE_TOOL_NAMES));
  });
});
