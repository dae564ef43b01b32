/**
 * Resolves a mission's `inputs` (docs/resolvers.md §1): every reference concurrently, through the
 * registry; unknown modules and failed resolvers drop their input, the mission still plans.
 */
import { errorFields } from '../errors.js';
import { createResolverRegistry } from './registry.js';
import type {
  InputRef, ResolveContext, ResolvedInput, ResolveOutcome, ResolveResult, Resolver, ResolverDeps, UnavailableInput,
} from './types.js';

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Keeps the well-formed `{module, table, id}` entries of `refs` (strings, non-empty), first
 * occurrence only: audit rows are one per record per run, and a repeated input adds nothing.
 * Anything else is reported through `onInvalid` and left out.
 */
export function parseInputRefs(refs: unknown, onInvalid: (index: number) => void = () => undefined): InputRef[] {
  if (!Array.isArray(refs)) return [];
  const seen = new Set<string>();
  const out: InputRef[] = [];
  refs.forEach((ref: unknown, index) => {
    const r = (typeof ref === 'object' && ref !== null ? ref : {}) as Record<string, unknown>;
    if (!isNonEmptyString(r.module) || !isNonEmptyString(r.table) || !isNonEmptyString(r.id)) {
      onInvalid(index);
      return;
    }
    const key = JSON.stringify([r.module, r.table, r.id]);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ module: r.module, table: r.table, id: r.id });
  });
  return out;
}

/**
 * Resolves `refs` (the mission's raw `inputs`) into prompt inputs. All references run
 * concurrently; both result lists keep the order of `refs`. A module without a resolver is dropped
 * silently (listed as `unknown-module`); a resolver that throws is logged and listed as
 * `resolver-error`. Never rejects because of one input.
 *
 * @param registry defaults to {@link createResolverRegistry}; tests may pass their own.
 */
export async function resolveInputs(
  refs: unknown,
  ctx: ResolveContext,
  deps: ResolverDeps,
  registry: ReadonlyMap<string, Resolver> = createResolverRegistry(),
): Promise<ResolveResult> {
  const parsed = parseInputRefs(refs, (index) =>
    deps.logger.warn('invalid input reference ignored', { mission_id: ctx.missionId, index }));

  const outcomes = await Promise.all(parsed.map(async (ref): Promise<ResolveOutcome> => {
    const resolver = registry.get(ref.module);
    if (resolver === undefined) return { ok: false, reason: 'unknown-module' };
    try {
      return await resolver(ref, ctx, deps);
    } catch (error) {
      deps.logger.warn('input resolver failed; input dropped', {
        mission_id: ctx.missionId, iteration_id: ctx.iterationId,
        module: ref.module, table: ref.table, record_id: ref.id, error: errorFields(error),
      });
      return { ok: false, reason: 'resolver-error' };
    }
  }));

  const inputs: ResolvedInput[] = [];
  const unavailable: UnavailableInput[] = [];
  outcomes.forEach((outcome, i) => {
    const ref = parsed[i];
    if (outcome.ok) inputs.push(outcome.input);
    else unavailable.push({ ...ref, reason: outcome.reason, ...(outcome.detail ? { detail: outcome.detail } : {}) });
  });
  return { inputs, unavailable };
}
