/**
 * One claimed run, from lease to write-back: load (SQL) → grant unwrap → inputs (SQL replay, decrypt,
 * audit) → prompt → LLM (lease heartbeats meanwhile) → parse → complete (SQL) or fail (SQL).
 * Every decision about rows is made by the SQL functions; this file only does what Postgres cannot.
 */
import { randomUUID } from 'node:crypto';
import type { GrantKey, KeyNotConfigured } from '../crypto/grant.js';
import { unwrapGrant } from '../crypto/grant.js';
import type { Calls, ClaimedRun, FailResult } from '../db/calls.js';
import { coerceError, errorCode } from '../errors.js';
import { LlmCircuitOpenError, LlmError } from '../llm/errors.js';
import type { LlmClient } from '../llm/client.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { buildIteration } from '../planner/iteration.js';
import { parseFailureFields, parsePlan } from '../planner/parser.js';
import { filterToolsByPolicy } from '../planner/policy.js';
import { DEFAULT_PROMPT_MAX_CHARS } from '../planner/input-limit.js';
import { buildPrompt } from '../planner/prompt.js';
import { TOOL_DEFINITIONS } from '../planner/tools.js';
import { holdLease } from './lease.js';
import { resolveInputs } from '../resolvers/resolve.js';

/** How a run ended, from this listener's point of view. */
export type RunResult =
  | { outcome: 'done'; missionId: string }
  | { outcome: 'superseded' | 'stale' | 'released' | 'lease-lost'; missionId: string }
  | { outcome: 'failed' | 'dead'; missionId: string; parseFailure: boolean; planProduced: boolean; message: string };

export interface ProcessRunDeps {
  calls: Calls;
  llm: LlmClient;
  metrics: Metrics;
  logger: Logger;
  grantKey: GrantKey | KeyNotConfigured;
  leaseMs: number;
  /** Input size limit of the prompt (MANA_AI_PROMPT_MAX_CHARS); default 100,000 characters. */
  promptMaxChars?: number;
  /** Heartbeat period; default a third of the lease. */
  heartbeatMs?: number;
  now?: () => Date;
  /** Aborts the run when the listener shuts down. */
  signal?: AbortSignal;
}

/** Classified failure reason recorded in the ledger (runs.error_class). */
function classify(error: unknown): string {
  if (error instanceof LlmError) return `llm:${error.kind}`;
  return errorCode(error, 'internal').toLowerCase();
}

/** Processes one claimed run to its end. Never throws: every failure is recorded through SQL. */
export async function processRun(run: ClaimedRun, deps: ProcessRunDeps): Promise<RunResult> {
  const { calls, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ run_id: run.run_id, mission_id: run.mission_id, attempt: run.attempt });
  const missionId = run.mission_id;
  const startedAt = now();
  const iterationId = randomUUID();
  const abort = new AbortController();
  const onShutdown = () => abort.abort(deps.signal?.reason);
  deps.signal?.addEventListener('abort', onShutdown, { once: true });
  const lease = holdLease({
    calls, metrics, log, runId: run.run_id, token: run.lease_token, leaseMs: deps.leaseMs, heartbeatMs: deps.heartbeatMs,
    onLost: () => abort.abort(new Error('lease lost')),
  });
  const { leased, settle } = lease;

  let planProduced = false;
  let parseFailure = false;
  // LLM tokens of this attempt (sum of usage.total_tokens of every received answer; null = none yet),
  // handed to complete_run / fail_run, which record them with the attempt's outcome.
  let tokens: number | null = null;
  const onUsage = (n: number) => {
    tokens = (tokens ?? 0) + n;
    metrics.tokensUsed.inc(n);
  };
  try {
    // claimAndLoadRuns brings the payload with the claim; a run claimed without it is loaded now
    const loaded = run.loaded !== undefined ? run.loaded : await calls.loadRun(run.run_id, run.lease_token);
    if (!loaded) {
      log.warn('run no longer leased to this listener');
      return { outcome: 'stale', missionId };
    }
    const { mission, agent, agentResolved } = loaded;
    if (!agentResolved && typeof mission.agentId === 'string' && mission.agentId !== '') {
      log.warn('mission names an agent that is missing or deleted: planning as the legacy principal', { agent_id: mission.agentId });
    }

    // Grant (docs/crypto.md §3): failures are counted and planning goes on without encrypted inputs (KI-15).
    let mdk;
    let allowlist: ReadonlySet<string> | undefined;
    if (mission.grant !== undefined && mission.grant !== null) {
      const unwrapped = unwrapGrant(mission.grant, String(mission.id ?? missionId), now(), deps.grantKey);
      if (unwrapped.ok) {
        mdk = unwrapped.mdk;
        allowlist = unwrapped.recordIds;
      } else {
        metrics.grantSkips.inc({ reason: unwrapped.reason });
        log.warn('grant not usable: planning without encrypted inputs', { reason: unwrapped.reason, detail: unwrapped.detail });
      }
    }

    const { inputs, unavailable } = await resolveInputs(
      mission.inputs,
      { missionId, iterationId, ...(mdk ? { mdk } : {}), ...(allowlist ? { allowlist } : {}) },
      {
        replayRecord: (appId, table, recordId) => leased(calls.replayInput(run.run_id, run.lease_token, appId, table, recordId)),
        recordAudit: async (row) => {
          await leased(calls.recordDecryptAudit(run.run_id, run.lease_token, iterationId, row.tableName, row.recordId, row.status, row.reason));
        },
        onDecrypts: (table, n) => metrics.decrypts.inc({ table }, n),
        onScopeViolation: (table) => metrics.grantScopeViolations.inc({ table }),
        logger: log,
      },
    );

    if (lease.lost) return { outcome: 'lease-lost', missionId };
    const tools = filterToolsByPolicy(TOOL_DEFINITIONS, agentResolved ? agent : null);
    const prompt = buildPrompt({
      mission,
      agent: agentResolved ? agent : null,
      resolvedInputs: inputs,
      unavailableInputs: unavailable.map((u) => ({ ref: { module: u.module, table: u.table, id: u.id }, reason: u.reason })),
      tools,
      ...(deps.promptMaxChars !== undefined ? { maxInputChars: deps.promptMaxChars } : {}),
    });
    if (prompt.inputCuts.length > 0) {
      metrics.promptInputsCut.inc(prompt.inputCuts.length);
      log.warn('inputs cut to the prompt input size limit', {
        limit_chars: deps.promptMaxChars ?? DEFAULT_PROMPT_MAX_CHARS,
        cuts: prompt.inputCuts.map((c) => ({ module: c.module, table: c.table, id: c.id, from: c.from, to: c.to })),
      });
    }

    metrics.dueToLlm.observe(Math.max(0, (Date.now() - new Date(run.became_due_at).getTime()) / 1000));
    const text = await deps.llm.complete(prompt, { signal: abort.signal, onUsage });
    if (lease.lost) return { outcome: 'lease-lost', missionId };

    const parsed = parsePlan(text, tools);
    if (!parsed.ok) {
      parseFailure = true;
      metrics.parseFailures.inc();
      log.warn('plan did not parse', parseFailureFields(parsed));
      const failed = await settle(() => calls.failRun(run.run_id, run.lease_token, 'parse', parsed.reason, tokens));
      return ledgerFailure(failed.status, missionId, `plan did not parse: ${parsed.reason}`, false, true, metrics);
    }
    planProduced = true;
    metrics.plansProduced.inc();
    for (const step of parsed.value.steps) log.info('plan step', { tool: step.toolName, rationale: step.rationale });

    const iteration = buildIteration({ iterationId, startedAt, finishedAt: now(), plan: parsed.value });
    const result = await settle(() => calls.completeRun(run.run_id, run.lease_token, iteration, tokens));
    if (result.status === 'done') {
      metrics.plansWrittenBack.inc();
      metrics.runs.inc({ outcome: 'done' });
      if (result.agentResolved) metrics.countAgentRan();
      log.info('iteration written back', { iteration_id: iterationId, steps: parsed.value.steps.length, next_run_at: result.nextRunAt });
      return { outcome: 'done', missionId };
    }
    metrics.runs.inc({ outcome: result.status === 'superseded' ? 'superseded' : 'released' });
    log.info(result.status === 'superseded' ? 'slot superseded: the mission changed meanwhile, nothing written' : 'lease lost before write-back', {});
    return { outcome: result.status === 'superseded' ? 'superseded' : 'stale', missionId };
  } catch (caught) {
    const error = coerceError(caught);
    if (lease.lost) return { outcome: 'lease-lost', missionId };
    if (error instanceof LlmCircuitOpenError || deps.signal?.aborted) {
      // An outage or a shutdown is not this run's fault: hand the slot back without using an attempt.
      await settle(() => calls.releaseRun(run.run_id, run.lease_token, error.message)).catch((e) =>
        log.warn('release failed; the lease will expire instead', { message: coerceError(e).message }),
      );
      metrics.runs.inc({ outcome: 'released' });
      return { outcome: 'released', missionId };
    }
    metrics.missionErrors.inc();
    log.error('run failed', { code: errorCode(error), message: error.message });
    try {
      const failed = await settle(() => calls.failRun(run.run_id, run.lease_token, classify(error), error.message.slice(0, 2000), tokens));
      return ledgerFailure(failed.status, missionId, error.message, planProduced, parseFailure, metrics);
    } catch (failError) {
      log.error('could not record the failure; the lease will expire and the run be retried', { message: coerceError(failError).message });
      return { outcome: 'failed', missionId, parseFailure, planProduced, message: error.message };
    }
  } finally {
    lease.stop();
    deps.signal?.removeEventListener('abort', onShutdown);
  }
}

function ledgerFailure(
  status: FailResult['status'], missionId: string, message: string, planProduced: boolean, parseFailure: boolean, metrics: Metrics,
): RunResult {
  if (status === 'stale') return { outcome: 'stale', missionId };
  if (status === 'superseded') {
    metrics.runs.inc({ outcome: 'superseded' });
    return { outcome: 'superseded', missionId };
  }
  // dead is counted in SQL (finish_exhausted_run), which also sees the runs a tick finishes
  if (status === 'failed') metrics.runs.inc({ outcome: 'failed' });
  return { outcome: status, missionId, parseFailure, planProduced, message };
}
