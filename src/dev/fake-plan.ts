/**
 * Deterministic plans for the built-in fake LLM of `make run` (a dev aid, never started by `serve`).
 * It reads the prompt exactly as a model would see it: the tool lines of the system message
 * (`  • <name> (<module>) — …` and their `    - <param>: <type> [a|b] (required) — …` lines, see
 * planner/prompt.ts renderToolLines) and the mission title, objective and linked inputs of the user
 * message. So the plan always uses the real, policy-filtered tool list, and a decrypted input shows
 * up in the plan (the visible proof that the grant worked).
 */

/** A tool as listed in the system message. */
export interface PromptTool {
  readonly name: string;
  readonly module: string;
  readonly params: readonly {
    readonly name: string;
    /** The JSON type the prompt lists (`string`, `number`, `boolean`). */
    readonly type: string;
    readonly required: boolean;
    readonly enum?: readonly string[];
  }[];
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
  params: Record<string, string | number | boolean>;
  rationale: string;
}

const TOOL_LINE = /^ {2}• (\S+) \(([^)]*)\) — /;
const PARAM_LINE = /^ {4}- ([^:\s]+): (\S+?)(?: \[([^\]]*)\])?( \(required\))? — /;

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
        name: param[1]!, type: param[2]!, required: param[4] !== undefined,
        ...(param[3] ? { enum: param[3].split('|') } : {}),
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

/** `hour`:00 UTC on the day after `now`, as an ISO instant. */
function tomorrowAt(now: Date, hour: number): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, hour)).toISOString();
}

/** A value of the parameter's JSON type for a required parameter nobody wished a value for. */
function defaultValue(param: PromptTool['params'][number], fallback: string, now: Date): string | number | boolean {
  if (param.type === 'boolean') return false;
  if (param.type === 'number') return param.name === 'latitude' ? 52.52 : param.name === 'longitude' ? 13.405 : 1;
  if (/^end(Time|Iso)$/i.test(param.name)) return tomorrowAt(now, 10);
  if (/(Time|Iso)$/i.test(param.name)) return tomorrowAt(now, 9);
  if (param.name === 'url') return `https://example.org/mana/${encodeURIComponent(fallback.toLowerCase().replace(/\s+/g, '-'))}`;
  return fallback;
}

/**
 * Fills every parameter the tool requires (plus the wished optional ones it declares) with a value of
 * its listed JSON type, so each step passes the parser's checks: enum values stay inside their list.
 */
function fill(
  tool: PromptTool, wished: Record<string, string | number | boolean>, fallback: string, now: Date,
): Record<string, string | number | boolean> {
  const params: Record<string, string | number | boolean> = {};
  for (const p of tool.params) {
    let value: string | number | boolean | undefined = wished[p.name];
    if (value !== undefined && typeof value !== p.type) value = undefined;
    if (value === undefined && p.required) value = defaultValue(p, fallback, now);
    if (value === undefined || value === '') continue;
    if (p.enum && p.enum.length > 0 && !p.enum.includes(String(value))) value = p.enum[0]!;
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
