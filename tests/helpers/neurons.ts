/**
 * Shared by the neuron-model tests (tests/models/neurons*.test.ts): drive patterns, float64
 * reference steppers run per element, a traced simulation of a model through `forLoop`, and the
 * relative-error comparison they report with.
 */
import { expect } from 'vitest';
import type { Tensor } from '@spiketrace/compiler';
import { u, brainstate, type brainpy } from 'spiketrace';

export const LOWERINGS = ['interpret', 'temporal-fusion', 'dispatch-chain'] as const;
export type Lowering = (typeof LOWERINGS)[number];

export const exprel = (z: number) => (z === 0 ? 1 : Math.expm1(z) / z);

/** A step input: 0 for the first `onset` steps, then amp[i] for element i (f32-exact values). */
export function stepDrive(steps: number, amps: number[], onset: number): Float32Array {
  const n = amps.length;
  const x = new Float32Array(steps * n);
  for (let s = onset; s < steps; s++) for (let i = 0; i < n; i++) x[s * n + i] = amps[i]!;
  return x;
}

/** |a - e| <= rel * max(|e|, floor) everywhere; NEURONS_REPORT=1 prints the worst error. */
export function expectClose(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, floor: number): void {
  expect(actual.length).toBe(expected.length);
  let err = 0, at = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!, a = actual[i]!;
    const r = Math.abs(a - e) / Math.max(floor, Math.abs(e));
    if (!(r <= err)) [err, at] = [r, i];
  }
  if (process.env.NEURONS_REPORT) console.log(`${name}: worst ${err.toExponential(2)} at ${at}`);
  expect(err, `${name}: worst relative error ${err} at ${at}: ${actual[at]} vs ${expected[at]}`).toBeLessThanOrEqual(rel);
}

/** The flat indices of the nonzero entries (spike steps times elements). */
export const ones = (a: ArrayLike<number>) => Array.from(a).flatMap((v, j) => (v ? [j] : []));

/**
 * Runs `model` for steps with input x[steps, ...shape] (and, with `withTime`, t = s dt in the
 * environment) and returns the recorded traces (in the given units), the spikes `call`
 * returned and the float32 times.
 */
export async function simulate(
  model: brainpy.Neuron,
  x: u.Quantity,
  dt: number,
  lowering: Lowering,
  record: Record<string, [() => u.Quantity, u.Unit]>,
  withTime = false,
) {
  const steps = x.shape[0]!;
  const times = u.math.arange(u.ms(0), u.ms(steps * dt - dt / 2), u.ms(dt));
  expect(times.shape).toEqual([steps]);
  const body = (xi: u.Quantity) => {
    const spk = model.call(xi) as Tensor;
    const o: Record<string, u.Quantity | Tensor> = { spk };
    for (const [k, [get]] of Object.entries(record)) o[k] = get();
    return o;
  };
  const out = await brainstate.environ.context({ dt: u.ms(dt) }, () => withTime
    ? brainstate.transform.forLoop((xi: u.Quantity, t: u.Quantity) => brainstate.environ.context({ t }, () => body(xi)), x, times, { lowering })
    : brainstate.transform.forLoop(body, x, { lowering }));
  expect(brainstate.transform.lastRun()?.lowering).toBe(lowering);
  const res: Record<string, ArrayLike<number>> = { spk: (out.spk as Tensor).data as Float32Array, t: times.toDecimal(u.ms).data as Float32Array };
  for (const [k, [, unit]] of Object.entries(record)) res[k] = (out[k] as u.Quantity).toDecimal(unit).data as Float32Array;
  return res;
}

/** One element's step: advances `st` with input I at time t (NaN without times), returns whether it spiked. */
export type Stepper = (st: Record<string, number>, I: number, t: number) => boolean;

/** Runs per-element float64 steppers: `init` gives each element's state, `step` advances it. */
export function reference(x: Float32Array, n: number, t: ArrayLike<number>, init: (i: number) => Record<string, number>, step: Stepper, keys: string[]) {
  const steps = x.length / n;
  const sts = Array.from({ length: n }, (_, i) => init(i));
  const spk = new Float32Array(steps * n);
  const tr: Record<string, Float64Array> = Object.fromEntries(keys.map((k) => [k, new Float64Array(steps * n)]));
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < n; i++) {
      const st = sts[i]!;
      spk[s * n + i] = step(st, x[s * n + i]!, t[s] ?? NaN) ? 1 : 0;
      for (const k of keys) tr[k]![s * n + i] = st[k]!;
    }
  }
  return { spk, ...tr } as { spk: Float32Array; [k: string]: ArrayLike<number> };
}
