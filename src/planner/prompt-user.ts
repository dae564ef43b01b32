/**
 * The user message of the planner prompt (docs/planner.md §4): mission, linked inputs in `<user_data>`,
 * unavailable inputs, inputs cut by the input size limit, the last three iterations, and the closing
 * request.
 */
import type { InputCut } from './input-limit.js';
import type { PlannerMission } from './mission.js';
import { isPlainObject } from './policy.js';
import { neutraliseUserData as safe, wrapUserData } from './user-data.js';

/** A resolved input (`ResolvedInput` of docs/resolvers.md). */
export interface PromptInput {
  readonly id: string;
  readonly module: string;
  readonly table: string;
  readonly title?: string | null;
  readonly content: string;
}

/** An input reference that could not be shown, with a short reason (e.g. `grant-expired`). */
export interface UnavailableInput {
  readonly ref: { readonly module: string; readonly table: string; readonly id: string };
  readonly reason: string;
}

/** How many past iterations the prompt shows. */
export const PROMPT_ITERATION_LIMIT = 3;

const str = (value: unknown): string => safe(String(value ?? ''));
const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** What the input size limit did, for the note below the inputs. */
export interface InputLimitNote {
  readonly maxChars: number;
  readonly cuts: readonly InputCut[];
}

function renderCuts(note: InputLimitNote): string {
  const list = note.cuts
    .map((c) => `${str(c.module)}/${str(c.table)}: ${str(c.title ?? c.id)} (${c.from} → ${c.to} Zeichen)`)
    .join(', ');
  return `Gekürzt, weil die Eingaben zusammen mehr als ${note.maxChars} Zeichen haben (die längsten zuerst): ${list}`;
}

function renderInputs(inputs: readonly PromptInput[], unavailable: readonly UnavailableInput[], limit?: InputLimitNote): string {
  const blocks = inputs.map(
    (input) =>
      `### ${str(input.module)}/${str(input.table)}: ${str(input.title ?? input.id)}\n` +
      wrapUserData(String(input.content ?? '')),
  );
  const body = blocks.length > 0 ? blocks.join('\n\n') : '_(keine verknüpften Eingaben)_';
  const notes: string[] = [];
  if (limit && limit.cuts.length > 0) notes.push(renderCuts(limit));
  if (unavailable.length > 0) {
    const missing = unavailable
      .map((u) => `${str(u.ref.module)}/${str(u.ref.table)}/${str(u.ref.id)} (${str(u.reason)})`)
      .join(', ');
    notes.push(`Nicht verfügbare Eingaben: ${missing}`);
  }
  return [body, ...notes].join('\n\n');
}

/** One stored iteration as §4 item 5 lines; malformed entries render with empty fields. */
export function renderIteration(raw: unknown): string {
  const it = isPlainObject(raw) ? raw : {};
  const lines = [`**${str(it['startedAt'])}** (${str(it['overallStatus'])}):`];
  if (nonEmpty(it['summary'])) lines.push(`  Summary: ${safe(it['summary'])}`);
  for (const rawStep of Array.isArray(it['plan']) ? it['plan'] : []) {
    const step = isPlainObject(rawStep) ? rawStep : {};
    lines.push(`  - [${str(step['status'])}] ${str(step['summary'])}`);
  }
  if (nonEmpty(it['userFeedback'])) lines.push(`  Feedback des Nutzers: ${safe(it['userFeedback'])}`);
  return lines.join('\n');
}

function renderIterations(iterations: readonly unknown[]): string {
  if (iterations.length === 0) return '_(erste Iteration)_';
  return iterations.slice(-PROMPT_ITERATION_LIMIT).map(renderIteration).join('\n\n');
}

/** Renders the user message for a normalised mission. */
export function renderUserMessage(
  mission: PlannerMission,
  inputs: readonly PromptInput[],
  unavailable: readonly UnavailableInput[],
  limit?: InputLimitNote,
): string {
  return [
    `# Mission: ${safe(mission.title)}`,
    `## Konzept\n${mission.conceptMarkdown === '' ? '_(leer)_' : safe(mission.conceptMarkdown)}`,
    `## Konkretes Ziel\n${safe(mission.objective)}`,
    `## Verknüpfte Eingaben\n${renderInputs(inputs, unavailable, limit)}`,
    `## Letzte Iterationen (max. 3)\n${renderIterations(mission.iterations)}`,
    '---\nErstelle jetzt den nächsten Plan für diese Mission, genau im oben beschriebenen Format.',
  ].join('\n\n');
}
