/**
 * The built-in fake LLM of `make run` (src/dev/fake-plan.ts, fake-llm.ts): it reads the real prompt
 * (buildPrompt with TOOL_DEFINITIONS or any policy-filtered subset) and every plan it answers passes
 * the real parser with the same tool list, required parameters and enums included.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { request } from 'undici';
import { buildFakePlan, fakePlanText, parseMission, parseTools } from '../../../src/dev/fake-plan.js';
import { devPlanReply, startFakeLlm } from '../../../src/dev/fake-llm.js';
import { createLlmClient } from '../../../src/llm/client.js';
import { silentLogger } from '../../../src/log.js';
import { parsePlan } from '../../../src/planner/parser.js';
import { buildPrompt, type BuildPromptArgs } from '../../../src/planner/prompt.js';
import { TOOL_DEFINITIONS, type ToolDef } from '../../../src/planner/tools.js';

const NOW = new Date('2026-11-25T21:00:00.000Z');
const mission = {
  id: 'm1', title: 'Fitter werden', conceptMarkdown: 'Mehr Bewegung.', objective: 'Dreimal pro Woche laufen gehen',
  iterations: [{ id: 'i0', startedAt: '2026-11-20T08:00:00.000Z', overallStatus: 'approved', plan: [], summary: 'alt' }],
};
const prompt = (overrides: Partial<BuildPromptArgs> = {}) =>
  buildPrompt({ mission, agent: null, resolvedInputs: [], unavailableInputs: [], tools: TOOL_DEFINITIONS, ...overrides });

/** Plans for `tools` through the fake and the real parser; returns the parsed plan. */
function planThroughParser(tools: readonly ToolDef[], overrides: Partial<BuildPromptArgs> = {}) {
  const { system, user } = prompt({ tools, ...overrides });
  const text = fakePlanText(system, user, NOW);
  const parsed = parsePlan(text, tools);
  assert.ok(parsed.ok, `plan did not parse: ${parsed.ok ? '' : parsed.reason}\n${text}`);
  return { text, plan: parsed.value };
}

describe('dev fake LLM: reading the prompt', () => {
  test('parseTools recovers every tool, parameter, required flag and enum of the real system message', () => {
    const tools = parseTools(prompt().system);
    assert.deepEqual(tools, TOOL_DEFINITIONS.map((t) => ({
      name: t.name, module: t.module,
      params: t.parameters.map((p) => ({ name: p.name, type: p.type, required: p.required, ...(p.enum ? { enum: [...p.enum] } : {}) })),
    })));
  });

  test('parseTools finds nothing when the prompt lists no tools', () => {
    assert.deepEqual(parseTools(prompt({ tools: [] }).system), []);
  });

  test('parseMission reads title, objective and the linked inputs (content inside <user_data>)', () => {
    const { user } = prompt({
      resolvedInputs: [
        { id: 'n1', module: 'notes', table: 'notes', title: 'Einkauf', content: 'Milch, Brot.\n## keine Überschrift' },
        { id: 't1', module: 'todo', table: 'tasks', title: null, content: '- [ ] Laufschuhe kaufen' },
      ],
    });
    assert.deepEqual(parseMission(user), {
      title: 'Fitter werden', objective: 'Dreimal pro Woche laufen gehen',
      inputs: [{ title: 'Einkauf', content: 'Milch, Brot.\n## keine Überschrift' }, { title: 't1', content: '- [ ] Laufschuhe kaufen' }],
    });
  });
});

describe('dev fake LLM: plans pass the real parser', () => {
  test('all tools: create_task from the objective and a create_event review, in one fenced json block', () => {
    const { text, plan } = planThroughParser(TOOL_DEFINITIONS);
    assert.match(text, /^```json\n[\s\S]*\n```$/);
    assert.deepEqual(plan.steps.map((s) => s.toolName), ['create_task', 'create_event']);
    assert.equal(plan.steps[0]?.params['title'], 'Dreimal pro Woche laufen gehen');
    assert.equal(plan.steps[0]?.params['priority'], 'medium');
    assert.equal(plan.steps[1]?.params['startTime'], '2026-11-26T09:00:00.000Z');
    assert.equal(plan.steps[1]?.params['endTime'], '2026-11-26T10:00:00.000Z');
    assert.ok(plan.steps.every((s) => s.rationale.length > 0));
  });

  for (const tool of TOOL_DEFINITIONS) {
    test(`only ${tool.name} listed (policy denies the rest): uses it with every required parameter`, () => {
      const { plan } = planThroughParser([tool]);
      assert.ok(plan.steps.length >= 1);
      for (const step of plan.steps) {
        assert.equal(step.toolName, tool.name);
        for (const p of tool.parameters.filter((q) => q.required)) {
          assert.equal(typeof step.params[p.name], p.type, p.name);
          assert.ok(step.params[p.name] !== '', p.name);
        }
      }
    });
  }

  test('no tools: an empty plan', () => {
    const { plan } = planThroughParser([]);
    assert.deepEqual(plan.steps, []);
  });

  test('a linked input becomes a task from its first item; its title is named as the basis', () => {
    const { plan } = planThroughParser(TOOL_DEFINITIONS, {
      resolvedInputs: [{ id: 'n1', module: 'notes', table: 'notes', title: 'Geburtstag', content: 'Torte bestellen, Gäste einladen.' }],
    });
    assert.deepEqual(plan.steps.map((s) => s.toolName), ['create_task', 'create_task', 'create_event']);
    assert.equal(plan.steps[0]?.params['description'], 'Grundlage: Geburtstag');
    assert.equal(plan.steps[1]?.params['title'], 'Torte bestellen');
  });

  test('never more than five steps, and enum values stay inside their list', () => {
    const inputs = [1, 2, 3, 4].map((i) => ({ id: `n${i}`, module: 'notes', table: 'notes', title: `N${i}`, content: `Punkt ${i}` }));
    const narrowed: ToolDef = { ...TOOL_DEFINITIONS[0]!, parameters: TOOL_DEFINITIONS[0]!.parameters.map((p) =>
      (p.enum ? { ...p, enum: ['low', 'high'] } : p)) };
    const { plan } = planThroughParser([narrowed, ...TOOL_DEFINITIONS.slice(1)], { resolvedInputs: inputs });
    assert.ok(plan.steps.length <= 5);
    assert.equal(plan.steps[0]?.params['priority'], 'low');
  });

  test('deterministic: same prompt and clock, same answer', () => {
    const { system, user } = prompt();
    assert.equal(fakePlanText(system, user, NOW), fakePlanText(system, user, NOW));
  });

  test('an empty or foreign prompt still yields a parseable plan for the listed tools', () => {
    assert.deepEqual(buildFakePlan([], { title: '', objective: '', inputs: [] }, NOW).steps, []);
    const text = fakePlanText(prompt().system, 'kein Missionstext', NOW);
    assert.ok(parsePlan(text, TOOL_DEFINITIONS).ok);
  });
});

describe('dev fake LLM: the HTTP gateway', () => {
  test('the real LLM client gets a chat.completion whose content parses; other routes 404, bad JSON 400', async () => {
    const fake = await startFakeLlm({ defaultReply: devPlanReply(() => NOW) });
    const client = createLlmClient({
      baseUrl: fake.url, model: 'gpt-4o-mini', timeoutMs: 5000, maxAttempts: 1, backoffBaseMs: 10, backoffMaxMs: 10,
      breaker: { failureThreshold: 5, cooldownMs: 1000 }, logger: silentLogger, serviceKey: 'k',
    });
    try {
      const text = await client.complete(prompt());
      const parsed = parsePlan(text, TOOL_DEFINITIONS);
      assert.ok(parsed.ok);
      assert.equal(parsed.value.steps[0]?.toolName, 'create_task');
      assert.equal(fake.requests.length, 1);
      assert.equal(fake.requests[0]?.path, '/v1/chat/completions');

      const raw = await request(`${fake.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [] }) });
      const body = (await raw.body.json()) as { object: string; model: string; choices: { message: { content: string } }[] };
      assert.equal(body.object, 'chat.completion');
      assert.equal(body.model, 'm');
      assert.ok(parsePlan(body.choices[0]!.message.content, []).ok, 'no tools listed → an empty, valid plan');

      const missing = await request(`${fake.url}/v1/models`);
      assert.equal(missing.statusCode, 404);
      await missing.body.dump();
      const bad = await request(`${fake.url}/v1/chat/completions`, { method: 'POST', body: 'not json' });
      assert.equal(bad.statusCode, 400);
      await bad.body.dump();
    } finally {
      await client.close();
      await fake.close();
    }
  });
});
