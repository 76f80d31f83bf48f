/**
 * Timing helpers shared by the benchmarks, with the same method as ../shared/peers-bench/lib.mjs so the
 * numbers compare: untimed warm-up, a forced GC before every sample (run node with --expose-gc), medians.
 */
import { performance } from 'node:perf_hooks';

export const QUICK = process.env.BENCH_QUICK === '1';

export interface Stats {
  median: number;
  min: number;
  p90: number;
  n: number;
}

export interface MeasureOptions<T> {
  warmup?: number;
  reps?: number;
  /** Each sample is the mean of `inner` back-to-back calls (only for sub-µs floors). */
  inner?: number;
  /** Validates every result, so a silently broken run cannot look fast. */
  check?: (result: T) => void;
  /** Untimed work before each sample (e.g. purging the runs the previous sample stored). */
  beforeSample?: () => Promise<void> | void;
  /**
   * Keeps sampling past `reps` (up to 20 × reps) until the timed samples add up to this many ms. A zapflow
   * sample is 10–30× shorter than a peer's, so on a shared machine one burst of other load can cover all of
   * ours and none of theirs; a window of similar length keeps the median the same statistic, only as hard to
   * sway as the peers'. Off in BENCH_QUICK. @default 0
   */
  minWindowMs?: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

export const rssMB = (): number => Math.round((process.memoryUsage().rss / 1048576) * 10) / 10;
export const peakRssMB = (): number => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1) + 0.5))]!;
  return { median: q(0.5), min: sorted[0]!, p90: q(0.9), n: sorted.length };
}

/** Times `fn` (ms) `reps` times after `warmup` untimed calls. */
export async function measure<T>(fn: () => Promise<T>, options: MeasureOptions<T> = {}): Promise<Stats> {
  let { warmup = 5, reps = 15 } = options;
  const { inner = 1, check, beforeSample } = options;
  let minWindowMs = options.minWindowMs ?? 0;
  if (QUICK) {
    warmup = Math.min(warmup, 1);
    reps = Math.min(reps, 3);
    minWindowMs = 0;
  }
  for (let i = 0; i < warmup; i++) {
    await beforeSample?.();
    const result = await fn();
    check?.(result);
  }
  const samples: number[] = [];
  let window = 0;
  for (let i = 0; i < reps || (window < minWindowMs && i < reps * 20); i++) {
    await beforeSample?.();
    gc?.();
    let result: T | undefined;
    const t0 = performance.now();
    for (let j = 0; j < inner; j++) result = await fn();
    const elapsed = performance.now() - t0;
    window += elapsed;
    samples.push(elapsed / inner);
    check?.(result as T);
  }
  return stats(samples);
}

export function expectEq(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

/** Runs `n` async thunks with at most `concurrency` in flight. */
export async function pool(n: number, concurrency: number, thunk: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await thunk(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

export interface Row {
  engine: string;
  scenario: string;
  variant: string;
  median_ms: number;
  min_ms: number;
  p90_ms: number;
  n: number;
  us_per_step?: number;
  runs_per_s?: number;
  peak_rss_mb: number;
  note?: string;
}

export function row(engine: string, scenario: string, variant: string, st: Stats, extra: { steps?: number; runs?: number; note?: string } = {}): Row {
  const out: Row = {
    engine, scenario, variant,
    median_ms: +st.median.toPrecision(4), min_ms: +st.min.toPrecision(4), p90_ms: +st.p90.toPrecision(4), n: st.n,
    peak_rss_mb: peakRssMB(),
  };
  if (extra.steps !== undefined) out.us_per_step = +((st.median * 1000) / extra.steps).toPrecision(3);
  if (extra.runs !== undefined) out.runs_per_s = Math.round((extra.runs * 1000) / st.median);
  if (extra.note !== undefined) out.note = extra.note;
  return out;
}

/** A plain-text table (markdown-compatible). */
export function table(headers: string[], rows: Array<Array<string | number | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined ? '' : typeof c === 'number' ? c.toLocaleString('en-US', { maximumSignificantDigits: 4 }) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...cells.map(line)].join('\n');
}
