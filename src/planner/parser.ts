/**
 * The plan parser (docs/planner.md §6). Stricter than the reference (KI-18): every fenced block is a
 * candidate and the first *usable* one wins, at most five steps, arrays are never objects, and
 * parameters are checked against the (policy-filtered, KI-12) tool definitions. It never throws.
 */
import { isPlainObject } from './policy.js';
import type { ToolDef, ToolParam } from './tools.js';

/** Most steps a plan may have. */
export const MAX_PLAN_STEPS = 5;

/** One validated step. `params` passes undeclared keys through unchanged. */
export interface PlanStep {
  readonly summary: string;
  readonly toolName: string;
  readonly rationale: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A validated plan; `steps` may be empty ("nothing to do"). */
export interface ParsedPlan {
  readonly summary: string;
  readonly steps: readonly PlanStep[];
}

/** Parser result: the plan, or the first failure with the candidate text (`raw`). */
export type ParseResult =
  | { readonly ok: true; readonly value: ParsedPlan }
  | { readonly ok: false; readonly reason: string; readonly raw: string };

/** What a step may name: the filtered tool definitions (with parameter checks) or just names. */
export type AllowedTools = readonly ToolDef[] | ReadonlySet<string>;

// Three backticks, an optional info word on the same line, an optional newline, then lazily up to
// the next three backticks. The info word must start with a letter so ```{…}``` keeps its `{`.
const FENCE = /```([A-Za-z][\w+.#-]*)?[^\S\n]*\n?([\s\S]*?)```/g;

/** The candidate texts of §6, in order (each trimmed). */
export function findCandidates(text: string): string[] {
  const blocks = [...text.matchAll(FENCE)].map((m) => (m[2] ?? '').trim());
  if (blocks.length > 0) return blocks;
  const whole = text.trim();
  return whole.startsWith('{') && whole.endsWith('}') ? [whole] : [];
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

function tryJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

const isToolList = (allowed: AllowedTools): allowed is readonly ToolDef[] => Array.isArray(allowed);

const hasStepsArray = (p: Parsed): boolean => p.ok && isPlainObject(p.value) && Array.isArray(p.value['steps']);

function paramProblem(i: number, params: Readonly<Record<string, unknown>>, defs: readonly ToolParam[]): string | null {
  const at = (name: string) => `step[${i}].params.${name}`;
  const get = (name: string): unknown => (Object.hasOwn(params, name) ? params[name] : undefined);
  for (const def of defs) {
    const v = get(def.name);
    if (def.required && (v === undefined || v === null || v === '')) return `${at(def.name)} is required`;
  }
  for (const def of defs) {
    const v = get(def.name);
    // JSON.parse yields only finite numbers, so `typeof` is the whole JSON type check.
    if (v !== undefined && v !== null && typeof v !== def.type) return `${at(def.name)} must be a ${def.type}`;
  }
  for (const def of defs) {
    const v = get(def.name);
    if (v !== undefined && v !== null && def.enum && def.enum.length > 0 && !def.enum.includes(v as string)) {
      return `${at(def.name)} must be one of ${def.enum.join('|')}`;
    }
  }
  return null;
}

function validate(value: unknown, allowed: AllowedTools): ParsedPlan | string {
  if (!isPlainObject(value)) return 'top-level value is not an object';
  const rawSteps = value['steps'];
  if (!Array.isArray(rawSteps)) return '`steps` must be an array';
  if (rawSteps.length > MAX_PLAN_STEPS) return `\`steps\` must contain at most ${MAX_PLAN_STEPS} entries`;
  const defs = isToolList(allowed) ? new Map(allowed.map((t) => [t.name, t])) : null;
  const steps: PlanStep[] = [];
  for (const [i, step] of rawSteps.entries()) {
    if (!isPlainObject(step)) return `step[${i}] is not an object`;
    const toolName = step['toolName'];
    if (typeof toolName !== 'string' || toolName === '') return `step[${i}].toolName missing or not a string`;
    const known = defs ? defs.has(toolName) : (allowed as ReadonlySet<string>).has(toolName);
    if (!known) return `step[${i}].toolName "${toolName}" is not in the allowed tool set`;
    const rationale = step['rationale'];
    if (typeof rationale !== 'string' || rationale === '') {
      return `step[${i}].rationale is required (user will see this)`;
    }
    const rawParams = step['params'] ?? {};
    if (!isPlainObject(rawParams)) return `step[${i}].params must be an object`;
    const problem = paramProblem(i, rawParams, defs?.get(toolName)?.parameters ?? []);
    if (problem !== null) return problem;
    const summary = typeof step['summary'] === 'string' ? step['summary'] : '';
    steps.push({ summary, toolName, rationale, params: rawParams });
  }
  return { summary: typeof value['summary'] === 'string' ? value['summary'] : '', steps };
}

/**
 * Parses the model's answer. `allowedTools` is the policy-filtered tool list (KI-12); pass the
 * definitions so parameters are checked (a plain name set checks names only). Never throws.
 */
export function parsePlan(text: string, allowedTools: AllowedTools): ParseResult {
  const full = typeof text === 'string' ? text : '';
  try {
    const candidates = findCandidates(full);
    if (candidates.length === 0) return { ok: false, reason: 'no JSON block found', raw: full };
    const parsed = candidates.map(tryJson);
    const index = Math.max(0, parsed.findIndex(hasStepsArray));
    const raw = candidates[index] as string;
    const chosen = parsed[index] as Parsed;
    if (!chosen.ok) return { ok: false, reason: `JSON parse failed: ${chosen.message}`, raw };
    const result = validate(chosen.value, allowedTools);
    return typeof result === 'string' ? { ok: false, reason: result, raw } : { ok: true, value: result };
  } catch (error) {
    // Defensive only: nothing above is expected to throw, but the contract is "never throws".
    return { ok: false, reason: `parser error: ${error instanceof Error ? error.message : String(error)}`, raw: full };
  }
}

/** Log fields for a failed parse: the reason and the first 200 characters of the raw text (§6). */
export function parseFailureFields(result: { readonly reason: string; readonly raw: string }): {
  reason: string;
  raw: string;
} {
  return { reason: result.reason, raw: result.raw.slice(0, 200) };
}
