/**
 * The prompt's input size limit (a guardrail users of the reference asked for): the linked inputs of
 * one prompt may hold at most `maxChars` characters of content together, so one huge note cannot make
 * every run of a mission fail at the gateway or cost a fortune. Over the limit, the longest inputs
 * are cut first: every input longer than a common cap is cut to that cap (the largest cap at which
 * the total fits), shorter inputs stay whole. A cut keeps the start of the content and ends in `…`;
 * the prompt names every cut input outside the `<user_data>` blocks (prompt-user.ts), and the runner
 * counts them in `mana_ai_prompt_inputs_cut_total`.
 * Characters are UTF-16 code units, like every other length in the prompt.
 */
import { truncate } from '../resolvers/format.js';
import type { PromptInput } from './prompt-user.js';

/** Default of MANA_AI_PROMPT_MAX_CHARS. */
export const DEFAULT_PROMPT_MAX_CHARS = 100_000;

/** One input the limit shortened: its reference and its content length before and after. */
export interface InputCut {
  readonly id: string;
  readonly module: string;
  readonly table: string;
  readonly title?: string | null;
  readonly from: number;
  readonly to: number;
}

/** The inputs as the prompt shows them, and what was cut. */
export interface LimitedInputs {
  readonly inputs: readonly PromptInput[];
  readonly cuts: readonly InputCut[];
}

/** The largest cap c with Σ min(len, c) <= maxChars (lengths sorted descending). */
function capFor(lengths: readonly number[], maxChars: number): number {
  const sorted = [...lengths].sort((x, y) => y - x);
  let rest = sorted.reduce((sum, n) => sum + n, 0);
  // Lower the longest k inputs to the (k+1)-th length, one step at a time, until the total fits.
  for (let k = 0; k < sorted.length; k += 1) {
    rest -= sorted[k]!;
    const next = sorted[k + 1] ?? 0;
    // inputs 0..k capped at c, the others whole: (k + 1) · c + rest <= maxChars
    const c = Math.floor((maxChars - rest) / (k + 1));
    if (c >= next) return Math.max(0, c);
  }
  return 0;
}

/**
 * Applies the limit. Inputs within it are returned unchanged (same objects, `cuts` empty). A cut input
 * has exactly `cap` characters, the last one `…` (cap 0: empty content). Order is kept.
 */
export function limitInputs(inputs: readonly PromptInput[], maxChars: number): LimitedInputs {
  const lengths = inputs.map((input) => String(input.content ?? '').length);
  const total = lengths.reduce((sum, n) => sum + n, 0);
  if (total <= maxChars) return { inputs, cuts: [] };
  const cap = capFor(lengths, Math.max(0, maxChars));
  const cuts: InputCut[] = [];
  const limited = inputs.map((input, i) => {
    const from = lengths[i]!;
    if (from <= cap) return input;
    const content = cap === 0 ? '' : truncate(String(input.content ?? ''), cap - 1);
    cuts.push({ id: input.id, module: input.module, table: input.table, title: input.title ?? null, from, to: content.length });
    return { ...input, content };
  });
  return { inputs: limited, cuts };
}
