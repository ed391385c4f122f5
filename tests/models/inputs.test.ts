/**
 * The input generators of inputs-more.ts (braintools' ramp, sinusoidal, square, Wiener and OU
 * inputs; brainpy.state's SpikeTime and PoissonEncoder), evaluated each step from t in the
 * environment. Deterministic ones against float64 formulas on the f32 times the kernel sees
 * (relative 1e-5); random ones by their statistics (bounds of several standard errors, seeded, so
 * the checks are fixed numbers that would catch a wrong scale, mean or correlation time), by
 * reproducibility for a seed, and the GPU against the CPU reference (the same uniform bits; normals
 * through f32 log/sqrt/cos to a few ulps).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ops, Tensor } from '@spiketrace/compiler';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';

afterAll(() => releaseDevice());

const DT = 0.1;
// several kernels or a global op per step: no temporal fusion
const LOWERINGS = ['interpret', 'dispatch-chain', 'persistent-workgroup'] as const;
const timesOf = (steps: number) => u.math.arange(u.ms(0), u.ms(steps * DT - DT / 2), u.ms(DT));
/** forLoop over `steps` steps with t in the environment; `body` returns what to record. */
const run = <R>(steps: number, lowering: string, body: () => R): Promise<R> => brainstate.environ.context({ dt: u.ms(DT) }, () =>
  brainstate.transform.forLoop((t: u.Quantity) => brainstate.environ.context({ t }, body) as never, timesOf(steps), { lowering: lowering as 'interpret' }) as Promise<R>);

function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, floor: number): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!, a = actual[i]!;
    if (!(Math.abs(a - e) <= rel * Math.max(Math.abs(e), floor))) expect(a, `${what}[${i}]`).toBe(e);
  }
}

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0) / a.length;
const variance = (a: ArrayLike<number>) => {
  const m = mean(a);
  return Array.from(a).reduce((s, x) => s + (x - m) ** 2, 0) / a.length;
};

describe('deterministic generators', () => {
  it.each(LOWERINGS)('RampInput, SinusoidalInput, SquareInput against their formulas on the step grid (%s)', async (lowering) => {
    const steps = 100;
    const ramp = new brainpy.RampInput({ start: u.pA(10), end: u.pA(60), tStart: u.ms(2), tEnd: u.ms(7), size: 2 });
    const sine = new brainpy.SinusoidalInput({ amplitude: u.pA(5), frequency: u.Hz(230), tStart: u.ms(1), tEnd: u.ms(8), bias: true });
    const square = new brainpy.SquareInput({ amplitude: u.nA(2), frequency: u.Hz(370), duty: 0.3, size: [3] });
    const out = await run(steps, lowering, () => [ramp.update(), sine.update(), square.update()] as const);
    const t = timesOf(steps).toDecimal(u.ms).data;
    const R = new Float64Array(steps * 2), S = new Float64Array(steps), Q = new Float64Array(steps * 3);
    for (let s = 0; s < steps; s++) {
      const ts = t[s]!;
      // braintools: linspace(10, 60, 50) over the steps of [2, 7) ms
      const r = ts >= 2 && ts < 7 ? 10 + (50 * (ts - 2)) / (5 - DT) : 0;
      R[2 * s] = R[2 * s + 1] = r;
      S[s] = ts >= 1 && ts < 8 ? 5 * Math.sin(2 * Math.PI * 0.23 * (ts - 1)) + 5 : 0;
      const frac = (0.37 * ts) % 1;
      Q[3 * s] = Q[3 * s + 1] = Q[3 * s + 2] = frac < 0.3 ? 2 : -2;
    }
    expect(R[2 * 20]).toBeCloseTo(10, 4); // t = 2 ms: the start
    expect(R[2 * 69]).toBeCloseTo(60, 3); // t = 6.9 ms: the last step of the window lands on the end
    expectClose('ramp', out[0].toDecimal(u.pA).data, R, 1e-5, 1);
    expectClose('sine', out[1].toDecimal(u.pA).data, S, 1e-5, 1);
    expect(out[2].shape).toEqual([steps, 3]);
    expectClose('square', out[2].toDecimal(u.nA).data, Q, 0, 1);
    expect(Math.min(...Array.from(out[1].toDecimal(u.pA).data))).toBeGreaterThanOrEqual(0); // bias: never negative
  });

  it('bad input names the generator', () => {
    expect(() => new brainpy.RampInput({ start: u.pA(1), end: u.mV(2), tEnd: u.ms(5), name: 'r' })).toThrow(/r \(RampInput\): end is in mV but start in pA/);
    // without a size, array parameters must broadcast with each other
    expect(() => new brainpy.RampInput({ start: u.pA([1, 2, 3]), end: u.pA([1, 2]), tEnd: u.ms(5), name: 'r' })).toThrow(/r \(RampInput\): end of shape \[2\] does not broadcast with the parameters before it \(shape \[3\]\)/);
    expect(new brainpy.RampInput({ start: u.pA([1, 2, 3]), end: u.pA(4), tEnd: u.ms(5) }).end.shape).toEqual([]);
    expect(() => new brainpy.SinusoidalInput({ amplitude: u.pA(1), frequency: u.Hz([1, 2, 3]), size: 2, name: 's' })).toThrow(/s \(SinusoidalInput\): frequency of shape \[3\] does not broadcast to size \[2\]/);
    expect(() => new brainpy.SquareInput({ amplitude: u.pA(1), frequency: u.Hz(1), bias: 'no' as never, name: 'q' })).toThrow(/q \(SquareInput\): bias must be true or false/);
    expect(() => new brainpy.WienerProcess({ sigma: u.pA([1, 2, 3]), size: 2, name: 'w' })).toThrow(/w \(WienerProcess\): sigma of shape \[3\] does not broadcast to size \[2\]/);
    expect(() => new brainpy.WienerProcess({ sigma: NaN, size: 2, name: 'w' })).toThrow(/w \(WienerProcess\): sigma must be finite/);
    const ou = new brainpy.OUProcess({ mean: u.pA(1), sigma: u.pA(1).div(u.ms(1).sqrt()), tau: u.ms(0.04), size: 2, name: 'ou' });
    brainstate.nn.initAllStates(ou);
    expect(() => brainstate.environ.context({ dt: u.ms(0.1), t: u.ms(0) }, () => ou.update())).toThrow(/ou \(OUProcess\): dt \(0.1 ms\) is more than twice tau/);
    expect(() => new brainpy.RampInput({ start: u.pA(1), end: u.pA(2), tEnd: undefined as never, name: 'r' })).toThrow(/r \(RampInput\): tEnd is required/);
    expect(() => new brainpy.RampInput({ start: u.pA(1), end: u.pA(2), tStart: u.ms(5), tEnd: u.ms(5), name: 'r' })).toThrow(/r \(RampInput\): tEnd \(5\.? ms\) must be after tStart/);
    expect(() => new brainpy.SinusoidalInput({ amplitude: u.pA(1), frequency: u.ms(1), name: 's' })).toThrow(/s \(SinusoidalInput\): frequency is in ms/);
    expect(() => new brainpy.SquareInput({ amplitude: u.pA(1), frequency: u.Hz(1), duty: 1.5, name: 'q' })).toThrow(/q \(SquareInput\): duty must be in \[0, 1\]/);
    expect(() => new brainpy.SinusoidalInput({ amplitude: u.pA([1, 2]), frequency: u.Hz(1), size: 3, name: 's' })).toThrow(/s \(SinusoidalInput\): amplitude of shape \[2\] does not broadcast to size \[3\]/);
    const sine = new brainpy.SinusoidalInput({ amplitude: u.pA(1), frequency: u.Hz(1), tStart: u.ms(1), name: 's' });
    expect(() => brainstate.environ.context({ dt: u.ms(0.1) }, () => sine.update())).toThrow(/s \(SinusoidalInput\): needs the time t/);
  });
});

describe('noise processes', () => {
  it('WienerProcess: N(0, sigma^2 dt) increments, independent, zero outside the window, reproducible; GPU equals the reference', async () => {
    const n = 2000, steps = 60;
    const make = () => new brainpy.WienerProcess({ sigma: u.pA(3), size: n, seed: 11, tStart: u.ms(1) });
    const w = make();
    expect(w.unit.sameDim(u.pA(1).mul(u.ms(1).sqrt()).unit)).toBe(true);
    // values in pA s^0.5 (sqrt(dt) of a time in seconds)
    const unit = u.pA(1).mul(u.second(1).sqrt()).unit;
    const gpu = (await run(steps, 'dispatch-chain', () => w.update())).toDecimal(unit).data;
    const cpu = (await run(steps, 'interpret', () => make().update())).toDecimal(unit).data;
    const sd = 3 * Math.sqrt(DT / 1000);
    // log1p, sqrt and cos agree to a few ulps between WGSL and the reference: compare on the scale of sd
    expectClose('GPU vs reference', gpu, cpu, 1e-5, sd);
    // before t = 1 ms: zero
    for (let i = 0; i < 10 * n; i++) expect(cpu[i]).toBe(0);
    const inside = cpu.subarray(10 * n);
    const N = inside.length; // 100 000 samples
    expect(Math.abs(mean(inside))).toBeLessThan(4 * sd / Math.sqrt(N));
    expect(Math.abs(variance(inside) / sd ** 2 - 1)).toBeLessThan(4 * Math.sqrt(2 / N));
    // independent across steps: the lag-1 correlation is ~0
    let c = 0;
    for (let i = 0; i < N - n; i++) c += inside[i]! * inside[i + n]!;
    expect(Math.abs(c / (N - n) / sd ** 2)).toBeLessThan(4 / Math.sqrt(N - n));
    // another seed, another sample
    const other = (await run(steps, 'interpret', () => new brainpy.WienerProcess({ sigma: u.pA(3), size: n, seed: 12, tStart: u.ms(1) }).update())).mantissa.data;
    expect(Array.from(other.subarray(10 * n, 11 * n))).not.toEqual(Array.from(cpu.subarray(10 * n, 11 * n)));
  });

  it('OUProcess: Euler relaxation without noise; stationary mean, variance sigma^2 tau / 2 and correlation time tau with it', async () => {
    // sigma = 0: x starts 10 pA above the mean and relaxes by (1 - dt/tau) per step
    const det = new brainpy.OUProcess({ mean: u.pA(50), sigma: u.pA(0).div(u.ms(1).sqrt()), tau: u.ms(2), size: 3, name: 'ou0' });
    brainstate.nn.initAllStates(det);
    det.x.value = u.pA([60, 60, 60]);
    const x = (await run(30, 'dispatch-chain', () => det.update())).toDecimal(u.pA).data;
    const want = Float64Array.from({ length: 90 }, (_, j) => 50 + 10 * (1 - DT / 2) ** (Math.floor(j / 3) + 1));
    expectClose('OU drift', x, want, 1e-5, 1);

    const n = 1000, steps = 1500, tau = 5;
    const make = () => new brainpy.OUProcess({ mean: u.pA(100), sigma: u.pA(20).div(u.ms(1).sqrt()), tau: u.ms(tau), size: n, seed: 3 });
    const ou = make();
    brainstate.nn.initAllStates(ou);
    expect(Array.from(ou.x.value.toDecimal(u.pA).data.subarray(0, 3))).toEqual([100, 100, 100]);
    const gpu = (await run(steps, 'dispatch-chain', () => ou.update())).toDecimal(u.pA).data;
    const ref = make();
    brainstate.nn.initAllStates(ref);
    const cpu = (await run(200, 'interpret', () => ref.update())).toDecimal(u.pA).data;
    // the same noise bits: the first 200 steps agree to f32 rounding (the process contracts errors)
    expectClose('OU GPU vs reference', gpu.subarray(0, 200 * n), cpu, 1e-5, 100);
    // after 10 tau the process is stationary: mean 100, variance sigma^2 tau / 2 (Euler: / (1 - dt / (2 tau)))
    const tail = gpu.subarray(500 * n);
    const v = variance(tail), vWant = (20 ** 2 * tau) / 2 / (1 - DT / (2 * tau));
    expect(Math.abs(mean(tail) - 100)).toBeLessThan(1);
    expect(Math.abs(v / vWant - 1)).toBeLessThan(0.05);
    // correlation after one tau: e^{-1}
    const lag = tau / DT;
    let c = 0, m = 0;
    for (let s = 500; s + lag < steps; s++) for (let i = 0; i < n; i += 7) { c += (gpu[s * n + i]! - 100) * (gpu[(s + lag) * n + i]! - 100); m++; }
    expect(Math.abs(c / m / vWant - Math.exp(-1))).toBeLessThan(0.05);
  });

  it('OUProcess: sigma in the wrong unit, tau not a time, no size', () => {
    expect(() => new brainpy.OUProcess({ mean: u.pA(1), sigma: u.pA(1), tau: u.ms(1), size: 2, name: 'ou' })).toThrow(/ou \(OUProcess\): sigma sqrt\(dt\) is in .*, but the mean is in pA/);
    expect(() => new brainpy.OUProcess({ mean: u.pA(1), sigma: u.pA(1).div(u.ms(1).sqrt()), tau: u.mV(1), size: 2, name: 'ou' })).toThrow(/ou \(OUProcess\): tau must be a time/);
    expect(() => new brainpy.OUProcess({ mean: u.pA(1), sigma: u.pA(1).div(u.ms(1).sqrt()), tau: u.ms(1), size: undefined as never, name: 'ou' })).toThrow(/ou \(OUProcess\): size is required/);
  });
});

describe('spike sources', () => {
  it.each(LOWERINGS)('SpikeTime: the given spikes at their steps, none after the last (%s)', async (lowering) => {
    const st = new brainpy.SpikeTime(4, { indices: [0, 2, 1, 0, 3], times: u.ms([0.3, 1, 1, 2.5, 0]) });
    const steps = 40;
    const out = await run(steps, lowering, () => st.update());
    const want = new Float32Array(steps * 4);
    for (const [s, i] of [[3, 0], [10, 2], [10, 1], [25, 0], [0, 3]]) want[s! * 4 + i!] = 1;
    expect(Array.from(out.data)).toEqual(Array.from(want));
  });

  it.each(['dispatch-chain', 'persistent-workgroup'] as const)('SpikeTime: ties round half to even as brainpy.state; everyone at t = 0 (a uniform table) (%s)', async (lowering) => {
    const ties = new brainpy.SpikeTime(3, { indices: [0, 1, 2], times: u.ms([0.25, 0.35, 0.05]) });
    const all = new brainpy.SpikeTime(2, { indices: [0, 1], times: u.ms([0, 0]) });
    const [a, b] = await run(6, lowering, () => [ties.update(), all.update()] as const);
    const want = new Float32Array(18);
    for (const [s, i] of [[2, 0], [4, 1], [0, 2]]) want[s! * 3 + i!] = 1;
    expect(Array.from(a.data)).toEqual(Array.from(want));
    expect(Array.from(b.data)).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('SpikeTime: bad input names the source', () => {
    expect(() => new brainpy.SpikeTime(3, { indices: [0, 3], times: u.ms([1, 2]), name: 'sg' })).toThrow(/sg \(SpikeTime\): indices\[1\] = 3 is not a neuron of a population of 3/);
    expect(() => new brainpy.SpikeTime(3, { indices: [0], times: u.ms([1, 2]), name: 'sg' })).toThrow(/sg \(SpikeTime\): indices \(1\) and times \(2\) must have one entry per event/);
    expect(() => new brainpy.SpikeTime(3, { indices: [0], times: u.mV([1]), name: 'sg' })).toThrow(/sg \(SpikeTime\): times are in mV/);
    expect(() => new brainpy.SpikeTime(3, { indices: [0], times: u.ms([-1]), name: 'sg' })).toThrow(/sg \(SpikeTime\): times\[0\] = -1 ms must be >= 0/);
    expect(() => new brainpy.SpikeTime(3, { indices: [0], times: u.ms([Infinity]), name: 'sg' })).toThrow(/sg \(SpikeTime\): times must be finite/);
    // a table the GPU could not bind: refused by name when the step asks for it, before any allocation
    const far = new brainpy.SpikeTime(1000, { indices: [0], times: u.second([4]), name: 'far' });
    expect(() => brainstate.environ.context({ dt: u.ms(0.1), t: u.ms(0) }, () => far.update())).toThrow(/far \(SpikeTime\): the event table would hold 40001 steps x 1000 neurons \(153 MiB\), over 128 MiB/);
    expect(() => new brainpy.WienerProcess({ sigma: u.pA(1), size: 2, seed: 1.5, name: 'w' })).toThrow(/seed must be an integer in \[0, 2\^32\), got 1.5/);
    expect(() => ops.randUniform([2.5])).toThrow(/randUniform: shape must list non-negative integers, got \[2.5\]/);
  });

  it('PoissonEncoder: spike probability freqs dt per step, per-neuron rates; GPU equals the reference bit for bit', async () => {
    const n = 4000, steps = 100;
    const rates = u.Hz(Tensor.fromArray(Float32Array.from({ length: n }, (_, i) => (i < n / 2 ? 200 : 50)), [n]));
    const enc = new brainpy.PoissonEncoder(n, { seed: 5 });
    const gpu = (await run(steps, 'dispatch-chain', () => enc.call(rates))).data;
    const cpu = (await run(steps, 'interpret', () => new brainpy.PoissonEncoder(n, { seed: 5 }).call(rates))).data;
    expect(Array.from(gpu)).toEqual(Array.from(cpu));
    let hi = 0, lo = 0;
    for (let s = 0; s < steps; s++) for (let i = 0; i < n; i++) (i < n / 2 ? (hi += gpu[s * n + i]!) : (lo += gpu[s * n + i]!));
    const N = (steps * n) / 2;
    // p = 0.02 and 0.005, within 4 standard errors
    expect(Math.abs(hi / N - 0.02)).toBeLessThan(4 * Math.sqrt(0.02 * 0.98 / N));
    expect(Math.abs(lo / N - 0.005)).toBeLessThan(4 * Math.sqrt(0.005 * 0.995 / N));
    expect(() => brainstate.environ.context({ dt: u.ms(0.1) }, () => enc.call(u.mV(1)))).toThrow(/PoissonEncoder\): the rates must be a frequency/);
    // rates per neuron with a leading batch axis fit; rates of another size do not
    const small = new brainpy.PoissonEncoder(3, { seed: 1, name: 'pe' });
    expect(brainstate.environ.context({ dt: u.ms(0.1) }, () => small.call(u.Hz(Tensor.full([2, 3], 100)))).shape).toEqual([2, 3]);
    expect(brainstate.environ.context({ dt: u.ms(0.1) }, () => small.call(u.Hz(Tensor.full([2, 1], 100)))).shape).toEqual([2, 3]);
    expect(() => brainstate.environ.context({ dt: u.ms(0.1) }, () => small.call(u.Hz(Tensor.full([2, 5], 100))))).toThrow(/pe \(PoissonEncoder\): rates of shape \[2, 5\] do not fit the encoder's size \[3\]/);
    expect(() => brainstate.environ.context({ dt: u.ms(0.1) }, () => small.call(u.Hz(Tensor.full([5], 100))))).toThrow(/rates of shape \[5\] do not fit/);
  });
});
