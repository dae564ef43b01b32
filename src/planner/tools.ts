/**
 * The tool allow-list (docs/planner.md §7): the canonical name constant and, separately, the definition
 * table the prompt and the parser use. The two are checked against each other at module load, so the
 * service refuses to start when someone edits one without the other.
 *
 * KI-13 (tool contract drift): the web app of the reference version executes `record_visit` and
 * `undo_last_drink` (we propose `visit_place`, `undo_drink`), expects `startTime`/`endTime` for
 * `create_event` (we send `startIso`/`endIso`), `titleMatch` for `complete_tasks_by_title` (we send
 * `titleSubstring`) and coordinates for `create_place`. Proposals of these tools fail when approved.
 * We still keep the canonical names and parameter names byte-exact: they are the shared canonical
 * list and the keys of stored agent policies. Realign by editing this one table, never by renaming
 * in code elsewhere.
 */
import { AppError } from '../errors.js';

/** The eight tool names an AI may propose (upstream constant of the same name). */
export const AI_PROPOSABLE_TOOL_NAMES = Object.freeze([
  'create_task',
  'complete_task',
  'complete_tasks_by_title',
  'create_event',
  'create_place',
  'visit_place',
  'undo_drink',
  'save_news_article',
] as const);

/** One of {@link AI_PROPOSABLE_TOOL_NAMES}. */
export type ProposableToolName = (typeof AI_PROPOSABLE_TOOL_NAMES)[number];

/** A tool parameter as shown to the model and checked by the parser. All are strings (§7). */
export interface ToolParam {
  readonly name: string;
  readonly type: 'string';
  readonly required: boolean;
  readonly description: string;
  readonly enum?: readonly string[];
}

/** A tool definition (`AvailableTool` of docs/planner.md §1). */
export interface ToolDef {
  readonly name: string;
  readonly module: string;
  readonly description: string;
  readonly parameters: readonly ToolParam[];
}

const p = (name: string, required: boolean, description: string, values?: readonly string[]): ToolParam =>
  Object.freeze(
    values
      ? { name, type: 'string' as const, required, description, enum: Object.freeze([...values]) }
      : { name, type: 'string' as const, required, description },
  );

const tool = (name: string, module: string, description: string, parameters: ToolParam[]): ToolDef =>
  Object.freeze({ name, module, description, parameters: Object.freeze(parameters) });

/** The tool definition table, in canonical order. Names and parameter names are byte-exact (KI-13). */
export const TOOL_DEFINITIONS: readonly ToolDef[] = Object.freeze([
  tool('create_task', 'todo', 'Legt eine neue Aufgabe in der To-do-Liste an.', [
    p('title', true, 'Titel der Aufgabe'),
    p('dueDate', false, 'Fälligkeitsdatum im Format YYYY-MM-DD'),
    p('priority', false, 'Priorität der Aufgabe', ['low', 'medium', 'high']),
    p('description', false, 'Ausführlichere Beschreibung der Aufgabe'),
  ]),
  tool('complete_task', 'todo', 'Markiert eine bestehende Aufgabe als erledigt.', [
    p('taskId', true, 'ID der Aufgabe'),
  ]),
  tool(
    'complete_tasks_by_title',
    'todo',
    'Markiert alle offenen Aufgaben als erledigt, deren Titel den angegebenen Text enthält.',
    [p('titleSubstring', true, 'Textteil, der im Aufgabentitel vorkommen muss')],
  ),
  tool('create_event', 'calendar', 'Legt einen Termin im Kalender an.', [
    p('title', true, 'Titel des Termins'),
    p('startIso', true, 'Beginn als ISO-8601-Zeitpunkt'),
    p('endIso', false, 'Ende als ISO-8601-Zeitpunkt'),
  ]),
  tool('create_place', 'places', 'Speichert einen neuen Ort.', [
    p('name', true, 'Name des Ortes'),
    p('category', false, 'Kategorie des Ortes, z. B. Café oder Park'),
  ]),
  tool('visit_place', 'places', 'Vermerkt einen Besuch an einem gespeicherten Ort.', [
    p('placeId', true, 'ID des Ortes'),
  ]),
  tool('undo_drink', 'drink', 'Macht das zuletzt erfasste Getränk rückgängig.', []),
  tool('save_news_article', 'news', 'Speichert einen Nachrichtenartikel zum späteren Lesen.', [
    p('url', true, 'Adresse (URL) des Artikels'),
    p('title', false, 'Titel des Artikels'),
    p('summary', false, 'Kurze Zusammenfassung des Artikels'),
  ]),
]);

/** The name constant and the definition table disagree (or the table is malformed). */
export class ToolCatalogError extends AppError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('TOOL_CATALOG_MISMATCH', `tool catalog mismatch:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/**
 * Throws {@link ToolCatalogError} unless `definitions` holds exactly the tools of `names` (same
 * order, no duplicates) and every parameter is a uniquely named `string`. Arguments default to the
 * real constants; tests pass altered copies.
 */
export function verifyToolCatalog(
  names: readonly string[] = AI_PROPOSABLE_TOOL_NAMES,
  definitions: readonly ToolDef[] = TOOL_DEFINITIONS,
): void {
  const problems: string[] = [];
  const defined = definitions.map((d) => d.name);
  for (const name of names) if (!defined.includes(name)) problems.push(`"${name}" has no definition`);
  for (const name of defined) if (!names.includes(name)) problems.push(`"${name}" is defined but not proposable`);
  if (new Set(defined).size !== defined.length) problems.push('duplicate tool definitions');
  if (new Set(names).size !== names.length) problems.push('duplicate tool names');
  if (problems.length === 0 && defined.some((name, i) => name !== names[i])) {
    problems.push('definitions are not in canonical order');
  }
  for (const def of definitions) {
    const paramNames = def.parameters.map((param) => param.name);
    if (new Set(paramNames).size !== paramNames.length) problems.push(`"${def.name}" has duplicate parameters`);
    for (const param of def.parameters) {
      if (param.type !== 'string') problems.push(`"${def.name}.${param.name}" is not of type string`);
    }
  }
  if (problems.length > 0) throw new ToolCatalogError(problems);
}

// Module-load check: a mismatch stops the service at start, not at the first plan.
verifyToolCatalog();
