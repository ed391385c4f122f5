/**
 * brainpy.state's MorrisLecar and WangBuzsakiHH (`hh.py`) against independent float64 steppers
 * written here from the equations (not from the models' code), stepped as brainpy.state steps
 * them: currents at the previous step's V (forward-Euler V), exact exponential relaxation of the
 * gating variables with their rates at the previous V, a level-test spike on the new V. Spike
 * steps exact, state traces to a stated relative tolerance, under the CPU interpreter and both
 * GPU lowerings. Plus defaults, batched shapes, the removable singularities and bad input.
 *
 * Tolerances. Relative error |a - e| / max(|e|, floor), floors 10 mV for V and 0.01 for W, h, n.
 * Both models are driven onto limit cycles, whose phase is neutrally stable: the float32 kernel's
 * rounding (and the GPU's exp/tanh/exprel, a few ulps) shifts the spike times by a slowly growing
 * amount, which on an upstroke is a large error in V. A float32 emulation of the WangBuzsakiHH
 * reference (every operation through Math.fround) differs from the float64 one by 1e-4 to 4e-4
 * at 5-10 uA over 600 steps, and by 0.9e-3 to 1.5e-3 at 0.5-4 uA (the slow approach to threshold
 * near rheobase amplifies it), so the driven runs stay away from rheobase.
 * - MorrisLecar (dt 0.1 ms, 2000 steps, 4+ spikes at 200 uA; 1000 steps batched): V to 2.5e-4,
 *   W to 3e-5. Measured worst: V 6.3e-5 (interpreter), 9.5e-5 (Dawn on lavapipe), W 6.7e-6 and
 *   1.0e-5; batched V 3.8e-5, W 3.7e-6. Its spikes are slow (period 40-85 ms), hence the long run.
 * - WangBuzsakiHH (dt 0.05 ms, 600 steps, 9+ spikes at 20 uA; 400 steps batched): V to 1e-3,
 *   h and n to 1e-4. Measured worst: V 2.7e-4 (interpreter), 3.8e-4 (Dawn on lavapipe), on an
 *   upstroke of the 5 uA element; h 3.1e-5, n 3.2e-5; batched V 2.8e-4, h, n 2.4e-5.
 * Printed with NEURONS_REPORT=1.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '@spiketrace/compiler';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
import { expectClose, exprel, LOWERINGS, ones, reference, simulate, stepDrive, type Stepper } from '../helpers/neurons.ts';

afterAll(() => releaseDevice());

const f32 = Math.fround;
const perMs = u.ms(1).rdiv(1).unit;
const TOL = { mlV: 2.5e-4, mlW: 3e-5, wbV: 1e-3, wbGate: 1e-4 };

/** The steps at which element i of n starts a spike (a level test: the first step of each run of ones). */
const onsets = (spk: ArrayLike<number>, n: number, i: number) => {
  const s: number[] = [];
  for (let t = 0; t < spk.length / n; t++) if (spk[t * n + i] && !(t > 0 && spk[(t - 1) * n + i])) s.push(t);
  return s;
};


// ---------------------------------------------------------------------------------------------
// MorrisLecar

const MLP = { VCa: 130, gCa: 4.4, VK: -84, gK: 8, VL: -60, gL: 2, C: 20, V1: -1.2, V2: 18, V3: 2, V4: 30, phi: 0.04, Vth: 10 }; // mV, mS, uF, 1/ms
const mlRates = (P: typeof MLP) => ({
  Minf: (V: number) => 0.5 * (1 + Math.tanh((V - P.V1) / P.V2)),
  Winf: (V: number) => 0.5 * (1 + Math.tanh((V - P.V3) / P.V4)),
  tauW: (V: number) => 1 / (P.phi * Math.cosh((V - P.V3) / (2 * P.V4))),
});
const ML = mlRates(MLP);

/** One brainpy.state MorrisLecar step in float64 (I in uA): forward-Euler V, W relaxed exactly towards W_inf. */
function mlStep(dt: number, P = MLP): Stepper {
  const R = mlRates(P);
  return (st, I) => {
    const { V, W } = st as { V: number; W: number };
    const ICa = P.gCa * R.Minf(V) * (V - P.VCa);
    const IK = P.gK * W * (V - P.VK);
    const IL = P.gL * (V - P.VL);
    const tau = R.tauW(V);
    st.V = V + dt * (I - ICa - IK - IL) / P.C; // uA / uF = mV/ms
    st.W = W + dt * exprel(-dt / tau) * (R.Winf(V) - W) / tau;
    return (st.V - P.Vth) / P.Vth >= 0;
  };
}

describe('MorrisLecar', () => {
  it('defaults are brainpy.state\'s; V starts Uniform(-70, -60) mV (seeded), W at 0.02', () => {
    const N = new brainpy.MorrisLecar(64);
    const mV = (q: u.Quantity) => q.toDecimal(u.mV).item();
    expect([mV(N.V_Ca), mV(N.V_K), mV(N.V_leak), mV(N.V2), mV(N.V3), mV(N.V4), mV(N.V_th)]).toEqual([130, -84, -60, 18, 2, 30, 10]);
    expect(mV(N.V1)).toBeCloseTo(-1.2, 6);
    expect(N.g_Ca.toDecimal(u.mS).item()).toBeCloseTo(4.4, 6);
    expect(N.g_K.toDecimal(u.mS).item()).toBe(8);
    expect(N.g_leak.toDecimal(u.mS).item()).toBe(2);
    expect(N.C.toDecimal(u.uF).item()).toBe(20);
    expect(N.phi.toDecimal(perMs).item()).toBeCloseTo(0.04, 8);
    expect(N.spkFun.name).toBe('ReluGrad');
    brainstate.nn.initAllStates(N);
    const V = Array.from(N.V.value.toDecimal(u.mV).data);
    expect(Math.min(...V)).toBeGreaterThanOrEqual(-70);
    expect(Math.max(...V)).toBeLessThanOrEqual(-60);
    expect(new Set(V).size).toBeGreaterThan(60);
    const N2 = new brainpy.MorrisLecar(64);
    brainstate.nn.initAllStates(N2);
    expect(Array.from(N2.V.value.toDecimal(u.mV).data)).toEqual(V);
    expect(N.W.value.unit.isDimensionless).toBe(true);
    expect(new Set(N.W.value.toDecimal(u.unitless).data)).toEqual(new Set([f32(0.02)]));
    brainstate.nn.initAllStates(N, { batchSize: 3 });
    expect(N.V.value.shape).toEqual([3, 64]);
    expect(N.W.value.shape).toEqual([3, 64]);
  });

  it('M_inf, W_inf and tau_W (cosh written from exp) at a few V', () => {
    const N = new brainpy.MorrisLecar(1);
    const Vs = [-80, -60, -1.2, 2, 10, 40];
    const q = u.mV(Tensor.fromArray(Vs, [Vs.length]));
    // 1 + tanh(z) cancels in float32 for z << 0 (M_inf(-60 mV) = 1.5e-3 carries ~1e-8 absolute
    // error, as brainpy.state's float32 does): an absolute floor of 0.01
    expectClose('ML.M_inf', N.M_inf(q).data, Vs.map(ML.Minf), 1e-5, 0.01);
    expectClose('ML.W_inf', N.W_inf(q).data, Vs.map(ML.Winf), 1e-5, 0.01);
    expectClose('ML.tau_W', N.tau_W(q).toDecimal(u.ms).data, Vs.map(ML.tauW), 1e-6, 1);
    expect(N.M_inf(u.mV(-1.2)).item()).toBeCloseTo(0.5, 6);
    expect(N.tau_W(u.mV(2)).toDecimal(u.ms).item()).toBeCloseTo(25, 5);
  });

  const DT = 0.1;
  // I in uA with C = 20 uF (uA/cm^2 in the classic units): 60 stays below the oscillation onset
  // (near 80 here), 100-200 fire with a period of 40-85 ms. Spikes are slow, so the run is long.
  const amps = [60, 100, 150, 200];
  it.each(LOWERINGS)('forward-Euler V, W relaxed exactly towards W_inf with the rate 1/tau_W, level-test spike (%s)', async (lowering) => {
    const steps = 2000, n = amps.length;
    const x = stepDrive(steps, amps, 20);
    const N = new brainpy.MorrisLecar(n, { V_initializer: brainpy.Uniform(u.mV(-70), u.mV(-60), { seed: 7 }) });
    brainstate.nn.initAllStates(N);
    const v0 = Array.from(N.V.value.toDecimal(u.mV).data);
    const got = await simulate(N, u.uA(Tensor.fromArray(x, [steps, n])), DT, lowering, {
      V: [() => N.V.value, u.mV], W: [() => N.W.value, u.unitless],
    });
    const ref = reference(x, n, [], (i) => ({ V: v0[i]!, W: f32(0.02) }), mlStep(DT), ['V', 'W']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expect(onsets(ref.spk, n, 0)).toEqual([]);
    expect(onsets(ref.spk, n, 3).length).toBeGreaterThanOrEqual(4);
    expect(ones(ref.spk).length).toBeGreaterThan(4 * onsets(ref.spk, n, 3).length); // each spike several steps long
    expectClose('ML.V', got.V!, ref.V!, TOL.mlV, 10);
    expectClose('ML.W', got.W!, ref.W!, TOL.mlW, 0.01);
  });

  it.each(LOWERINGS)('batched [2, 3], initializers given explicitly (%s)', async (lowering) => {
    const B = 2, n = 3, steps = 1000;
    const drive = [0, 120, 250, 90, 160, 200];
    const v0 = [-65, -40, -70, 0, -20, -55];
    const x = stepDrive(steps, drive, 10);
    const N = new brainpy.MorrisLecar(n, {
      V_initializer: (shape) => u.mV(Tensor.fromArray(v0, shape)),
      W_initializer: brainpy.Constant(0.1),
    });
    brainstate.nn.initAllStates(N, { batchSize: B });
    expect(N.V.value.shape).toEqual([B, n]);
    expect(N.W.value.shape).toEqual([B, n]);
    const got = await simulate(N, u.uA(Tensor.fromArray(x, [steps, B, n])), DT, lowering, {
      V: [() => N.V.value, u.mV], W: [() => N.W.value, u.unitless],
    });
    const ref = reference(x, B * n, [], (i) => ({ V: v0[i]!, W: f32(0.1) }), mlStep(DT), ['V', 'W']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expect(ones(ref.spk).length).toBeGreaterThan(100);
    expectClose('ML.V (batched)', got.V!, ref.V!, TOL.mlV, 10);
    expectClose('ML.W (batched)', got.W!, ref.W!, TOL.mlW, 0.01);
  });

  it.each(LOWERINGS)('every parameter changed reaches the step (%s)', async (lowering) => {
    const P = { VCa: 120, gCa: 4, VK: -80, gK: 7.5, VL: -55, gL: 2.5, C: 15, V1: -2, V2: 16, V3: 4, V4: 25, phi: 0.06, Vth: 5 };
    const steps = 1500, n = amps.length;
    const x = stepDrive(steps, amps, 20);
    const v0 = [-62, -58, -66, -60, -55].slice(0, n);
    const N = new brainpy.MorrisLecar(n, {
      V_Ca: u.mV(P.VCa), g_Ca: u.mS(P.gCa), V_K: u.mV(P.VK), g_K: u.mS(P.gK), V_leak: u.mV(P.VL), g_leak: u.mS(P.gL), C: u.uF(P.C),
      V1: u.mV(P.V1), V2: u.mV(P.V2), V3: u.mV(P.V3), V4: u.mV(P.V4), phi: u.ms(1 / P.phi).rdiv(1), V_th: u.mV(P.Vth),
      V_initializer: (shape) => u.mV(Tensor.fromArray(v0, shape)), W_initializer: 0.05,
    });
    brainstate.nn.initAllStates(N);
    const got = await simulate(N, u.uA(Tensor.fromArray(x, [steps, n])), DT, lowering, {
      V: [() => N.V.value, u.mV], W: [() => N.W.value, u.unitless],
    });
    const ref = reference(x, n, [], (i) => ({ V: v0[i]!, W: f32(0.05) }), mlStep(DT, P), ['V', 'W']);
    // the defaults give other traces: the parameters did reach the step
    const dflt = reference(x, n, [], (i) => ({ V: v0[i]!, W: f32(0.05) }), mlStep(DT), ['V', 'W']);
    expect(Math.max(...Array.from(ref.V!, (v, i) => Math.abs(v - dflt.V![i]!)))).toBeGreaterThan(1);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expect(ones(ref.spk).length).toBeGreaterThan(10);
    expectClose('ML.V (parameters)', got.V!, ref.V!, TOL.mlV, 10);
    expectClose('ML.W (parameters)', got.W!, ref.W!, TOL.mlW, 0.01);
  });
});

// ---------------------------------------------------------------------------------------------
// WangBuzsakiHH

/** The Wang-Buzsaki rates (V in mV, per ms), alpha_n as published (0.1 / exprel). */
const WBR = {
  am: (V: number) => -0.1 * (V + 35) / (Math.exp(-0.1 * (V + 35)) - 1),
  bm: (V: number) => 4 * Math.exp(-(V + 60) / 18),
  ah: (V: number) => 0.07 * Math.exp(-(V + 58) / 20),
  bh: (V: number) => 1 / (Math.exp(-0.1 * (V + 28)) + 1),
  an: (V: number) => -0.01 * (V + 34) / (Math.exp(-0.1 * (V + 34)) - 1),
  bn: (V: number) => 0.125 * Math.exp(-(V + 44) / 80),
};
const WBP = { ENa: 55, gNa: 35, EK: -90, gK: 9, EL: -65, gL: 0.1, Vth: 20, phi: 5, C: 1 }; // mV, mS, uF

/** One brainpy.state WangBuzsakiHH step in float64 (I in uA): m = m_inf(V), forward-Euler V, exact h, n relaxation. */
function wbStep(dt: number, P = WBP): Stepper {
  return (st, I) => {
    const { V, h, n } = st as { V: number; h: number; n: number };
    // written from the quotient form, which is 0/0 only at V = -35, -34 exactly (not reached here)
    const m = WBR.am(V) / (WBR.am(V) + WBR.bm(V));
    const INa = P.gNa * m ** 3 * h * (V - P.ENa);
    const IK = P.gK * n ** 4 * (V - P.EK);
    const IL = P.gL * (V - P.EL);
    // exact relaxation towards x_inf = a / (a + b) with the rate k = phi (a + b)
    const gate = (x: number, a: number, b: number) => {
      const k = P.phi * (a + b), xinf = a / (a + b);
      return xinf + (x - xinf) * Math.exp(-k * dt);
    };
    st.V = V + dt * (I - INa - IK - IL) / P.C;
    st.h = gate(h, WBR.ah(V), WBR.bh(V));
    st.n = gate(n, WBR.an(V), WBR.bn(V));
    return (st.V - P.Vth) / P.Vth >= 0;
  };
}

describe('WangBuzsakiHH', () => {
  it('defaults are brainpy.state\'s: V = -65 mV, h = 0.6, n = 0.32', () => {
    const N = new brainpy.WangBuzsakiHH(8);
    const mV = (q: u.Quantity) => q.toDecimal(u.mV).item();
    expect([mV(N.ENa), mV(N.EK), mV(N.EL), mV(N.V_th)]).toEqual([55, -90, -65, 20]);
    expect(N.gNa.toDecimal(u.mS).item()).toBe(35);
    expect(N.gK.toDecimal(u.mS).item()).toBe(9);
    expect(N.gL.toDecimal(u.mS).item()).toBeCloseTo(0.1, 7);
    expect(N.phi.unit.isDimensionless).toBe(true);
    expect(N.phi.toDecimal(u.unitless).item()).toBe(5);
    expect(N.C.toDecimal(u.uF).item()).toBe(1);
    expect(N.spkFun.name).toBe('ReluGrad');
    brainstate.nn.initAllStates(N);
    expect(new Set(N.V.value.toDecimal(u.mV).data)).toEqual(new Set([-65]));
    expect(new Set(N.h.value.toDecimal(u.unitless).data)).toEqual(new Set([f32(0.6)]));
    expect(new Set(N.n.value.toDecimal(u.unitless).data)).toEqual(new Set([f32(0.32)]));
    expect(N.h.value.unit.isDimensionless && N.n.value.unit.isDimensionless).toBe(true);
    brainstate.nn.initAllStates(N, { batchSize: 2 });
    expect(N.V.value.shape).toEqual([2, 8]);
    expect(N.n.value.shape).toEqual([2, 8]);
    expect(new brainpy.WangBuzsakiHH(1, { phi: 3 }).phi.toDecimal(u.unitless).item()).toBe(3);
  });

  it('the rates at the removable singularities of alpha_m (V = -35) and alpha_n (V = -34), and elsewhere', () => {
    const N = new brainpy.WangBuzsakiHH(1);
    const r = (q: u.Quantity) => q.toDecimal(perMs).item();
    expect(r(N.m_alpha(u.mV(-35)))).toBeCloseTo(1, 6);
    expect(r(N.n_alpha(u.mV(-34)))).toBeCloseTo(0.1, 7); // the published alpha_n, not 1 / exprel (1 here)
    expect(Number.isFinite(N.m_inf(u.mV(-35)).toDecimal(u.unitless).item())).toBe(true);
    expect(N.m_inf(u.mV(-35)).toDecimal(u.unitless).item()).toBeCloseTo(1 / (1 + WBR.bm(-35)), 6);
    expect(N.h_beta(u.mV(-28)).toDecimal(perMs).item()).toBeCloseTo(0.5, 6);
    const Vs = [-80, -60, -35.5, -34.5, -20, 30];
    const q = u.mV(Tensor.fromArray(Vs, [Vs.length]));
    const rates: [string, (v: u.Quantity) => u.Quantity, (v: number) => number][] = [
      ['am', (v) => N.m_alpha(v), WBR.am], ['bm', (v) => N.m_beta(v), WBR.bm], ['ah', (v) => N.h_alpha(v), WBR.ah],
      ['bh', (v) => N.h_beta(v), WBR.bh], ['an', (v) => N.n_alpha(v), WBR.an], ['bn', (v) => N.n_beta(v), WBR.bn],
    ];
    for (const [name, got, want] of rates) expectClose(`WB.${name}`, got(q).toDecimal(perMs).data, Vs.map(want), 1e-5, 1e-6);
  });

  const DT = 0.05;
  // I in uA with C = 1 uF: 0.1 uA stays below rheobase (near 0.2 here), 5-20 uA fire at
  // 80-350 Hz. Drives near rheobase (0.5-4 uA) are left out: there the slow approach to threshold
  // amplifies float32 rounding to ~1.5e-3 in V (see the header comment).
  const amps = [0.1, 5, 10, 20];
  it.each(LOWERINGS)('instantaneous m, forward-Euler V, exact h and n relaxation, level-test spike (%s)', async (lowering) => {
    const steps = 600, n = amps.length;
    const x = stepDrive(steps, amps, 20);
    const N = new brainpy.WangBuzsakiHH(n);
    brainstate.nn.initAllStates(N);
    const got = await simulate(N, u.uA(Tensor.fromArray(x, [steps, n])), DT, lowering, {
      V: [() => N.V.value, u.mV], h: [() => N.h.value, u.unitless], n: [() => N.n.value, u.unitless],
    });
    const ref = reference(x, n, [], () => ({ V: -65, h: f32(0.6), n: f32(0.32) }), wbStep(DT), ['V', 'h', 'n']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expect(onsets(ref.spk, n, 0)).toEqual([]);
    const s3 = onsets(ref.spk, n, 3);
    expect(s3.length).toBeGreaterThan(8);
    expect(ones(ref.spk).length).toBeGreaterThan(3 * s3.length); // a level test: several steps per spike
    expectClose('WB.V', got.V!, ref.V!, TOL.wbV, 10);
    expectClose('WB.h', got.h!, ref.h!, TOL.wbGate, 0.01);
    expectClose('WB.n', got.n!, ref.n!, TOL.wbGate, 0.01);
  });

  it.each(LOWERINGS)('batched [2, 3], initializers given explicitly (%s)', async (lowering) => {
    const B = 2, n = 3, steps = 400;
    const drive = [0, 6, 8, 0.1, 12, 25];
    const v0 = [-65, -60, -70, -58, -66, -62];
    const x = stepDrive(steps, drive, 10);
    const N = new brainpy.WangBuzsakiHH(n, {
      V_initializer: (shape) => u.mV(Tensor.fromArray(v0, shape)),
      h_initializer: brainpy.Constant(0.8), n_initializer: 0.1,
    });
    brainstate.nn.initAllStates(N, { batchSize: B });
    expect(N.V.value.shape).toEqual([B, n]);
    expect(N.h.value.shape).toEqual([B, n]);
    const got = await simulate(N, u.uA(Tensor.fromArray(x, [steps, B, n])), DT, lowering, {
      V: [() => N.V.value, u.mV], h: [() => N.h.value, u.unitless], n: [() => N.n.value, u.unitless],
    });
    const ref = reference(x, B * n, [], (i) => ({ V: v0[i]!, h: f32(0.8), n: f32(0.1) }), wbStep(DT), ['V', 'h', 'n']);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expect(ones(ref.spk).length).toBeGreaterThan(20);
    expectClose('WB.V (batched)', got.V!, ref.V!, TOL.wbV, 10);
    expectClose('WB.h (batched)', got.h!, ref.h!, TOL.wbGate, 0.01);
    expectClose('WB.n (batched)', got.n!, ref.n!, TOL.wbGate, 0.01);
  });

  it.each(LOWERINGS)('every parameter changed reaches the step (%s)', async (lowering) => {
    const P = { ENa: 50, gNa: 30, EK: -85, gK: 10, EL: -60, gL: 0.15, Vth: 10, phi: 3, C: 1.5 };
    const steps = 600, drive = [0, 3, 6, 12];
    const x = stepDrive(steps, drive, 10);
    const N = new brainpy.WangBuzsakiHH(drive.length, {
      ENa: u.mV(P.ENa), gNa: u.mS(P.gNa), EK: u.mV(P.EK), gK: u.mS(P.gK), EL: u.mV(P.EL), gL: u.mS(P.gL), V_th: u.mV(P.Vth), phi: P.phi, C: u.uF(P.C),
    });
    brainstate.nn.initAllStates(N);
    const got = await simulate(N, u.uA(Tensor.fromArray(x, [steps, drive.length])), DT, lowering, {
      V: [() => N.V.value, u.mV], h: [() => N.h.value, u.unitless], n: [() => N.n.value, u.unitless],
    });
    const init = () => ({ V: -65, h: f32(0.6), n: f32(0.32) });
    const ref = reference(x, drive.length, [], init, wbStep(DT, P), ['V', 'h', 'n']);
    // the defaults give other traces: the parameters did reach the step
    const dflt = reference(x, drive.length, [], init, wbStep(DT), ['V', 'h', 'n']);
    expect(Math.max(...Array.from(ref.V!, (v, i) => Math.abs(v - dflt.V![i]!)))).toBeGreaterThan(1);
    expect(ones(got.spk!)).toEqual(ones(ref.spk));
    expect(ones(ref.spk).length).toBeGreaterThan(5);
    expectClose('WB.V (parameters)', got.V!, ref.V!, TOL.wbV, 10);
    expectClose('WB.h (parameters)', got.h!, ref.h!, TOL.wbGate, 0.01);
    expectClose('WB.n (parameters)', got.n!, ref.n!, TOL.wbGate, 0.01);
  });
});

// ---------------------------------------------------------------------------------------------

describe('bad input', () => {
  it('MorrisLecar: a parameter in the wrong unit names the parameter and the model; initializers and the input are checked', () => {
    expect(() => new brainpy.MorrisLecar(2, { g_Ca: u.mV(4.4), name: 'ml0' })).toThrow(/ml0: g_Ca is in mV/);
    expect(() => new brainpy.MorrisLecar(2, { phi: u.mV(1), name: 'ml1' })).toThrow(/ml1: phi is in mV/);
    expect(() => new brainpy.MorrisLecar(2, { V4: u.ms(30) })).toThrow(/MorrisLecar\d*: V4 is in ms/);
    expect(() => new brainpy.MorrisLecar(2, { C: 20 as unknown as u.Quantity, name: 'ml2' })).toThrow(/ml2: C must be a Quantity/);
    // the ones the equations divide by must be positive; conductances non-negative
    expect(() => new brainpy.MorrisLecar(2, { C: u.uF(0), name: 'ml6' })).toThrow(/ml6: C must be positive and finite/);
    expect(() => new brainpy.MorrisLecar(2, { V4: u.mV(0), name: 'ml7' })).toThrow(/ml7: V4 must be positive/);
    expect(() => new brainpy.MorrisLecar(2, { phi: u.Hz(-1), name: 'ml8' })).toThrow(/ml8: phi must be positive/);
    expect(() => new brainpy.MorrisLecar(2, { g_K: u.mS(-1), name: 'ml9' })).toThrow(/ml9: g_K must be non-negative/);
    expect(new brainpy.MorrisLecar(2, { g_Ca: u.mS(0) }).g_Ca.item()).toBe(0);
    expect(() => brainstate.nn.initAllStates(new brainpy.MorrisLecar(2, { V_initializer: u.mA(1), name: 'ml3' }))).toThrow(/ml3: V_initializer is in mA/);
    expect(() => brainstate.nn.initAllStates(new brainpy.MorrisLecar(2, { W_initializer: u.mV(1), name: 'ml4' }))).toThrow(/ml4: W_initializer must be dimensionless/);
    const N = new brainpy.MorrisLecar(2, { name: 'ml5' });
    brainstate.nn.initAllStates(N);
    expect(() => brainstate.environ.context({ dt: u.ms(0.1) }, () => N.call(u.mV(1)))).toThrow(/ml5\.update: the input must be a current/);
    expect(() => brainstate.environ.context({ dt: u.ms(0.1) }, () => N.call(1 as unknown as u.Quantity))).toThrow(/ml5\.update: the input current must be a Quantity/);
  });

  it('WangBuzsakiHH: a parameter in the wrong unit names the parameter and the model; initializers and the input are checked', () => {
    expect(() => new brainpy.WangBuzsakiHH(2, { gK: u.mV(9), name: 'wb0' })).toThrow(/wb0: gK is in mV/);
    expect(() => new brainpy.WangBuzsakiHH(2, { phi: u.ms(5), name: 'wb1' })).toThrow(/wb1: phi is in ms, expected a dimensionless number/);
    expect(() => new brainpy.WangBuzsakiHH(2, { phi: -5, name: 'wb5' })).toThrow(/wb5: phi must be positive/);
    expect(() => new brainpy.WangBuzsakiHH(2, { C: u.uF(NaN), name: 'wb6' })).toThrow(/wb6: C must be positive and finite/);
    expect(() => new brainpy.WangBuzsakiHH(2, { ENa: u.mS(55) })).toThrow(/WangBuzsakiHH\d*: ENa is in mS/);
    expect(() => brainstate.nn.initAllStates(new brainpy.WangBuzsakiHH(2, { V_initializer: u.uA(1), name: 'wb2' }))).toThrow(/wb2: V_initializer is in uA/);
    expect(() => brainstate.nn.initAllStates(new brainpy.WangBuzsakiHH(2, { h_initializer: u.mV(1), name: 'wb3' }))).toThrow(/wb3: h_initializer must be dimensionless/);
    expect(() => brainstate.nn.initAllStates(new brainpy.WangBuzsakiHH(2, { n_initializer: brainpy.Constant(u.ms(1)), name: 'wb4' }))).toThrow(/wb4: n_initializer must be dimensionless/);
    const N = new brainpy.WangBuzsakiHH(2, { name: 'wb5' });
    brainstate.nn.initAllStates(N);
    expect(() => brainstate.environ.context({ dt: u.ms(0.1) }, () => N.call(u.mS(1)))).toThrow(/wb5\.update: the input must be a current/);
  });
});
