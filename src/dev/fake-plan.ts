/**
 * Deterministic plans for the built-in fake LLM of `make run` (a dev aid, never started by `serve`).
 * It reads the prompt exactly as a model would see it: the tool lines of the system message
 * (`  • <name> (<module>) — …` and their `    - <param>: string [a|b] (required) — …` lines, see
 * planner/prompt.ts renderToolLines) and the mission title, objective and linked inputs of the user
 * message. So the plan always uses the real, policy-filtered tool list, and a decrypted input shows
 * up in the plan (the visible proof that the grant worked).
 */

/** A tool as listed in the system message. */
export interface PromptTool {
  readonly name: string;
  readonly module: string;
  readonly params: readonly { readonly name: string; readonly required: boolean; readonly enum?: readonly string[] }[];
}

/** What the user message says about the mission. */
export interface PromptMission {
  readonly title: string;
  readonly objective: string;
  /** Linked inputs shown to the model: heading title and `<user_data>` content. */
  readonly inputs: readonly { readonly title: string; readonly content: string }[];
}

/** One planned step in the answer format of the prompt. */
export interface FakeStep {
  summary: string;
  toolName: string;
  params: Record<string, string>;
  rationale: string;
}

const TOOL_LINE = /^ {2}• (\S+) \(([^)]*)\) — /;
const PARAM_LINE = /^ {4}- ([^:\s]+): \S+?(?: \[([^\]]*)\])?( \(required\))? — /;

/** Parses the tool section of a system message; `[]` when it lists no tools. */
export function parseTools(system: string): PromptTool[] {
  const tools: { name: string; module: string; params: PromptTool['params'][number][] }[] = [];
  for (const line of system.split('\n')) {
    const tool = TOOL_LINE.exec(line);
    if (tool) {
      tools.push({ name: tool[1]!, module: tool[2]!, params: [] });
      continue;
    }
    const param = PARAM_LINE.exec(line);
    const current = tools.at(-1);
    if (param && current) {
      current.params.push({
        name: param[1]!, required: param[3] !== undefined, ...(param[2] ? { enum: param[2].split('|') } : {}),
      });
    }
  }
  return tools;
}

/** The text between the `## <heading>` line and the `## <next>` heading of the user message. */
function section(user: string, heading: string, next: string): string {
  const marker = `\n## ${heading}\n`;
  const start = user.indexOf(marker);
  if (start < 0) return '';
  const body = user.slice(start + marker.length);
  const end = body.indexOf(`\n\n## ${next}`);
  return (end < 0 ? body : body.slice(0, end)).trim();
}

/** Parses title, objective and linked inputs from the user message. */
export function parseMission(user: string): PromptMission {
  const title = /^# Mission: (.*)$/m.exec(user)?.[1]?.trim() ?? '';
  const objective = section(user, 'Konkretes Ziel', 'Verknüpfte Eingaben');
  const inputs = [...section(user, 'Verknüpfte Eingaben', 'Letzte Iterationen').matchAll(/^### [^:\n]*: (.*)\n<user_data>\n([\s\S]*?)\n<\/user_data>/gm)]
    .map((m) => ({ title: m[1]!.trim(), content: m[2]!.trim() }));
  return { title, objective, inputs };
}

/** Shortens `text` to one line of at most `max` characters. */
function short(text: string, max = 70): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
}

/** The first item of a note-like text: up to the first comma, full stop, semicolon or newline. */
function firstItem(content: string): string {
  return short(content.split(/[,.;\n]/).map((s) => s.trim()).find((s) => s !== '') ?? content, 60);
}

/** 09:00 UTC on the day after `now`, as an ISO instant. */
function tomorrowNine(now: Date): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 9));
  return d.toISOString();
}

/**
 * Fills every parameter the tool requires (plus the wished optional ones it declares), so each step
 * passes the parser's parameter checks: enum values stay inside their list.
 */
function fill(tool: PromptTool, wished: Record<string, string>, fallback: string, now: Date): Record<string, string> {
  const params: Record<string, string> = {};
  for (const p of tool.params) {
    let value = wished[p.name];
    if (value === undefined && p.required) {
      if (/iso$/i.test(p.name)) value = tomorrowNine(now);
      else if (p.name === 'url') value = `https://example.org/mana/${encodeURIComponent(fallback.toLowerCase().replace(/\s+/g, '-'))}`;
      else value = fallback;
    }
    if (value === undefined || value === '') continue;
    if (p.enum && p.enum.length > 0 && !p.enum.includes(value)) value = p.enum[0]!;
    params[p.name] = value;
  }
  return params;
}

/**
 * The plan for one prompt: `create_task` from the objective, one `create_task` per linked input
 * (from its decrypted content), a `create_event` review; without those tools one step with the first
 * listed tool; no tools → no steps. At most five steps; same prompt and clock → same plan.
 */
export function buildFakePlan(tools: readonly PromptTool[], mission: PromptMission, now: Date): { summary: string; steps: FakeStep[] } {
  const title = mission.title || 'Mission';
  const goal = short(mission.objective || title);
  if (tools.length === 0) return { summary: `Keine Tools verfügbar für „${short(title)}“`, steps: [] };
  const byName = new Map(tools.map((t) => [t.name, t]));
  const steps: FakeStep[] = [];
  const task = byName.get('create_task');
  if (task) {
    const basis = mission.inputs.map((i) => short(i.title, 40)).join(', ');
    steps.push({
      summary: 'Nächsten Schritt als Aufgabe anlegen', toolName: task.name,
      params: fill(task, { title: goal, priority: 'medium', ...(basis ? { description: `Grundlage: ${basis}` } : {}) }, goal, now),
      rationale: `Bringt die Mission „${short(title)}“ voran.`,
    });
    for (const input of mission.inputs.slice(0, 2)) {
      steps.push({
        summary: `Aufgabe aus „${short(input.title, 40)}“`, toolName: task.name,
        params: fill(task, { title: firstItem(input.content), description: `Aus der Eingabe „${short(input.title, 40)}“` }, goal, now),
        rationale: 'Der erste offene Punkt der verknüpften Eingabe.',
      });
    }
  }
  const event = byName.get('create_event');
  if (event) {
    steps.push({
      summary: 'Review-Termin einplanen', toolName: event.name,
      params: fill(event, { title: `Review: ${short(title, 50)}` }, `Review: ${short(title, 50)}`, now),
      rationale: 'Ein fester Termin, um den Fortschritt zu prüfen.',
    });
  }
  if (steps.length === 0) {
    const first = tools[0]!;
    steps.push({
      summary: `${first.name} für „${short(title, 40)}“`, toolName: first.name,
      params: fill(first, {}, goal, now), rationale: `Das einzige passende Werkzeug für „${short(title)}“.`,
    });
  }
  return { summary: `Nächste Schritte für „${short(title)}“`, steps: steps.slice(0, 5) };
}

/** The model's answer: one fenced json block, as the prompt's answer format asks. */
export function fakePlanText(system: string, user: string, now: Date): string {
  const plan = buildFakePlan(parseTools(system), parseMission(user), now);
  return `\`\`\`json\n${JSON.stringify(plan, null, 2)}\n\`\`\``;
}
