/**
 * brainpy.state's Gif and GifRef (generalized integrate-and-fire, Mihalas & Niebur 2009) against
 * an independent float64 computation of their equations (brainx-semantics.md §4.2 and
 * brainpy.state's `lif.py` update order: reset by the stored V's spike, then I1, I2, the threshold
 * and V each take an exponential-Euler step; Gif drives V with the integrated internal currents,
 * GifRef with the reset ones), written here from the equations and not from the models' code:
 * spike steps exact, traces to 1e-5 relative (every drift is linear, as LIF's: float32 rounding
 * only; floors 0.01 mV and 1e-6 mA), under the CPU interpreter and both GPU lowerings, soft and hard
 * reset. Parameters away from the defaults (a > 0, A1 > 0, A2 < 0, a threshold reset above
 * V_th_inf) so that every term acts; plus the defaults, GifRef's hold, batched shapes and bad input.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '@spiketrace/compiler';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
import { expectClose, exprel, LOWERINGS, ones, reference, simulate, stepDrive, type Stepper } from '../helpers/neurons.ts';

afterAll(() => releaseDevice());

const DT = 0.1;
const f32 = Math.fround;
const ee = (x: number, f: number, J: number) => x + DT * exprel(DT * J) * f;
/** mV, ms, mA, ohm: R I in mV, rates per ms. */
const P = {
  R: 20, tau: 20, Vrest: -70, Vreset: -70, VthInf: -50, VthReset: -45,
  a: 0.005, b: 0.01, k1: 0.2, k2: 0.02, R1: 0, R2: 1, A1: 0.1, A2: -0.03,
};
const opts = {
  a: u.ms(1).rdiv(P.a), b: u.ms(1).rdiv(P.b), V_th_reset: u.mV(P.VthReset), A1: u.mA(P.A1), A2: u.mA(P.A2),
};

/** One Gif (or, with tauRef, GifRef) step in float64 from the equations. */
function gifStep(reset: 'soft' | 'hard', tauRef?: number): Stepper {
  const spikeOf = (V: number, Vth: number) => (V - Vth) / (Vth - P.Vreset) >= 0;
  return (st, I, t) => {
    const s = spikeOf(st.V!, st.Vth!) ? 1 : 0;
    const V = st.V! - ((reset === 'soft' ? st.Vth! : st.V!) - P.Vreset) * s;
    const I1 = st.I1! + s * (P.R1 * st.I1! + P.A1 - st.I1!);
    const I2 = st.I2! + s * (P.R2 * st.I2! + P.A2 - st.I2!);
    const Vth = st.Vth! + s * (Math.max(P.VthReset, st.Vth!) - st.Vth!);
    const c = {
      I1: ee(I1, -P.k1 * I1, -P.k1),
      I2: ee(I2, -P.k2 * I2, -P.k2),
      Vth: ee(Vth, P.a * (V - P.Vrest) - P.b * (Vth - P.VthInf), -P.b),
      V: 0,
    };
    const internal = tauRef === undefined ? c.I1 + c.I2 : I1 + I2;
    c.V = ee(V, (-(V - P.Vrest) + P.R * (internal + I)) / P.tau, -1 / P.tau);
    // the refractory test in float32, on the float32 times the kernel sees
    const held = tauRef !== undefined && f32(t - st.last!) < f32(tauRef);
    Object.assign(st, held ? { V, I1, I2, Vth } : c);
    if (tauRef !== undefined && st.V! >= st.Vth!) st.last = t;
    return spikeOf(st.V!, st.Vth!);
  };
}

const start = () => ({ V: -70, I1: 0, I2: 0, Vth: -50, last: f32(-1e7) });

describe('Gif', () => {
  it('defaults are brainpy.state\'s', () => {
    const N = new brainpy.Gif(3);
    const per = u.ms(1).rdiv(1).unit;
    expect(N.R.toDecimal(u.ohm).item()).toBe(20);
    expect(N.tau.toDecimal(u.ms).item()).toBe(20);
    expect([N.V_rest, N.V_reset, N.V_th_inf, N.V_th_reset].map((q) => q.toDecimal(u.mV).item())).toEqual([-70, -70, -50, -60]);
    expect([N.a, N.b, N.k1, N.k2].map((q) => f32(q.toDecimal(per).item()))).toEqual([0, 0.01, 0.2, 0.02].map(f32));
    expect([N.R1.item(), N.R2.item(), N.A1.toDecimal(u.mA).item(), N.A2.toDecimal(u.mA).item()]).toEqual([0, 1, 0, 0]);
    expect(N.spkFun.name).toBe('ReluGrad');
    expect(N.spkReset).toBe('soft');
    brainstate.nn.initAllStates(N, { batchSize: 2 });
    expect(N.V.value.shape).toEqual([2, 3]);
    expect(Array.from(N.V.value.toDecimal(u.mV).data)).toEqual(new Array(6).fill(-70));
    expect(Array.from(N.V_th.value.toDecimal(u.mV).data)).toEqual(new Array(6).fill(-50));
    expect(Array.from(N.I2.value.toDecimal(u.mA).data)).toEqual(new Array(6).fill(0));
  });

  const amps = [2, 3, 4.5];
  it.each(LOWERINGS.flatMap((l) => (['soft', 'hard'] as const).map((r) => [l, r] as const)))('internal currents, dynamic threshold, V (%s, %s reset)', async (lowering, reset) => {
    const steps = 1200, n = amps.length;
    const x = stepDrive(steps, amps, 50);
    const N = new brainpy.Gif(n, { ...opts, spkReset: reset });
    brainstate.nn.initAllStates(N);
    const got = await simulate(N, u.mA(Tensor.fromArray(x, [steps, n])), DT, lowering, {
      V: [() => N.V.value, u.mV], I1: [() => N.I1.value, u.mA], I2: [() => N.I2.value, u.mA], Vth: [() => N.V_th.value, u.mV],
    });
    const ref = reference(x, n, [], start, gifStep(reset), ['V', 'I1', 'I2', 'Vth']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expectClose('Gif.V', got.V!, ref.V!, 1e-5, 0.01);
    expectClose('Gif.I1', got.I1!, ref.I1!, 1e-5, 1e-6);
    expectClose('Gif.I2', got.I2!, ref.I2!, 1e-5, 1e-6);
    expectClose('Gif.V_th', got.Vth!, ref.Vth!, 1e-5, 0.01);
    // every element fires repeatedly; the threshold jumps to V_th_reset on a spike and adapts
    for (let i = 0; i < n; i++) expect(ones(ref.spk).filter((j) => j % n === i).length, `spikes of element ${i}`).toBeGreaterThan(3);
    expect(Math.max(...Array.from(ref.Vth!))).toBeGreaterThan(P.VthReset - 1);
    expect(Math.min(...Array.from(ref.I2!))).toBeLessThan(-0.05);
  });

  it.each(LOWERINGS)('batched [2, 3] with initial states given (%s)', async (lowering) => {
    const B = 2, n = 3, steps = 600;
    const drive = [1.1, 1.6, 2.4, 0, 1.3, 3];
    const v0 = [-70, -60, -52, -65, -58, -69];
    const x = stepDrive(steps, drive, 10);
    const N = new brainpy.Gif(n, {
      ...opts, V_initializer: (shape) => u.mV(Tensor.fromArray(v0, shape)),
      I1_initializer: u.mA(0.05), V_th_initializer: brainpy.Constant(u.mV(-48)),
    });
    brainstate.nn.initAllStates(N, { batchSize: B });
    expect(N.V.value.shape).toEqual([B, n]);
    const got = await simulate(N, u.mA(Tensor.fromArray(x, [steps, B, n])), DT, lowering, { V: [() => N.V.value, u.mV], Vth: [() => N.V_th.value, u.mV] });
    const ref = reference(x, B * n, [], (i) => ({ V: v0[i]!, I1: f32(0.05), I2: 0, Vth: -48 }), gifStep('soft'), ['V', 'Vth']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expect(ones(ref.spk).length).toBeGreaterThan(10);
    expectClose('Gif.V (batched)', got.V!, ref.V!, 1e-5, 0.01);
    expectClose('Gif.V_th (batched)', got.Vth!, ref.Vth!, 1e-5, 0.01);
  });
});

describe('GifRef', () => {
  it('tau_ref defaults to 1.7 ms; last_spike_time starts at -1e7 ms', () => {
    const N = new brainpy.GifRef(2);
    expect(f32(N.tau_ref.toDecimal(u.ms).item())).toBe(f32(1.7));
    brainstate.nn.initAllStates(N);
    expect(Array.from(N.last_spike_time.value.toDecimal(u.ms).data)).toEqual([-1e7, -1e7]);
  });

  const amps = [1.5, 2, 3];
  it.each(LOWERINGS)('holds every state at its reset value for tau_ref; V driven by the reset I1 + I2 (%s)', async (lowering) => {
    const steps = 800, n = amps.length, tauRef = 2;
    const x = stepDrive(steps, amps, 20);
    const N = new brainpy.GifRef(n, { ...opts, tau_ref: u.ms(tauRef), spkReset: 'hard' });
    brainstate.nn.initAllStates(N);
    const got = await simulate(N, u.mA(Tensor.fromArray(x, [steps, n])), DT, lowering, {
      V: [() => N.V.value, u.mV], I1: [() => N.I1.value, u.mA], Vth: [() => N.V_th.value, u.mV],
    }, true);
    const ref = reference(x, n, got.t!, start, gifStep('hard', tauRef), ['V', 'I1', 'Vth']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expectClose('GifRef.V', got.V!, ref.V!, 1e-5, 0.01);
    expectClose('GifRef.I1', got.I1!, ref.I1!, 1e-5, 1e-6);
    expectClose('GifRef.V_th', got.Vth!, ref.Vth!, 1e-5, 0.01);
    // the hold: after a spike at step s, V stays at V_reset for the steps within tau_ref
    const s2 = ones(ref.spk).filter((j) => j % n === 2).map((j) => Math.floor(j / n));
    expect(s2.length).toBeGreaterThan(3);
    const at = s2[1]!;
    for (let q = at + 1; q < at + tauRef / DT; q++) expect(got.V![q * n + 2]).toBe(P.Vreset);
    expect(got.V![(at + tauRef / DT + 1) * n + 2]).not.toBe(P.Vreset);
  });

  it('needs t in the environment; bad parameters and inputs name the model', () => {
    expect(() => new brainpy.GifRef(2, { tau_ref: u.mV(1), name: 'gr0' })).toThrow(/gr0: tau_ref is in mV/);
    expect(() => new brainpy.Gif(2, { k1: u.ms(1), name: 'g0' })).toThrow(/g0: k1 is in ms/);
    expect(() => new brainpy.Gif(2, { tau: u.ms(0), name: 'g5' })).toThrow(/g5: tau must be positive and finite/);
    expect(() => new brainpy.Gif(2, { tau: u.ms(-20), name: 'g6' })).toThrow(/g6: tau must be positive/);
    expect(() => new brainpy.Gif(2, { k2: u.Hz(-1), name: 'g7' })).toThrow(/g7: k2 must be non-negative/);
    expect(() => new brainpy.GifRef(2, { tau_ref: u.ms(-1), name: 'gr2' })).toThrow(/gr2: tau_ref must be non-negative/);
    expect(() => new brainpy.Gif(2, { A2: u.mV(1), name: 'g1' })).toThrow(/g1: A2 is in mV/);
    expect(() => new brainpy.Gif(2, { R1: u.mV(1), name: 'g2' })).toThrow(/g2: R1 is in mV, expected a dimensionless number/);
    expect(() => brainstate.nn.initAllStates(new brainpy.Gif(2, { I1_initializer: u.mV(1), name: 'g3' }))).toThrow(/g3: I1_initializer is in mV/);
    const G = new brainpy.Gif(2, { name: 'g4' });
    const R = new brainpy.GifRef(2, { name: 'gr1' });
    brainstate.nn.initAllStates(G);
    brainstate.nn.initAllStates(R);
    expect(() => brainstate.environ.context({ dt: u.ms(0.1) }, () => G.call(u.mV(1)))).toThrow(/g4\.update: the input must be a current/);
    expect(() => brainstate.environ.context({ dt: u.ms(0.1) }, () => R.call(u.mA(1)))).toThrow(/gr1\.update: needs the time t, from the environment/);
  });
});
