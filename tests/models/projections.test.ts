/**
 * DeltaProj, CurrentProj, AlignPreProj, AlignPostProj's instance mode, and the constant / step
 * current generators. Each projection against a dense float64 CPU reference on random connectivity
 * and random spike patterns, on the CPU interpreter and the GPU dispatch chain (relative tolerance
 * 1e-5 on voltages, currents and conductances); bad input names the projection.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '@spiketrace/compiler';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
import { mulberry32 } from '../helpers/random.ts';

afterAll(() => releaseDevice());

const DT = 0.1;
const LOWERINGS = ['interpret', 'dispatch-chain'] as const;
const run = <R>(fn: () => Promise<R>) => brainstate.environ.context({ dt: u.ms(DT) }, fn);
const timesOf = (steps: number) => u.math.arange(u.ms(0), u.ms(steps * DT - DT / 2), u.ms(DT));

function worstRel(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-30): { err: number; at: number } {
  let err = 0, at = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!, a = actual[i]!;
    const r = Math.abs(a - e) / Math.max(floor, Math.abs(e));
    if (!(r <= err)) [err, at] = [r, i];
  }
  return { err, at };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, floor?: number): void {
  expect(actual.length).toBe(expected.length);
  const { err, at } = worstRel(actual, expected, floor);
  expect(err, `worst relative error ${err} at ${at}: ${actual[at]} vs ${expected[at]}`).toBeLessThanOrEqual(rel);
}

/** A dense comm for graded input (test-local): y[..., q] = sum_p x[..., p] W[p, q], in x's unit times W's. */
class DenseComm extends brainstate.nn.Module {
  constructor(readonly nPre: number, readonly nPost: number, readonly W: u.Quantity, name?: string) {
    super(name);
  }

  get outUnit(): u.Unit {
    return this.W.unit;
  }

  override update(x: u.Quantity | Tensor): u.Quantity {
    const q = x instanceof Tensor ? new u.Quantity(x.dtype === 'bool' ? u.math.where(x, 1, 0) : x) : x;
    const col = q.reshape([...q.shape.slice(0, -1), this.nPre, 1]);
    return col.mul(this.W).sum(-2);
  }
}

/** A random sparse weight matrix (probability p, weights in [lo, hi)), row-major [nPre, nPost]. */
function randomW(rng: () => number, nPre: number, nPost: number, p: number, lo: number, hi: number): Float32Array {
  return new Float32Array(nPre * nPost).map(() => (rng() < p ? Math.fround(lo + (hi - lo) * rng()) : 0));
}

/** Dense float64 y[s, q] = sum_p x[s, p] W[p, q]. */
function matmul(x: ArrayLike<number>, W: ArrayLike<number>, steps: number, nPre: number, nPost: number): Float64Array {
  const y = new Float64Array(steps * nPost);
  for (let s = 0; s < steps; s++) for (let p = 0; p < nPre; p++) {
    const v = x[s * nPre + p]!;
    if (v === 0) continue;
    for (let q = 0; q < nPost; q++) y[s * nPost + q]! += v * W[p * nPost + q]!;
  }
  return y;
}

/** EventFixedProb's dense matrix: W[p, q] = weight * (times q is among p's targets). */
function denseOf(c: brainpy.EventFixedProb, w: number): Float64Array {
  const W = new Float64Array(c.nPre * c.nPost);
  for (let p = 0; p < c.nPre; p++) for (let j = 0; j < c.k; j++) W[p * c.nPost + c.indices[p * c.k + j]!]! += w;
  return W;
}

const spikesOf = (rng: () => number, steps: number, n: number, p: number) => new Float32Array(steps * n).map(() => (rng() < p ? 1 : 0));

// LIF parameters of the post populations (no spikes: V_th far above)
const P = { tau: 20, vRest: -60, R: 100, v0: -65 }; // ms, mV, MOhm, mV
const mkPost = (n: number, name?: string) => new brainpy.LIF(n, {
  tau: u.ms(P.tau), V_rest: u.mV(P.vRest), V_th: u.mV(1000), V_reset: u.mV(-60), R: u.Mohm(P.R), V_initializer: u.mV(P.v0), name,
});

/**
 * float64 LIF with exponential Euler, current I(V) in pA and slope dI/dV in nS (pA/mV), then the
 * delta inputs (mV) after the integration: V' = V + dt exprel(dt J) f(V) + delta.
 */
function lifRef(steps: number, n: number, I: (s: number, i: number, V: number) => [number, number], delta?: (s: number, i: number) => number): Float64Array {
  const V = new Float64Array(n).fill(P.v0);
  const out = new Float64Array(steps * n);
  for (let s = 0; s < steps; s++) for (let i = 0; i < n; i++) {
    const [cur, slope] = I(s, i, V[i]!);
    const f = (-V[i]! + P.vRest + P.R * cur * 1e-3) / P.tau; // MOhm * pA = 1e-3 mV
    const J = (P.R * slope * 1e-3 - 1) / P.tau; // MOhm * nS = 1e-3
    const z = DT * J;
    V[i] = V[i]! + DT * (Math.expm1(z) / z) * f + (delta ? delta(s, i) : 0);
    out[s * n + i] = V[i]!;
  }
  return out;
}

describe('DeltaProj', () => {
  it.each(LOWERINGS)('adds comm(x) to V after the integration of the same step (%s)', async (lowering) => {
    const rng = mulberry32(31);
    const nPre = 40, nPost = 30, steps = 120, w = 0.5;
    const post = mkPost(nPost);
    const proj = new brainpy.DeltaProj({ comm: new brainpy.EventFixedProb(nPre, nPost, { prob: 0.2, weight: u.mV(w), seed: 4 }), post, name: 'jump' });
    brainstate.nn.initAllStates(post);
    const spikes = spikesOf(rng, steps, nPre, 0.1);
    const drive = 150; // pA
    const out = await run(() => brainstate.transform.forLoop((s: Tensor) => {
      proj.update(s);
      post.call(u.pA(drive));
      return post.V.value;
    }, Tensor.fromArray(spikes, [steps, nPre]), { lowering }));
    const v = out.toDecimal(u.mV).data;
    const d = matmul(spikes, denseOf(proj.comm as brainpy.EventFixedProb, w), steps, nPre, nPost);
    const ref = lifRef(steps, nPost, () => [drive, 0], (s, i) => d[s * nPost + i]!);
    expectClose(v, ref, 1e-5, 1); // V crosses 0 mV: relative to max(1 mV, |V|)
    // the jump comes after the integration: integrating V + delta instead is measurably different
    const before = lifRef(1, nPost, () => [drive, 0]);
    const k = 1 - Math.exp(-DT / P.tau);
    for (let i = 0; i < nPost; i++) {
      expect(v[i]).toBeCloseTo(before[i]! + d[i]!, 4);
      if (d[i]! !== 0) expect(Math.abs(v[i]! - (before[i]! + d[i]! * (1 - k)))).toBeGreaterThan(1e-3);
    }
    expect(d.some((x) => x !== 0)).toBe(true);
    expect(post.deltaInputs.size).toBe(0); // one-shot
  });
});

describe('CurrentProj', () => {
  it.each(LOWERINGS)('CUBA: the current is comm(x) * scale (%s)', async (lowering) => {
    const rng = mulberry32(32);
    const nPre = 25, nPost = 20, steps = 80, w = 2;
    const post = mkPost(nPost);
    const out = new brainpy.CUBA({ scale: u.mV(10) });
    const proj = new brainpy.CurrentProj({ comm: new brainpy.EventFixedProb(nPre, nPost, { prob: 0.3, weight: u.nS(w), seed: 9 }), out, post, name: 'cur' });
    brainstate.nn.initAllStates(post);
    expect(post.currentInputs.size).toBe(1);
    const spikes = spikesOf(rng, steps, nPre, 0.2);
    const [I, V] = await run(() => brainstate.transform.forLoop((s: Tensor) => {
      proj.update(s);
      post.call(u.pA(0));
      return [out.current(post.V.value), post.V.value] as const;
    }, Tensor.fromArray(spikes, [steps, nPre]), { lowering }));
    const g = matmul(spikes, denseOf(proj.comm as brainpy.EventFixedProb, w), steps, nPre, nPost); // nS
    const cur = g.map((x) => x * 10); // nS * mV = pA
    expectClose(I.toDecimal(u.pA).data, cur, 1e-6, 1e-6);
    expectClose(V.toDecimal(u.mV).data, lifRef(steps, nPost, (s, i) => [cur[s * nPost + i]!, 0]), 1e-5);
  });

  it.each(LOWERINGS)('COBA: the current is comm(x) * (E - V), with its slope in the integration (%s)', async (lowering) => {
    const rng = mulberry32(33);
    const nPre = 30, nPost = 24, steps = 100, w = 3, E = 0;
    const post = mkPost(nPost);
    const proj = new brainpy.CurrentProj({
      comm: new brainpy.EventFixedProb(nPre, nPost, { prob: 0.25, weight: u.nS(w), seed: 2 }), out: new brainpy.COBA({ E: u.mV(E) }), post, name: 'cobaCur',
    });
    brainstate.nn.initAllStates(post);
    const spikes = spikesOf(rng, steps, nPre, 0.3);
    const V = await run(() => brainstate.transform.forLoop((s: Tensor) => {
      proj.update(s);
      post.call(u.pA(100));
      return post.V.value;
    }, Tensor.fromArray(spikes, [steps, nPre]), { lowering }));
    const g = matmul(spikes, denseOf(proj.comm as brainpy.EventFixedProb, w), steps, nPre, nPost);
    const ref = lifRef(steps, nPost, (s, i, v) => [100 + g[s * nPost + i]! * (E - v), -g[s * nPost + i]!]);
    expectClose(V.toDecimal(u.mV).data, ref, 1e-5);
  });
});

describe('AlignPreProj', () => {
  /** STP of §5.1 in float64: returns the efficacy u x s per step. */
  function stpRef(spikes: Float32Array, steps: number, n: number, U: number, tf: number, td: number): Float64Array {
    const uu = new Float64Array(n).fill(U), xx = new Float64Array(n).fill(1), e = new Float64Array(steps * n);
    const df = Math.exp(-DT / tf), dd = Math.exp(-DT / td);
    for (let s = 0; s < steps; s++) for (let i = 0; i < n; i++) {
      const sp = spikes[s * n + i]!, u0 = uu[i]!, x0 = xx[i]!;
      let un = u0 * df, xn = 1 - (1 - x0) * dd;
      un += sp * U * (1 - u0);
      xn -= sp * un * x0;
      uu[i] = un;
      xx[i] = xn;
      e[s * n + i] = un * xn * sp;
    }
    return e;
  }

  it.each(LOWERINGS)('spikes -> STP -> pre Expon -> dense comm -> CUBA equals the dense reference (%s)', async (lowering) => {
    const rng = mulberry32(34);
    const nPre = 32, nPost = 20, steps = 150, tau = 5;
    const Wd = randomW(rng, nPre, nPost, 0.3, 0.5, 2); // nS
    const post = mkPost(nPost);
    const out = new brainpy.CUBA({ scale: u.mV(20) });
    const proj = new brainpy.AlignPreProj({
      stp: new brainpy.STP(nPre, { U: 0.2, tau_f: u.ms(50), tau_d: u.ms(20) }),
      syn: brainpy.Expon.desc(nPre, { tau: u.ms(tau), g_initializer: 0 }),
      comm: new DenseComm(nPre, nPost, u.nS(Tensor.fromArray(Wd, [nPre, nPost]))),
      out, post, name: 'pre',
    });
    class Net extends brainstate.nn.Module { post = post; proj = proj; }
    brainstate.nn.initAllStates(new Net());
    const spikes = spikesOf(rng, steps, nPre, 0.1);
    const [I, V] = await run(() => brainstate.transform.forLoop((s: Tensor) => {
      proj.update(s);
      post.call(u.pA(0));
      return [out.current(post.V.value), post.V.value] as const;
    }, Tensor.fromArray(spikes, [steps, nPre], 'f32'), { lowering }));
    const e = stpRef(spikes, steps, nPre, 0.2, 50, 20);
    // pre Expon: g <- g e^{-dt/tau} + e (visible the same step)
    const g = new Float64Array(steps * nPre);
    for (let s = 0; s < steps; s++) for (let i = 0; i < nPre; i++) g[s * nPre + i] = (s ? g[(s - 1) * nPre + i]! * Math.exp(-DT / tau) : 0) + e[s * nPre + i]!;
    const cur = matmul(g, Wd, steps, nPre, nPost).map((y) => y * 20); // nS * mV = pA
    expectClose(I.toDecimal(u.pA).data, cur, 1e-5, 1e-3);
    expectClose(V.toDecimal(u.mV).data, lifRef(steps, nPost, (s, i) => [cur[s * nPost + i]!, 0]), 1e-5);
    expect(cur.some((x) => x > 0)).toBe(true);
  });

  it.each(LOWERINGS)('spikes -> pre Alpha (bool spikes) -> dense comm -> COBA equals the dense reference (%s)', async (lowering) => {
    const rng = mulberry32(35);
    const nPre = 24, nPost = 16, steps = 120, tau = 4, E = 0;
    const Wd = randomW(rng, nPre, nPost, 0.4, 1, 3); // nS
    const post = mkPost(nPost);
    const proj = new brainpy.AlignPreProj({
      syn: new brainpy.Alpha(nPre, { tau: u.ms(tau), g_initializer: 0 }),
      comm: new DenseComm(nPre, nPost, u.nS(Tensor.fromArray(Wd, [nPre, nPost]))),
      out: new brainpy.COBA({ E: u.mV(E) }), post,
    });
    class Net extends brainstate.nn.Module { post = post; proj = proj; }
    brainstate.nn.initAllStates(new Net());
    const spikes = spikesOf(rng, steps, nPre, 0.15);
    const V = await run(() => brainstate.transform.forLoop((s: Tensor) => {
      proj.update(s);
      post.call(u.pA(50));
      return post.V.value;
    }, Tensor.fromArray(spikes, [steps, nPre], 'bool'), { lowering }));
    // Alpha: h <- h e^{-dt/tau}; g <- g + (1 - e^{-dt/tau}) (h_old - g); h += s
    const k = 1 - Math.exp(-DT / tau);
    const h = new Float64Array(nPre), gs = new Float64Array(nPre), g = new Float64Array(steps * nPre);
    for (let s = 0; s < steps; s++) for (let i = 0; i < nPre; i++) {
      const h0 = h[i]!;
      gs[i] = gs[i]! + k * (h0 - gs[i]!);
      h[i] = h0 * (1 - k) + spikes[s * nPre + i]!;
      g[s * nPre + i] = gs[i]!;
    }
    const y = matmul(g, Wd, steps, nPre, nPost); // nS
    const ref = lifRef(steps, nPost, (s, i, v) => [50 + y[s * nPost + i]! * (E - v), -y[s * nPost + i]!]);
    expectClose(V.toDecimal(u.mV).data, ref, 1e-5);
  });
  it('AMPA / GABAa on the pre side take the spikes (t from the environment); .desc builds the right class', async () => {
    const rng = mulberry32(37);
    const nPre = 12, nPost = 8, steps = 60;
    const d = brainpy.GABAa.desc(nPre, { g_initializer: 0 });
    const built = d.create();
    expect(built).toBeInstanceOf(brainpy.GABAa);
    expect(built.T.toDecimal(u.mM).data[0]).toBe(1); // GABAa's default, not AMPA's 0.5 mM
    expect(brainpy.AMPA.desc(nPre).create().T.toDecimal(u.mM).data[0]).toBe(0.5);
    expect(brainpy.Alpha.desc(nPre, { tau: u.ms(3) }).identity).toBe(brainpy.Alpha.desc(nPre, { tau: u.ms(3) }).identity);
    const Wd = randomW(rng, nPre, nPost, 0.5, 1, 2);
    const post = mkPost(nPost);
    const out = new brainpy.CUBA();
    const proj = new brainpy.AlignPreProj({ syn: d, comm: new DenseComm(nPre, nPost, u.nS(Tensor.fromArray(Wd, [nPre, nPost]))), out, post, name: 'gaba' });
    expect(proj.syn).toBeInstanceOf(brainpy.GABAa);
    class Net extends brainstate.nn.Module { post = post; proj = proj; }
    brainstate.nn.initAllStates(new Net());
    const spikes = spikesOf(rng, steps, nPre, 0.1);
    const [g, y] = await run(() => brainstate.transform.forLoop((t: u.Quantity, s: Tensor) => brainstate.environ.context({ t }, () => {
      proj.update(s);
      post.call(u.pA(0));
      return [(proj.syn as brainpy.GABAa).g.value, out.cond] as const;
    }), timesOf(steps), Tensor.fromArray(spikes, [steps, nPre]), { lowering: 'interpret' }));
    const gs = g.mantissa.data;
    expect(Array.from(gs).some((x) => x > 0)).toBe(true);
    expectClose(y.toDecimal(u.nS).data, matmul(gs, Wd, steps, nPre, nPost), 1e-5, 1e-6);
  });
});

describe('AlignPostProj instance mode', () => {
  it.each(LOWERINGS)('equals merging mode for one projection (%s)', async (lowering) => {
    const rng = mulberry32(36);
    const nPre = 40, nPost = 30, steps = 150;
    const comm = (seed: number) => new brainpy.EventFixedProb(nPre, nPost, { prob: 0.15, weight: u.nS(4), seed });
    const postA = mkPost(nPost), postB = mkPost(nPost);
    const merging = new brainpy.AlignPostProj({ comm: comm(5), syn: brainpy.Expon.desc(nPost, { tau: u.ms(5), g_initializer: u.nS(0) }), out: brainpy.COBA.desc({ E: u.mV(0) }), post: postA });
    const instance = new brainpy.AlignPostProj({ comm: comm(5), syn: new brainpy.Expon(nPost, { tau: u.ms(5), g_initializer: u.nS(0) }), out: new brainpy.COBA({ E: u.mV(0) }), post: postB });
    expect(merging.mode).toBe('merging');
    expect(instance.mode).toBe('instance');
    expect(postB.currentInputs.size).toBe(1);
    expect(postB.beforeUpdates.size).toBe(0);
    class NetA extends brainstate.nn.Module { post = postA; proj = merging; }
    class NetB extends brainstate.nn.Module { post = postB; proj = instance; }
    brainstate.nn.initAllStates(new NetA());
    brainstate.nn.initAllStates(new NetB());
    const spikes = spikesOf(rng, steps, nPre, 0.1);
    const xs = Tensor.fromArray(spikes, [steps, nPre]);
    const va = await run(() => brainstate.transform.forLoop((s: Tensor) => {
      merging.update(s);
      postA.call(u.pA(100));
      return postA.V.value;
    }, xs, { lowering }));
    const [vb, gb] = await run(() => brainstate.transform.forLoop((s: Tensor) => {
      instance.update(s);
      postB.call(u.pA(100));
      return [postB.V.value, instance.syn.g.value] as const;
    }, xs, { lowering }));
    expect(Array.from(vb.mantissa.data)).toEqual(Array.from(va.mantissa.data));
    // and against the dense reference: g = Expon of the delivered conductance
    const y = matmul(spikes, denseOf(instance.comm, 4), steps, nPre, nPost);
    const g = new Float64Array(steps * nPost);
    for (let s = 0; s < steps; s++) for (let i = 0; i < nPost; i++) g[s * nPost + i] = (s ? g[(s - 1) * nPost + i]! * Math.exp(-DT / 5) : 0) + y[s * nPost + i]!;
    expectClose(gb.toDecimal(u.nS).data, g, 1e-5, 1e-3);
    expectClose(vb.toDecimal(u.mV).data, lifRef(steps, nPost, (s, i, v) => [100 + g[s * nPost + i]! * (0 - v), -g[s * nPost + i]!]), 1e-5);
  });
});

describe('bad input names the projection', () => {
  const efp = (nPre: number, nPost: number, weight: u.Quantity) => new brainpy.EventFixedProb(nPre, nPost, { prob: 0.2, weight });

  it('DeltaProj', () => {
    const post = mkPost(20);
    expect(() => new brainpy.DeltaProj({ comm: efp(10, 30, u.mV(1)), post, name: 'd1' })).toThrow(/d1 \(DeltaProj\): comm .* delivers to 30 post neurons, but post .* has 20/);
    expect(() => new brainpy.DeltaProj({ comm: efp(10, 20, u.nS(1)), post, name: 'd2' })).toThrow(/d2 \(DeltaProj\): comm .* delivers nS, but a delta input jumps post .*V \(in mV\)/);
    const ok = new brainpy.DeltaProj({ comm: efp(10, 20, u.mV(1)), post, name: 'd3' });
    expect(() => ok.update(Tensor.full([11], 0))).toThrow(/d3 \(DeltaProj\): .*spikes have 11 neurons/);
    expect(() => ok.update()).toThrow(/d3 \(DeltaProj\): update needs the pre activity/);
    expect(() => new brainpy.DeltaProj({ comm: efp(10, 20, u.mV(1)), post: {} as brainpy.Dynamics, name: 'd4' })).toThrow(/d4 \(DeltaProj\): post must be/);
  });

  it('CurrentProj', () => {
    const post = mkPost(20);
    expect(() => new brainpy.CurrentProj({ comm: efp(10, 25, u.nS(1)), out: new brainpy.CUBA(), post, name: 'c1' })).toThrow(/c1 \(CurrentProj\): comm .* delivers to 25 post neurons/);
    // nS into a current-based output with a dimensionless scale: not a current
    expect(() => new brainpy.CurrentProj({ comm: efp(10, 20, u.nS(1)), out: new brainpy.CUBA({ scale: u.q(1) }), post, name: 'c2' }))
      .toThrow(/c2 \(CurrentProj\): comm .*'s output is in nS, and output CUBA computes g \* scale = nS \* 1, which is not a current/);
    // a current as the "conductance" of COBA
    expect(() => new brainpy.CurrentProj({ comm: efp(10, 20, u.pA(1)), out: new brainpy.COBA(), post, name: 'c3' })).toThrow(/c3 \(CurrentProj\): .*pA \* mV, which is not a current/);
    expect(() => new brainpy.CurrentProj({ comm: efp(10, 20, u.nS(1)), out: brainpy.COBA.desc() as never, post, name: 'c4' })).toThrow(/c4 \(CurrentProj\): out must be an output instance/);
    // a pA weight into CUBA with its default scale (1 V) is fine only as a conductance: nS * V is
    expect(() => new brainpy.CurrentProj({ comm: efp(10, 20, u.nS(1)), out: new brainpy.CUBA(), post, name: 'c5' })).not.toThrow();
  });

  it('AlignPreProj', () => {
    const post = mkPost(20);
    const W = (nPre: number, unit = u.nS) => new DenseComm(nPre, 20, unit(Tensor.full([nPre, 20], 1)));
    const syn = (n: number) => new brainpy.Expon(n, { g_initializer: 0 });
    expect(() => new brainpy.AlignPreProj({ syn: syn(10), comm: efp(10, 20, u.nS(1)), out: new brainpy.COBA(), post, name: 'a1' }))
      .toThrow(/a1 \(AlignPreProj\): comm .* is an EventFixedProb, which counts events/);
    expect(() => new brainpy.AlignPreProj({ syn: syn(12), comm: W(10), out: new brainpy.COBA(), post, name: 'a2' }))
      .toThrow(/a2 \(AlignPreProj\): synapse .* has 12 elements \(one per pre neuron\), but comm .* takes 10 pre neurons/);
    expect(() => new brainpy.AlignPreProj({ syn: syn(10), stp: new brainpy.STP(8), comm: W(10), out: new brainpy.COBA(), post, name: 'a3' }))
      .toThrow(/a3 \(AlignPreProj\): stp .* has 8 elements, but synapse .* has 10/);
    expect(() => new brainpy.AlignPreProj({ syn: syn(10), comm: W(10, u.pA), out: new brainpy.COBA(), post, name: 'a4' }))
      .toThrow(/a4 \(AlignPreProj\): comm .*'s output is in pA, and output COBA computes g \* \(E - V\) = pA \* mV, which is not a current/);
    const p = new brainpy.AlignPreProj({ syn: syn(10), comm: W(10), out: new brainpy.COBA(), post, name: 'a5' });
    brainstate.nn.initAllStates(p);
    expect(() => p.update(Tensor.full([9], 0))).toThrow(/a5 \(AlignPreProj\): pre spikes have 9 neurons on their last axis, but synapse .* has 10/);
    expect(() => p.update(u.mV(Tensor.full([10], 0)))).toThrow(/a5 \(AlignPreProj\): pre spikes must be dimensionless/);
    // a pre synapse whose g has a unit makes the comm output g * W: caught when traced
    const q = new brainpy.AlignPreProj({ syn: new brainpy.Expon(10), comm: W(10), out: new brainpy.COBA(), post, name: 'a6' });
    brainstate.nn.initAllStates(q);
    expect(() => brainstate.environ.context({ dt: u.ms(DT) }, () => q.update(Tensor.full([10], 0)))).toThrow(/a6 \(AlignPreProj\): the comm output is in .*which is not a current/);
  });
});

describe('current generators', () => {
  it('ConstantInput: the amplitude every step, broadcast to its size', () => {
    const c = new brainpy.ConstantInput(u.pA(200), { size: 3 });
    expect(Array.from(c.update().toDecimal(u.pA).data)).toEqual([200, 200, 200]);
    expect(c.unit.name).toBe('pA');
    const per = new brainpy.ConstantInput(u.pA([1, 2]));
    expect(Array.from(per.call().toDecimal(u.pA).data)).toEqual([1, 2]);
    expect(() => new brainpy.ConstantInput(u.pA([1, 2]), { size: 3, name: 'c' })).toThrow(/c \(ConstantInput\): an amplitude of shape \[2\] does not broadcast to size \[3\]/);
    expect(() => new brainpy.ConstantInput(5 as never, { name: 'c' })).toThrow(/c \(ConstantInput\): the amplitude must be a Quantity/);
  });

  it.each(LOWERINGS)('StepInput: a step function of t from the environment, registered on a neuron (%s)', async (lowering) => {
    const n = 3, steps = 60;
    const amps = [100, 250, 0]; // pA from 1, 2.5 and 4 ms on
    const onsets = [1, 2.5, 4];
    const step = new brainpy.StepInput({ amplitudes: u.pA(amps), times: u.ms(onsets), size: n, name: 'steps' });
    const rows = new brainpy.StepInput({ amplitudes: u.nA(Tensor.fromArray([0.1, 0.2, 0.3, -0.1, -0.2, -0.3], [2, n])), times: u.ms([0.5, 3]) });
    const post = mkPost(n);
    post.addCurrentInput('step', step.asCurrentInput());
    brainstate.nn.initAllStates(post);
    const times = timesOf(steps);
    const [I, J, V] = await run(() => brainstate.transform.forLoop((t: u.Quantity) => brainstate.environ.context({ t }, () => {
      post.call(u.pA(0));
      return [step.update(), rows.update(), post.V.value] as const;
    }), times, { lowering }));
    const t = times.toDecimal(u.ms).data; // the f32 times the kernel compares
    const at = (tt: number, on: number[], a: number[]) => {
      let v = 0;
      for (let k = 0; k < on.length; k++) if (tt >= Math.fround(on[k]!)) v = a[k]!;
      return v;
    };
    const expI = new Float64Array(steps * n), expJ = new Float64Array(steps * n);
    for (let s = 0; s < steps; s++) for (let i = 0; i < n; i++) {
      expI[s * n + i] = at(t[s]!, onsets, amps);
      expJ[s * n + i] = at(t[s]!, [0.5, 3], [[0.1, 0.2, 0.3][i]!, [-0.1, -0.2, -0.3][i]!]) * 1000; // nA -> pA
    }
    // hand-checked anchors: t = 0.9 ms -> 0; 1.0 -> 100 (f32 arange reaches 1 ms at step 10 or 11); 3 ms -> 250; 5 ms -> 0
    expect(expI[9 * n]).toBe(0);
    expect(expI[12 * n]).toBe(100);
    expect(expI[30 * n]).toBe(250);
    expect(expI[50 * n]).toBe(0);
    expect(Array.from(I.toDecimal(u.pA).data)).toEqual(Array.from(expI, Math.fround));
    expectClose(J.toDecimal(u.pA).data, expJ, 1e-6, 1e-6);
    expectClose(V.toDecimal(u.mV).data, lifRef(steps, n, (s, i) => [expI[s * n + i]!, 0]), 1e-5);
  });

  it('StepInput: explicit t, and bad input names the input', () => {
    const s = new brainpy.StepInput({ amplitudes: u.pA([5, 7]), times: u.ms([1, 2]), name: 'si' });
    expect(s.update(u.ms(0.5)).toDecimal(u.pA).data[0]).toBe(0);
    expect(s.update(u.ms(1.5)).toDecimal(u.pA).data[0]).toBe(5);
    expect(s.update(u.second(1)).toDecimal(u.pA).data[0]).toBe(7);
    expect(() => s.update()).toThrow(/si \(StepInput\): needs the time t/);
    expect(() => s.update(u.mV(1))).toThrow(/si \(StepInput\): t is in mV, expected a time/);
    expect(() => s.update(2 as unknown as u.Quantity)).toThrow(/si \(StepInput\): t must be a time Quantity, got number/);
    expect(() => new brainpy.StepInput({ amplitudes: u.pA([1, 2]), times: u.ms([2, 1]), name: 'b1' })).toThrow(/b1 \(StepInput\): times must be strictly increasing/);
    expect(() => new brainpy.StepInput({ amplitudes: u.pA([1, 2, 3]), times: u.ms([1, 2]), name: 'b2' })).toThrow(/b2 \(StepInput\): amplitudes of shape \[3\] must have one row per onset time \(2\)/);
    expect(() => new brainpy.StepInput({ amplitudes: u.pA([1, 2]), times: u.mV([1, 2]), name: 'b3' })).toThrow(/b3 \(StepInput\): times are in mV, expected a time/);
  });
});
