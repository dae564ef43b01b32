/**
 * The iteration a parsed plan becomes (docs/writeback.md §1). Exactly the wire keys of the web app's
 * `MissionIteration` / `PlanStep`; nothing else is added (no per-step rationale key exists, KI-17).
 */
import type { ParsedPlan } from './parser.js';

/** A planned step as written back. */
export interface IterationStep {
  readonly id: string;
  readonly summary: string;
  readonly intent: {
    readonly kind: 'toolCall';
    readonly toolName: string;
    readonly params: Readonly<Record<string, unknown>>;
  };
  readonly status: 'planned';
}

/** A server-written iteration. */
export interface ServerIteration {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly plan: readonly IterationStep[];
  readonly summary: string;
  readonly overallStatus: 'awaiting-review' | 'approved';
  readonly source: 'server';
}

/** Inputs of {@link buildIteration}; `iterationId` is a fresh v4 UUID chosen by the caller. */
export interface BuildIterationArgs {
  readonly iterationId: string;
  /** When planning of this mission began. */
  readonly startedAt: Date;
  /** The instant of the write-back. */
  readonly finishedAt: Date;
  readonly plan: ParsedPlan;
}

/**
 * Builds the iteration: step ids `${iterationId}-${i}`, step summary = the model's summary or, when
 * that is empty, the step's rationale (KI-17); `awaiting-review` with steps, else `approved`.
 */
export function buildIteration({ iterationId, startedAt, finishedAt, plan }: BuildIterationArgs): ServerIteration {
  const steps = plan.steps.map(
    (step, i): IterationStep => ({
      id: `${iterationId}-${i}`,
      summary: step.summary !== '' ? step.summary : step.rationale,
      intent: { kind: 'toolCall', toolName: step.toolName, params: step.params },
      status: 'planned',
    }),
  );
  return {
    id: iterationId,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    plan: steps,
    summary: plan.summary,
    overallStatus: steps.length > 0 ? 'awaiting-review' : 'approved',
    source: 'server',
  };
}
