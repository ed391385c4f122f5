/**
 * brainpy.state's HH and the refractory variants ExpIFRef, AdExIFRef, IzhikevichRef against
 * independent float64 computations of their equations (brainx-semantics.md §4.1-4.3, and
 * brainpy.state's `hh.py`, `lif.py`, `izhikevich.py` update order), written here from the
 * equations and not from the models' code: spike steps exact, state traces to a stated relative
 * tolerance, under the CPU interpreter and both GPU lowerings. Plus the seeded Uniform
 * initializer, batched shapes and bad input.
 *
 * Tolerances. Relative error |a - e| / max(|e|, floor).
 * - HH: V to 2e-4 relative to max(|V|, 10 mV), m/h/n to 1e-4 relative to max(|x|, 0.01).
 *   Driven HH is a limit cycle: its phase is neutrally stable, so the float32 kernel's rounding
 *   (and the GPU's exp/exprel, a few ulps) shifts the spike times by a slowly growing amount, and
 *   on an upstroke (dV/dt up to ~500 mV/ms) a phase shift of 1e-6 ms is already 5e-4 mV. Emulating
 *   float32 rounding in this very reference (every operation through Math.fround) gives 3e-5 to
 *   1e-4 over 300-600 steps of 0.05 ms at 10-30 uA, and more near rheobase, growing with the run
 *   length; so the runs are short (300 steps, 7+ spikes at 20 uA). Measured worst errors: V
 *   7.6e-5 (interpreter), 4.3e-5 (Dawn on lavapipe), on the last upstroke of the 20 uA element;
 *   m 1.1e-5, h 4e-6, n 2.4e-6. Printed with NEURONS_REPORT=1.
 * - ExpIFRef, AdExIFRef: 1e-4 (floor 1 mV; w: floor 0.01 mA), as ExpIF/AdExIF: the exponential
 *   drift is unstable near threshold and amplifies float32 rounding on the upswing. The hold
 *   itself is exact (V and w are copies of the reset values).
 * - IzhikevichRef: V 2e-3 relative to max(|V|, V_th = 30 mV), u 1e-4 (floor 1 mV/ms), as
 *   Izhikevich (unstable V drift above -62.5 mV, rounding amplified ~100x over an upswing).
 * The refractory test `t - last_spike_time < tau_ref` is evaluated in float32 in the references,
 * on the float32 times the kernel sees, as the kernel evaluates it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '@spiketrace/compiler';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
import { expectClose, exprel, LOWERINGS, ones, reference, simulate, stepDrive } from '../helpers/neurons.ts';

afterAll(() => releaseDevice());

const f32 = Math.fround;

// ---------------------------------------------------------------------------------------------
// HH

/** The Hodgkin-Huxley rates (V in mV, per ms), from §4.3. */
const HHR = {
  am: (V: number) => 1 / exprel(-(V + 40) / 10),
  bm: (V: number) => 4 * Math.exp(-(V + 65) / 18),
  ah: (V: number) => 0.07 * Math.exp(-(V + 65) / 20),
  bh: (V: number) => 1 / (1 + Math.exp(-(V + 35) / 10)),
  an: (V: number) => 0.1 / exprel(-(V + 55) / 10),
  bn: (V: number) => 0.125 * Math.exp(-(V + 65) / 80),
};
const HHP = { ENa: 50, gNa: 120, EK: -77, gK: 36, EL: -54.387, gL: 0.03, Vth: 20, C: 1 }; // mV, mS, uF
const inf = (a: number, b: number) => a / (a + b);

/** One brainpy.state HH step in float64 (I in uA): forward-Euler V, exact gate relaxation. */
function hhStep(dt: number) {
  return (st: Record<string, number>, I: number): boolean => {
    const { V, m, h, n } = st as { V: number; m: number; h: number; n: number };
    const INa = HHP.gNa * m ** 3 * h * (V - HHP.ENa);
    const IK = HHP.gK * n ** 4 * (V - HHP.EK);
    const IL = HHP.gL * (V - HHP.EL);
    const gate = (x: number, a: number, b: number) => x + dt * exprel(-dt * (a + b)) * (a * (1 - x) - b * x);
    st.V = V + dt * (I - INa - IK - IL) / HHP.C; // uA / uF = mV/ms
    st.m = gate(m, HHR.am(V), HHR.bm(V));
    st.h = gate(h, HHR.ah(V), HHR.bh(V));
    st.n = gate(n, HHR.an(V), HHR.bn(V));
    return (st.V - HHP.Vth) / HHP.Vth >= 0; // a level test
  };
}

describe('Uniform initializer', () => {
  it('is seeded and reproducible, within [low, high), in low\'s unit', () => {
    const a = brainpy.Uniform(u.mV(-70), u.mV(-60), { seed: 3 })([20000]);
    const b = brainpy.Uniform(u.mV(-70), u.mV(-60), { seed: 3 })([20000]);
    const c = brainpy.Uniform(u.mV(-70), u.mV(-60), { seed: 4 })([20000]);
    expect(a.unit.name).toBe('mV');
    expect(Array.from(a.mantissa.data)).toEqual(Array.from(b.mantissa.data));
    expect(Array.from(a.mantissa.data)).not.toEqual(Array.from(c.mantissa.data));
    const d = Array.from(a.mantissa.data);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(-70);
    expect(Math.max(...d)).toBeLessThanOrEqual(-60);
    const mean = d.reduce((p, v) => p + v, 0) / d.length;
    const sd = Math.sqrt(d.reduce((p, v) => p + (v - mean) ** 2, 0) / d.length);
    expect(Math.abs(mean + 65)).toBeLessThan(0.1);
    expect(Math.abs(sd - 10 / Math.sqrt(12))).toBeLessThan(0.05);
    // a Quantity in another unit of the same dimension is converted to low's unit
    expect(brainpy.Uniform(u.mV(-70), u.volt(-0.06))([4]).unit.name).toBe('mV');
    expect(() => brainpy.Uniform(u.mV(0), u.ms(1))).toThrow(/mV|ms/);
    expect(() => brainpy.Uniform(u.mV(0), u.mV(-1))).toThrow(/Uniform: high must be >= low/);
  });
});

describe('HH', () => {
  it('defaults are brainpy.state\'s; V starts Uniform(-70, -60) mV (seeded), m, h, n at their steady states', () => {
    const N = new brainpy.HH(64);
    expect(N.ENa.toDecimal(u.mV).item()).toBe(50);
    expect(N.gNa.toDecimal(u.mS).item()).toBe(120);
    expect(N.EK.toDecimal(u.mV).item()).toBe(-77);
    expect(N.gK.toDecimal(u.mS).item()).toBe(36);
    expect(N.EL.toDecimal(u.mV).item()).toBeCloseTo(-54.387, 4);
    expect(N.gL.toDecimal(u.mS).item()).toBeCloseTo(0.03, 7);
    expect(N.V_th.toDecimal(u.mV).item()).toBe(20);
    expect(N.C.toDecimal(u.uF).item()).toBe(1);
    expect(N.spkFun.name).toBe('ReluGrad');
    brainstate.nn.initAllStates(N);
    const V = Array.from(N.V.value.toDecimal(u.mV).data);
    expect(Math.min(...V)).toBeGreaterThanOrEqual(-70);
    expect(Math.max(...V)).toBeLessThanOrEqual(-60);
    expect(new Set(V).size).toBeGreaterThan(60);
    // the same seed: a second model starts at the same V
    const N2 = new brainpy.HH(64);
    brainstate.nn.initAllStates(N2);
    expect(Array.from(N2.V.value.toDecimal(u.mV).data)).toEqual(V);
    const m = N.m.value.toDecimal(u.unitless).data, h = N.h.value.toDecimal(u.unitless).data, n = N.n.value.toDecimal(u.unitless).data;
    const mRef = V.map((v) => inf(HHR.am(v), HHR.bm(v))), hRef = V.map((v) => inf(HHR.ah(v), HHR.bh(v))), nRef = V.map((v) => inf(HHR.an(v), HHR.bn(v)));
    expectClose('HH.m_inf', m, mRef, 1e-5, 1e-3);
    expectClose('HH.h_inf', h, hRef, 1e-5, 1e-3);
    expectClose('HH.n_inf', n, nRef, 1e-5, 1e-3);
    // batched: [B, n]
    brainstate.nn.initAllStates(N, { batchSize: 3 });
    expect(N.V.value.shape).toEqual([3, 64]);
    expect(N.n.value.shape).toEqual([3, 64]);
  });

  it('the rates at the removable singularities of alpha_m (V = -40) and alpha_n (V = -55)', () => {
    const N = new brainpy.HH(1);
    expect(N.m_alpha(u.mV(-40)).toDecimal(u.ms(1).rdiv(1).unit).item()).toBeCloseTo(1, 6);
    expect(N.n_alpha(u.mV(-55)).toDecimal(u.ms(1).rdiv(1).unit).item()).toBeCloseTo(0.1, 6);
    expect(N.m_alpha(u.mV(-30)).toDecimal(u.ms(1).rdiv(1).unit).item()).toBeCloseTo(HHR.am(-30), 5);
    expect(N.h_beta(u.mV(-35)).toDecimal(u.ms(1).rdiv(1).unit).item()).toBeCloseTo(0.5, 6);
  });

  const DT = 0.05;
  const amps = [2, 6.5, 10, 20]; // uA (with C = 1 uF: uA/cm^2 in the classic units)
  it.each(LOWERINGS)('forward-Euler V with the previous step\'s currents, exact gate relaxation, level-test spike (%s)', async (lowering) => {
    const steps = 300, n = amps.length;
    const x = stepDrive(steps, amps, 20);
    const N = new brainpy.HH(n, { V_initializer: brainpy.Uniform(u.mV(-70), u.mV(-60), { seed: 7 }) });
    brainstate.nn.initAllStates(N);
    const v0 = Array.from(N.V.value.toDecimal(u.mV).data);
    const got = await simulate(N, u.uA(Tensor.fromArray(x, [steps, n])), DT, lowering, {
      V: [() => N.V.value, u.mV], m: [() => N.m.value, u.unitless], h: [() => N.h.value, u.unitless], n: [() => N.n.value, u.unitless],
    });
    const ref = reference(x, n, [], (i) => {
      const V = v0[i]!;
      return { V, m: inf(HHR.am(V), HHR.bm(V)), h: inf(HHR.ah(V), HHR.bh(V)), n: inf(HHR.an(V), HHR.bn(V)) };
    }, hhStep(DT), ['V', 'm', 'h', 'n']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    // several action potentials, each several steps above V_th (a level test, not a crossing)
    const spk3 = ones(ref.spk).filter((j) => j % n === 3).map((j) => Math.floor(j / n));
    expect(spk3.length).toBeGreaterThan(6);
    expect(spk3.some((s, k) => spk3[k + 1] === s + 1)).toBe(true);
    expectClose('HH.V', got.V!, ref.V!, 2e-4, 10);
    expectClose('HH.m', got.m!, ref.m!, 1e-4, 0.01);
    expectClose('HH.h', got.h!, ref.h!, 1e-4, 0.01);
    expectClose('HH.n', got.n!, ref.n!, 1e-4, 0.01);
  });

  it.each(LOWERINGS)('batched [2, 3], gating initializers given explicitly (%s)', async (lowering) => {
    const B = 2, n = 3, steps = 200;
    const drive = [0, 8, 15, 4, 12, 30];
    const v0 = [-65, -60, -70, -58, -66, -62];
    const x = stepDrive(steps, drive, 10);
    const N = new brainpy.HH(n, {
      V_initializer: (shape) => u.mV(Tensor.fromArray(v0, shape)),
      m_initializer: 0.05, h_initializer: brainpy.Constant(0.6), n_initializer: 0.32,
    });
    brainstate.nn.initAllStates(N, { batchSize: B });
    expect(N.V.value.shape).toEqual([B, n]);
    expect(N.h.value.shape).toEqual([B, n]);
    const got = await simulate(N, u.uA(Tensor.fromArray(x, [steps, B, n])), DT, lowering, {
      V: [() => N.V.value, u.mV], n: [() => N.n.value, u.unitless],
    });
    const ref = reference(x, B * n, [], (i) => ({ V: v0[i]!, m: f32(0.05), h: f32(0.6), n: f32(0.32) }), hhStep(DT), ['V', 'n']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expect(ones(ref.spk).length).toBeGreaterThan(10);
    expectClose('HH.V (batched)', got.V!, ref.V!, 2e-4, 10);
    expectClose('HH.n (batched)', got.n!, ref.n!, 1e-4, 0.01);
  });
});

// ---------------------------------------------------------------------------------------------
// Refractory variants

const DT = 0.1;
/** float32 `t - last < tau_ref`, as the kernel evaluates it. */
const refractory = (t: number, last: number, tauRef: number) => f32(t - last) < f32(tauRef);
const NEVER = f32(-1e7);
const ee = (x: number, f: number, J: number) => x + DT * exprel(DT * J) * f;
const EXP = { tau: 10, Vth: -50, Vreset: -68, Vrest: -65, VT: -59.9, dT: 3.48 };

/** The hold: after each spike of element i, V stays bit-identical for the steps t - t_spike < tau_ref. */
function expectHold(V: ArrayLike<number>, spk: ArrayLike<number>, n: number, i: number, holdSteps: number): void {
  const steps = V.length / n;
  const spikes = Array.from({ length: steps }, (_, s) => s).filter((s) => spk[s * n + i]);
  expect(spikes.length).toBeGreaterThan(2);
  for (const s of spikes.slice(0, -1)) {
    if (s + holdSteps + 1 >= steps) break;
    const held = V[(s + 1) * n + i]!;
    for (let q = s + 2; q <= s + holdSteps; q++) expect(V[q * n + i]).toBe(held);
    expect(V[(s + holdSteps + 1) * n + i]).not.toBe(held);
  }
}

describe('ExpIFRef', () => {
  const amps = [6, 8, 12];
  const tauRef = 1.75; // ms: 17 held steps after a spike (not a multiple of dt)
  const cases = LOWERINGS.flatMap((l) => (['soft', 'hard'] as const).map((r) => [l, r] as const));
  it.each(cases)('ExpIF held at its reset value while t - last_spike_time < tau_ref (%s, %s reset)', async (lowering, reset) => {
    const steps = reset === 'hard' ? 1500 : 600;
    const x = stepDrive(steps, amps, 100);
    const N = new brainpy.ExpIFRef(amps.length, { V_th: u.mV(EXP.Vth), tau_ref: u.ms(tauRef), spkReset: reset });
    expect(new brainpy.ExpIFRef(1).tau_ref.toDecimal(u.ms).item()).toBeCloseTo(1.7, 6);
    expect(new brainpy.ExpIFRef(1).V_th.toDecimal(u.mV).item()).toBe(-30);
    brainstate.nn.initAllStates(N);
    expect(N.last_spike_time.value.toDecimal(u.ms).data[0]).toBe(-1e7);
    const got = await simulate(N, u.mA(Tensor.fromArray(x, [steps, amps.length])), DT, lowering, {
      V: [() => N.V.value, u.mV], last: [() => N.last_spike_time.value, u.ms],
    }, true);
    const ref = reference(x, amps.length, got.t!, () => ({ V: -65, last: NEVER }), (st, I, t) => {
      const vr = st.V! >= EXP.Vth ? (reset === 'hard' ? EXP.Vreset : st.V! - (EXP.Vth - EXP.Vreset)) : st.V!;
      const e = Math.exp((vr - EXP.VT) / EXP.dT);
      const vc = ee(vr, (-(vr - EXP.Vrest) + EXP.dT * e + I) / EXP.tau, (-1 + e) / EXP.tau);
      st.V = refractory(t, st.last!, tauRef) ? vr : vc;
      if (st.V >= EXP.Vth) st.last = t;
      return st.V >= EXP.Vth;
    }, ['V', 'last']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expect(ones(ref.spk).length).toBeGreaterThan(reset === 'hard' ? 15 : 4);
    expectClose('ExpIFRef.V', got.V!, ref.V!, 1e-4, 1);
    expect(Array.from(got.last!)).toEqual(Array.from(ref.last!, f32));
    expectHold(got.V!, got.spk!, amps.length, 2, 17);
  });
});

describe('AdExIFRef', () => {
  const P = { ...EXP, Vth: -55, tauW: 30, a: 0.05, b: 1 }; // a in S, b in mA (R = 1 ohm)
  const tauRef = 2.05;
  const adexRef = (st: Record<string, number>, I: number, t: number) => {
    const spk = st.V! >= P.Vth;
    const vr = spk ? P.Vreset : st.V!; // hard reset
    const wr = spk ? st.w! + P.b : st.w!;
    const e = Math.exp((vr - P.VT) / P.dT);
    const vc = ee(vr, (-(vr - P.Vrest) + P.dT * e - wr + I) / P.tau, (-1 + e) / P.tau);
    const wc = ee(wr, (P.a * (vc - P.Vrest) - wr) / P.tauW, -1 / P.tauW); // the candidate V
    const ref = refractory(t, st.last!, tauRef);
    st.V = ref ? vr : vc;
    st.w = ref ? wr : wc;
    if (st.V >= P.Vth) st.last = t;
    return st.V >= P.Vth;
  };

  it.each(LOWERINGS)('AdExIF with V and w held at their reset values during tau_ref (%s, hard reset)', async (lowering) => {
    const amps = [8, 12, 20], steps = 1500;
    const x = stepDrive(steps, amps, 100);
    const N = new brainpy.AdExIFRef(amps.length, { a: u.siemens(P.a), tau_ref: u.ms(tauRef), spkReset: 'hard' });
    expect(N.V_th.toDecimal(u.mV).item()).toBe(-55);
    expect(new brainpy.AdExIFRef(1).tau_ref.toDecimal(u.ms).item()).toBeCloseTo(1.7, 6);
    brainstate.nn.initAllStates(N);
    const got = await simulate(N, u.mA(Tensor.fromArray(x, [steps, amps.length])), DT, lowering, {
      V: [() => N.V.value, u.mV], w: [() => N.w.value, u.mA],
    }, true);
    const ref = reference(x, amps.length, got.t!, () => ({ V: -65, w: 0, last: NEVER }), adexRef, ['V', 'w']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expect(ones(ref.spk).length).toBeGreaterThan(20);
    expectClose('AdExIFRef.V', got.V!, ref.V!, 1e-4, 1);
    expectClose('AdExIFRef.w', got.w!, ref.w!, 1e-4, 0.01);
    expectHold(got.V!, got.spk!, amps.length, 2, 20);
    expectHold(got.w!, got.spk!, amps.length, 2, 20);
  });

  it.each(LOWERINGS)('batched [2, 3] (%s)', async (lowering) => {
    const B = 2, n = 3, steps = 800;
    const drive = [8, 12, 20, 10, 15, 25];
    const v0 = [-65, -60, -70, -58, -66, -62];
    const x = stepDrive(steps, drive, 50);
    const N = new brainpy.AdExIFRef(n, { a: u.siemens(P.a), tau_ref: u.ms(tauRef), spkReset: 'hard', V_initializer: (shape) => u.mV(Tensor.fromArray(v0, shape)) });
    brainstate.nn.initAllStates(N, { batchSize: B });
    expect(N.last_spike_time.value.shape).toEqual([B, n]);
    const got = await simulate(N, u.mA(Tensor.fromArray(x, [steps, B, n])), DT, lowering, {
      V: [() => N.V.value, u.mV], w: [() => N.w.value, u.mA],
    }, true);
    const ref = reference(x, B * n, got.t!, (i) => ({ V: v0[i]!, w: 0, last: NEVER }), adexRef, ['V', 'w']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expect(ones(ref.spk).length).toBeGreaterThan(30);
    expectClose('AdExIFRef.V (batched)', got.V!, ref.V!, 1e-4, 1);
    expectClose('AdExIFRef.w (batched)', got.w!, ref.w!, 1e-4, 0.01);
  });
});

describe('IzhikevichRef', () => {
  const P = { a: 0.02, b: 0.2, c: -65, d: 8, Vth: 30 };
  const amps = [5, 10, 20]; // mV/ms
  const rate = u.mV(1).div(u.ms(1)).unit;
  const izhRef = (tauRef: number) => (st: Record<string, number>, I: number, t: number) => {
    const spk = (st.V! - P.Vth) / P.Vth >= 0;
    const vr = spk ? P.c : st.V!;
    const ur = spk ? st.u! + P.d : st.u!;
    const vc = ee(vr, 0.04 * vr * vr + 5 * vr + 140 - ur + I, 0.08 * vr + 5);
    const uc = ee(ur, P.a * (P.b * vc - ur), -P.a);
    const ref = refractory(t, st.last!, tauRef);
    st.V = ref ? vr : vc;
    st.u = ref ? ur : uc;
    if (st.V >= P.Vth) st.last = t;
    return st.V >= P.Vth;
  };

  it.each(LOWERINGS)('Izhikevich with V -> c and u held for tau_ref (%s)', async (lowering) => {
    const steps = 2000, tauRef = 5.05;
    const x = stepDrive(steps, amps, 100);
    const N = new brainpy.IzhikevichRef(amps.length, { u_initializer: u.mV(-13).div(u.ms(1)), tau_ref: u.ms(tauRef) });
    brainstate.nn.initAllStates(N);
    const got = await simulate(N, u.mV(Tensor.fromArray(x, [steps, amps.length])).div(u.ms(1)), DT, lowering, {
      V: [() => N.V.value, u.mV], u: [() => N.u.value, rate],
    }, true);
    const ref = reference(x, amps.length, got.t!, () => ({ V: -65, u: -13, last: NEVER }), izhRef(tauRef), ['V', 'u']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expect(ones(ref.spk).length).toBeGreaterThan(10);
    expectClose('IzhikevichRef.V', got.V!, ref.V!, 2e-3, P.Vth);
    expectClose('IzhikevichRef.u', got.u!, ref.u!, 1e-4, 1);
    expectHold(got.V!, got.spk!, amps.length, 2, 50);
    expectHold(got.u!, got.spk!, amps.length, 2, 50);
  });

  it('tau_ref defaults to 0 ms: then IzhikevichRef steps exactly as Izhikevich', async () => {
    const steps = 2000;
    const x = stepDrive(steps, amps, 50);
    const R = new brainpy.IzhikevichRef(amps.length);
    expect(R.tau_ref.toDecimal(u.ms).item()).toBe(0);
    const N = new brainpy.Izhikevich(amps.length);
    brainstate.nn.initAllStates(R);
    brainstate.nn.initAllStates(N);
    const xs = u.mV(Tensor.fromArray(x, [steps, amps.length])).div(u.ms(1));
    const a = await simulate(R, xs, DT, 'interpret', { V: [() => R.V.value, u.mV] }, true);
    const b = await simulate(N, xs, DT, 'interpret', { V: [() => N.V.value, u.mV] });
    expect(ones(a.spk!).length).toBeGreaterThan(12);
    expect(Array.from(a.V!)).toEqual(Array.from(b.V!));
    expect(Array.from(a.spk!)).toEqual(Array.from(b.spk!));
  });
});

// ---------------------------------------------------------------------------------------------

describe('bad input', () => {
  it('HH: a parameter in the wrong unit names the parameter and the model; initializers and the input are checked', () => {
    expect(() => new brainpy.HH(2, { gNa: u.mV(120), name: 'hh0' })).toThrow(/hh0: gNa is in mV/);
    expect(() => new brainpy.HH(2, { C: u.mS(1), name: 'hh1' })).toThrow(/hh1: C is in mS/);
    expect(() => new brainpy.HH(2, { EL: u.ms(1) })).toThrow(/HH\d*: EL is in ms/);
    expect(() => new brainpy.HH(2, { V_th: 20 as unknown as u.Quantity, name: 'hh2' })).toThrow(/hh2: V_th must be a Quantity/);
    expect(() => brainstate.nn.initAllStates(new brainpy.HH(2, { V_initializer: u.mA(1), name: 'hh3' }))).toThrow(/hh3: V_initializer is in mA/);
    expect(() => brainstate.nn.initAllStates(new brainpy.HH(2, { m_initializer: u.mV(1), name: 'hh4' }))).toThrow(/hh4: m_initializer must be dimensionless/);
    const N = new brainpy.HH(2, { name: 'hh5' });
    brainstate.nn.initAllStates(N);
    expect(() => brainstate.environ.context({ dt: u.ms(0.1) }, () => N.call(u.mV(1)))).toThrow(/hh5\.update: the input must be a current/);
  });

  it('refractory variants: tau_ref and the inherited parameters are checked, with the model named', () => {
    expect(() => new brainpy.ExpIFRef(2, { tau_ref: u.mV(1), name: 'er0' })).toThrow(/er0: tau_ref is in mV/);
    expect(() => new brainpy.ExpIFRef(2, { V_T: u.ms(1), name: 'er1' })).toThrow(/er1: V_T is in ms/);
    expect(() => new brainpy.AdExIFRef(2, { tau_ref: u.mA(1), name: 'ar0' })).toThrow(/ar0: tau_ref is in mA/);
    expect(() => new brainpy.AdExIFRef(2, { b: u.nS(1), name: 'ar1' })).toThrow(/ar1: b is in nS/);
    expect(() => new brainpy.IzhikevichRef(2, { tau_ref: u.mV(1), name: 'ir0' })).toThrow(/ir0: tau_ref is in mV/);
    expect(() => new brainpy.IzhikevichRef(2, { d: u.mV(8), name: 'ir1' })).toThrow(/ir1: d is in mV/);
  });

  it('refractory variants: the input unit and t in the environment are checked', () => {
    const E = new brainpy.ExpIFRef(2, { name: 'er2' });
    const A = new brainpy.AdExIFRef(2, { name: 'ar2' });
    const Z = new brainpy.IzhikevichRef(2, { name: 'ir2' });
    for (const m of [E, A, Z]) brainstate.nn.initAllStates(m);
    const ctx = (t: unknown, fn: () => unknown) => brainstate.environ.context({ dt: u.ms(0.1), t }, fn);
    expect(() => ctx(u.ms(0), () => E.call(u.mV(1)))).toThrow(/er2\.update: the input must be a current/);
    expect(() => ctx(u.ms(0), () => Z.call(u.mA(1)))).toThrow(/ir2\.update: the input must be a rate of change of V/);
    expect(() => ctx(u.mV(1), () => A.call(u.mA(1)))).toThrow(/ar2\.update: t in the environment is in mV/);
    expect(() => ctx(1, () => Z.call(u.mV(1).div(u.ms(1))))).toThrow(/ir2\.update: t in the environment must be a time Quantity/);
    expect(() => brainstate.environ.context({ dt: u.ms(0.1) }, () => E.call(u.mA(1)))).toThrow(/er2\.update: needs the time t, from the environment/);
  });
});
