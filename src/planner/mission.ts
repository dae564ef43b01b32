/**
 * Normalisation of stored mission and agent snapshots into the shapes the planner reads
 * (docs/planner.md §1, docs/data-model.md §2). Stored JSON can hold anything; these never throw.
 */
import { isPlainObject } from './policy.js';

/** The mission fields the planner uses, normalised. */
export interface PlannerMission {
  readonly id: string;
  readonly title: string;
  readonly conceptMarkdown: string;
  readonly objective: string;
  /** Input references as stored (`{module, table, id}`); the resolvers validate each one. */
  readonly inputs: readonly unknown[];
  /** Stored iterations in stored order; rendered leniently by the prompt. */
  readonly iterations: readonly unknown[];
  readonly agentId?: string;
  readonly grant?: unknown;
}

/** The agent fields the prompt and the policy filter read, normalised. */
export interface PlannerAgent {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly systemPrompt?: unknown;
  readonly memory?: unknown;
  /** Kept only if it is a plain object (not an array). */
  readonly policy?: Readonly<Record<string, unknown>>;
}

const str = (value: unknown): string => String(value ?? '');
const list = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/**
 * Strings via `String(x ?? '')`; `inputs` and `iterations` default to `[]` (a non-array also
 * counts as missing); `agentId` only if it is a string; `grant` only if the key is present.
 */
export function normalisePlannerMission(raw: unknown): PlannerMission {
  const m = isPlainObject(raw) ? raw : {};
  return {
    id: str(m['id']),
    title: str(m['title']),
    conceptMarkdown: str(m['conceptMarkdown']),
    objective: str(m['objective']),
    inputs: list(m['inputs']),
    iterations: list(m['iterations']),
    ...(typeof m['agentId'] === 'string' ? { agentId: m['agentId'] } : {}),
    ...(m['grant'] !== undefined ? { grant: m['grant'] } : {}),
  };
}

/**
 * Agent defaults of docs/data-model.md §2: `name` → `'Unnamed'` unless it is a string (the same rule as the
 * write-back actor's `displayName` in write_mission_row.sql, so prompt and actor name the agent alike;
 * an empty string is kept there too), `role` → `''`, `policy` kept only if it is a plain object.
 * `systemPrompt` and `memory` are passed through (usually `enc:1:` ciphertext).
 */
export function normalisePlannerAgent(raw: unknown): PlannerAgent {
  const a = isPlainObject(raw) ? raw : {};
  return {
    id: str(a['id']),
    name: typeof a['name'] === 'string' ? a['name'] : 'Unnamed',
    role: str(a['role']),
    ...(a['systemPrompt'] !== undefined ? { systemPrompt: a['systemPrompt'] } : {}),
    ...(a['memory'] !== undefined ? { memory: a['memory'] } : {}),
    ...(isPlainObject(a['policy']) ? { policy: a['policy'] } : {}),
  };
}
