/**
 * Shared pieces of the benchmarks (bench/run.ts): the context every benchmark gets, the result shape
 * that becomes one row of the results table, statistics, and small process/OS readers.
 * Benchmarks measure and report; they never assert a target (a missed target is a finding, not a failure).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export type Scale = 'smoke' | 'full';

export interface Ctx {
  readonly scale: Scale;
  /** Repository root (absolute). */
  readonly root: string;
  /** The listener's compiled CLI entry (bench/.build/dist/cli/main.js), run as `node <entry> serve`. */
  readonly listenerEntry: string;
  /** Scratch directory for profiles and logs (bench/.build). */
  readonly workDir: string;
  /** Progress line on stderr. */
  log(message: string): void;
}

/** One row of the results table plus its detail section. */
export interface BenchResult {
  readonly id: string;
  readonly what: string;
  /** The product's number, formatted (e.g. "3,512 rows/s"). */
  readonly product: string;
  /** The comparison's number, formatted; "—" when there is none. */
  readonly comparison: string;
  /** The headline ratio or measure the target is judged on, formatted. */
  readonly ratio: string;
  readonly target: string;
  /** true = met, false = missed, null = not judged (smoke sizes are too small to judge). */
  readonly met: boolean | null;
  /** Markdown lines: method, per-block numbers, noise. */
  readonly details: string[];
  /** Markdown lines: what limits it (profile findings). Printed for every benchmark that has them. */
  readonly profile?: string[];
  /** Markdown lines: what to do about a miss. Printed only when met === false. */
  readonly followUp?: string[];
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const now = (): number => performance.now();

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of the values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
}

/** 12345.6 → "12,346"; digits after the point for small numbers. */
export function fmt(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return String(value);
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

export const ratio = (value: number, digits = 2): string => `${fmt(value, digits)}×`;

/**
 * Alternating order for paired blocks (A B, B A, A B, …): a drift that grows over the run (table and
 * index growth, a neighbour's test run starting) hits both sides equally.
 */
export function abba(pair: number): readonly ['a', 'b'] | readonly ['b', 'a'] {
  return pair % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
}

/** A rotation of items for round r (r = 0 keeps the order): no side always goes first. */
export function rotate<T>(items: readonly T[], r: number): T[] {
  const k = r % Math.max(1, items.length);
  return [...items.slice(k), ...items.slice(0, k)];
}

/** VmRSS / VmHWM of a process in kB (Linux /proc). */
export function memoryKb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** User + system CPU time of a process in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Machine-wide CPU counters (/proc/stat, first line): busy and total jiffies. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((s, x) => s + x, 0);
  return { busy: total - idle, total };
}

/** Busy share of all cores between two machineCpu() readings, 0..1. */
export function busyShare(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  return (b.busy - a.busy) / Math.max(1, b.total - a.total);
}

/** A markdown table from a header and rows. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string[] {
  const sep = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [`| ${header.join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** Numbers of one side of a paired comparison, as "median (min–max) over n". */
export function spread(values: readonly number[], digits?: number, unit = ''): string {
  if (values.length === 0) return '—';
  return `${fmt(median(values), digits)}${unit} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}, n=${values.length})`;
}
