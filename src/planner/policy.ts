/**
 * The agent policy filter (docs/planner.md §7, KI-12). The filtered list is both what the prompt offers
 * and the parser's allowed set, so a tool the model mentions despite a `deny` never gets written back.
 */

/** A policy decision; anything else found in stored data is kept as-is and never equals `'deny'`. */
export type PolicyDecision = 'auto' | 'propose' | 'deny';

/** The parts of an agent the filter reads. `policy` is stored data and may have any shape. */
export interface PolicyAgent {
  readonly policy?: unknown;
}

type Dict = Readonly<Record<string, unknown>>;

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own property only: a tool called `constructor` must not pick up `Object.prototype` members. */
function own(dict: Dict, key: string): unknown {
  return Object.hasOwn(dict, key) ? dict[key] : undefined;
}

/**
 * The AI-actor decision for one tool: `tools[name] ?? defaultsByModule[module] ?? defaultForAi`.
 * A missing or non-object `tools` / `defaultsByModule` counts as `{}` (KI-12).
 */
export function decideForAi(policy: Dict, tool: { readonly name: string; readonly module: string }): unknown {
  const tools = isPlainObject(policy['tools']) ? policy['tools'] : {};
  const byModule = isPlainObject(policy['defaultsByModule']) ? policy['defaultsByModule'] : {};
  return own(tools, tool.name) ?? own(byModule, tool.module) ?? policy['defaultForAi'];
}

/**
 * Keeps the tools the agent's policy does not deny. No agent, or a policy that is not a plain object
 * (absent, `null`, an array, a string …) → every tool. Otherwise a tool is dropped iff its decision
 * is exactly `'deny'`; `auto` and `propose` both stay because the runner only ever proposes.
 * The input order is kept.
 */
export function filterToolsByPolicy<T extends { readonly name: string; readonly module: string }>(
  tools: readonly T[],
  agent: PolicyAgent | null | undefined,
): T[] {
  const policy = agent?.policy;
  if (!isPlainObject(policy)) return [...tools];
  return tools.filter((tool) => decideForAi(policy, tool) !== 'deny');
}
