/**
 * The tool allow-list (docs/planner.md §7): the canonical name constant and, separately, the definition
 * table the prompt and the parser use. The two are checked against each other at module load, so the
 * service refuses to start when someone edits one without the other.
 *
 * KI-13 (tool contract drift, revised): the names are the canonical ones (they are the keys of stored
 * agent policies); every parameter name, JSON type, enum and required flag is what the web app's own
 * tool definitions execute, so an approved proposal runs. A web app older than upstream's rename still
 * calls two of the tools differently (`record_visit` for `visit_place`, `undo_last_drink` for
 * `undo_drink`); those two fail on approval there until the web app is updated. Realign by editing
 * this one table, never by renaming in code elsewhere.
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

/** The JSON types a tool parameter may declare (§7). */
export const TOOL_PARAM_TYPES = Object.freeze(['string', 'number', 'boolean'] as const);

/** One of {@link TOOL_PARAM_TYPES}. */
export type ToolParamType = (typeof TOOL_PARAM_TYPES)[number];

/** A tool parameter as shown to the model and checked by the parser (its value's JSON type). */
export interface ToolParam {
  readonly name: string;
  readonly type: ToolParamType;
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

/** A parameter: `type` is the JSON type of its value; `values` makes it an enum of strings. */
const p = (
  name: string, type: ToolParamType, required: boolean, description: string, values?: readonly string[],
): ToolParam =>
  Object.freeze(
    values
      ? { name, type, required, description, enum: Object.freeze([...values]) }
      : { name, type, required, description },
  );

const tool = (name: string, module: string, description: string, parameters: ToolParam[]): ToolDef =>
  Object.freeze({ name, module, description, parameters: Object.freeze(parameters) });

/** Values of `create_place.category` (the web app's place categories). */
const PLACE_CATEGORIES = [
  'home', 'work', 'food', 'shopping', 'sport', 'culture', 'nature', 'transport', 'health', 'education', 'nightlife', 'other',
] as const;

/** The tool definition table, in canonical order. Names, parameters, types and enums are byte-exact (KI-13). */
export const TOOL_DEFINITIONS: readonly ToolDef[] = Object.freeze([
  tool('create_task', 'todo', 'Legt eine neue Aufgabe in der To-do-Liste an.', [
    p('title', 'string', true, 'Titel der Aufgabe'),
    p('dueDate', 'string', false, 'Fälligkeitsdatum im Format YYYY-MM-DD'),
    p('priority', 'string', false, 'Priorität der Aufgabe', ['low', 'medium', 'high']),
    p('description', 'string', false, 'Ausführlichere Beschreibung der Aufgabe'),
  ]),
  tool('complete_task', 'todo', 'Markiert eine bestehende Aufgabe als erledigt.', [
    p('taskId', 'string', true, 'ID der Aufgabe'),
  ]),
  tool(
    'complete_tasks_by_title',
    'todo',
    'Markiert alle offenen Aufgaben als erledigt, deren Titel den angegebenen Text enthält.',
    [p('titleMatch', 'string', true, 'Titel der Aufgabe oder ein Teil davon')],
  ),
  tool('create_event', 'calendar', 'Legt einen Termin im Kalender an.', [
    p('title', 'string', true, 'Titel des Termins'),
    p('startTime', 'string', true, 'Beginn als ISO-8601-Zeitpunkt'),
    p('endTime', 'string', true, 'Ende als ISO-8601-Zeitpunkt'),
    p('isAllDay', 'boolean', false, 'Ganztägiger Termin'),
    p('location', 'string', false, 'Ort des Termins'),
    p('description', 'string', false, 'Beschreibung des Termins'),
  ]),
  tool('create_place', 'places', 'Speichert einen neuen Ort.', [
    p('name', 'string', true, 'Name des Ortes'),
    p('latitude', 'number', true, 'Breitengrad in Dezimalgrad'),
    p('longitude', 'number', true, 'Längengrad in Dezimalgrad'),
    p('category', 'string', false, 'Kategorie des Ortes', PLACE_CATEGORIES),
    p('address', 'string', false, 'Anschrift des Ortes'),
  ]),
  tool('visit_place', 'places', 'Vermerkt einen Besuch an einem gespeicherten Ort.', [
    p('placeId', 'string', true, 'ID des Ortes'),
  ]),
  tool('undo_drink', 'drink', 'Macht das zuletzt erfasste Getränk rückgängig.', []),
  tool('save_news_article', 'news', 'Speichert einen Nachrichtenartikel zum späteren Lesen.', [
    p('url', 'string', true, 'Adresse (URL) des Artikels'),
    p('title', 'string', false, 'Titel des Artikels'),
    p('summary', 'string', false, 'Kurze Zusammenfassung des Artikels'),
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
 * order, no duplicates), every parameter is uniquely named with a type of {@link TOOL_PARAM_TYPES},
 * and only `string` parameters carry an enum. Arguments default to the
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
      if (!(TOOL_PARAM_TYPES as readonly string[]).includes(param.type)) {
        problems.push(`"${def.name}.${param.name}" has type "${String(param.type)}", not one of ${TOOL_PARAM_TYPES.join('|')}`);
      }
      if (param.enum !== undefined && (param.type !== 'string' || param.enum.length === 0)) {
        problems.push(`"${def.name}.${param.name}" has an enum but is not a string parameter with values`);
      }
    }
  }
  if (problems.length > 0) throw new ToolCatalogError(problems);
}

// Module-load check: a mismatch stops the service at start, not at the first plan.
verifyToolCatalog();
