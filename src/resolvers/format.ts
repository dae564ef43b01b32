/**
 * Titles, content lines and truncation of resolved inputs (docs/resolvers.md §3). Labels are German;
 * the structure of each line is fixed by the spec. The field names deliberately follow the
 * reference even where real records differ (docs/resolvers.md §4): tasks have no `status`, events no
 * `startDate`, goals keep their period in `target.period`; such parts are simply omitted.
 */

/** Content caps in characters (UTF-16 code units, like the reference's `String.length`). */
export const CONTENT_LIMIT = { default: 500, kontext: 1500 } as const;

/** The German words used in content lines. */
export const LABELS = {
  untitled: '(ohne Titel)',
  due: 'fällig',
  progress: 'Fortschritt',
  unknown: 'unbekannt',
} as const;

type Rec = Record<string, unknown>;

/**
 * "Present" for the parts of task and event lines and for the goal's period (what the reference's
 * own tests expect; README, *Planner*): a non-empty string. `''`, `null`, numbers, booleans, objects and absent fields
 * are not present: their part is left out, or a title gets the placeholder.
 */
export const present = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * The goal's counts (`currentValue`, `target.value`) are numbers in the web app's goal records, and
 * the line is `<currentValue ?? 0> / <target.value ?? ?>`: a finite number or a non-empty string is
 * shown; anything else (`''`, `null`, an object, NaN …) gets the fallback, like an absent field.
 */
const presentCount = (v: unknown): v is string | number => present(v) || (typeof v === 'number' && Number.isFinite(v));

/** A field value as prompt text: strings as they are, other values as JSON. */
export function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

/**
 * Cuts text longer than `max` characters to `max` and appends `…` (U+2026); shorter or equal text
 * is unchanged. A cut that would split a surrogate pair drops the dangling high surrogate, so the
 * result is always valid UTF-16 (then one unit shorter than `max` before the ellipsis).
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** Title rule of the encrypted resolvers (not kontext): `title` if it is a string (even `''`), else the fallback. */
export function stringTitle(record: Rec, fallback: string): string {
  return typeof record.title === 'string' ? record.title : fallback;
}

/** Title rule of goals: `title` unless absent or `null`, else `Goal` (the title is not a line part). */
export function goalTitle(record: Rec): string {
  return record.title !== undefined && record.title !== null ? asText(record.title) : 'Goal';
}

/** `content` if a string, else its JSON; absent or `null` becomes `""` (the JSON of an empty string). */
export function contentOrJson(record: Rec): string {
  const c = record.content;
  if (typeof c === 'string') return c;
  return JSON.stringify(c !== undefined && c !== null ? c : '') ?? '';
}

/** `content` if a string, else empty (journal). */
export function contentOrEmpty(record: Rec): string {
  return typeof record.content === 'string' ? record.content : '';
}

/** `Fortschritt: <currentValue ?? 0> / <target.value ?? ?> (<period ?? unbekannt>)`. */
export function goalLine(record: Rec): string {
  const target = typeof record.target === 'object' && record.target !== null ? (record.target as Rec) : {};
  const current = presentCount(record.currentValue) ? String(record.currentValue) : '0';
  const goal = presentCount(target.value) ? String(target.value) : '?';
  // The reference reads a top-level `period`; real goals keep it in `target.period` (kept as specified).
  const period = present(record.period) ? record.period : LABELS.unknown;
  return `${LABELS.progress}: ${current} / ${goal} (${period})`;
}

/** `[<status>] <title> — <description> (fällig: <dueDate>)`, each part only when present. */
export function taskLine(record: Rec): string {
  const parts: string[] = [];
  if (present(record.status)) parts.push(`[${record.status}]`);
  parts.push(present(record.title) ? record.title : LABELS.untitled);
  if (present(record.description)) parts.push(`— ${record.description}`);
  if (present(record.dueDate)) parts.push(`(${LABELS.due}: ${record.dueDate})`);
  return parts.join(' ');
}

/** `<title> @ <startDate> in <location>`, each of the last two only when present. */
export function eventLine(record: Rec): string {
  const parts: string[] = [present(record.title) ? record.title : LABELS.untitled];
  if (present(record.startDate)) parts.push(`@ ${record.startDate}`);
  if (present(record.location)) parts.push(`in ${record.location}`);
  return parts.join(' ');
}
