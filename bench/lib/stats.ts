/** Timing protocol shared by every suite: one warm-up call (reported as "first call"), then
 * `runs` timed calls; the median is the headline number. */
import { loadavg } from 'node:os';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export interface Timing {
  firstMs: number;
  timesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Median of each named sub-phase a call reported (for example trace, readback). */
  parts: Record<string, number>;
  /** Sub-phases of the first (warm-up) call. */
  firstParts: Record<string, number>;
  load1: number;
}

/** What one call returns: whatever the caller wants to check, plus optional sub-phase times. */
export interface CallResult<R> {
  out: R;
  parts?: Record<string, number>;
}

const r2 = (x: number): number => Math.round(x * 1000) / 1000;

/** Warm up once, then time `runs` calls of `fn`. Returns the timing and the last call's output. */
export async function measure<R>(fn: () => Promise<CallResult<R>>, runs: number): Promise<{ timing: Timing; out: R; firstOut: R }> {
  const load1 = loadavg()[0] as number;
  let t0 = performance.now();
  const first = await fn();
  const firstMs = performance.now() - t0;
  const times: number[] = [];
  const partRuns: Record<string, number[]> = {};
  let last = first;
  for (let r = 0; r < runs; r++) {
    t0 = performance.now();
    last = await fn();
    times.push(performance.now() - t0);
    for (const [k, v] of Object.entries(last.parts ?? {})) (partRuns[k] ??= []).push(v);
  }
  const parts: Record<string, number> = {};
  for (const [k, v] of Object.entries(partRuns)) parts[k] = r2(median(v));
  const firstParts: Record<string, number> = {};
  for (const [k, v] of Object.entries(first.parts ?? {})) firstParts[k] = r2(v);
  return {
    timing: {
      firstMs: r2(firstMs), timesMs: times.map(r2), medianMs: r2(median(times)), minMs: r2(Math.min(...times)),
      maxMs: r2(Math.max(...times)), parts, firstParts, load1: Math.round(load1 * 100) / 100,
    },
    out: last.out,
    firstOut: first.out,
  };
}
