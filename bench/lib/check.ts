/** Bit-for-bit comparison of a run's final V and spike counts against the reference. */
import type { LifOut } from '../peers/handloop.ts';

export interface MatchResult {
  ok: boolean;
  vMismatches: number;
  countMismatches: number;
  /** Spikes per neuron in this run (min..max) - a homogeneous workload gives one value. */
  spikes: [number, number];
}

function mismatches(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let bad = 0;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) bad++;
  return bad;
}

export function compare(out: LifOut, ref: LifOut): MatchResult {
  let lo = Infinity, hi = -Infinity;
  for (const c of out.count) { if (c < lo) lo = c; if (c > hi) hi = c; }
  const vMismatches = mismatches(out.V, ref.V);
  const countMismatches = mismatches(out.count, ref.count);
  return { ok: vMismatches === 0 && countMismatches === 0, vMismatches, countMismatches, spikes: [lo, hi] };
}

export function matchLabel(m: MatchResult): string {
  return m.ok ? 'yes' : `NO (V ${m.vMismatches}, count ${m.countMismatches} differ)`;
}
