/**
 * Gradients through event-driven propagation. event_count's adjoint treats 0/1 spikes as values
 * (count[b, q] = sum over edges p -> q of spikes[b, p]): the cotangent of a pre neuron is the sum
 * of its targets' cotangents, an `event_gather`. Checked against the dense formulation
 * (spikes @ C with C[p, q] the edge multiplicity) through vjpGraph, on the GPU against the
 * reference, and end to end: a spiking loop with event-driven synapses has the same BPTT
 * gradients as the same loop with a dense product (both exact for binary spikes).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { interpretStep, ops, optimize, Tensor, vjpGraph, type HostArray } from '@spiketrace/compiler';
import { acquireDevice, releaseDevice } from '@spiketrace/runtime';
import { HiddenState, ParamState, transform } from '@spiketrace/state';
import { traceGraph } from '../helpers/graph.ts';
import { expectAllClose, runOnCpu, runOnGpu } from '../helpers/gpu.ts';
import { mulberry32 } from '../helpers/random.ts';

afterAll(() => releaseDevice());

const nPre = 37, nPost = 29, k = 6, B = 3;
const rng = mulberry32(2024);
const idx = Int32Array.from({ length: nPre * k }, () => Math.floor(rng() * nPost)); // duplicates happen
const indices = Tensor.fromArray(idx, [nPre, k], 'i32');
const dense = (() => {
  const c = new Float32Array(nPre * nPost);
  for (let p = 0; p < nPre; p++) for (let j = 0; j < k; j++) c[p * nPost + (idx[p * k + j] as number)]! += 1;
  return Tensor.fromArray(c, [nPre, nPost]);
})();
// integer per-synapse weights of both signs, and the dense matrix they make (duplicates add up)
const wInt = Int32Array.from({ length: nPre * k }, () => Math.floor(rng() * 9) - 4);
const weights = Tensor.fromArray(wInt, [nPre, k], 'i32');
const denseWeighted = (() => {
  const c = new Float32Array(nPre * nPost);
  for (let p = 0; p < nPre; p++) for (let j = 0; j < k; j++) c[p * nPost + (idx[p * k + j] as number)]! += wInt[p * k + j]!;
  return Tensor.fromArray(c, [nPre, nPost]);
})();

describe('event_count adjoint', () => {
  it.each([
    ['counts (C: edge multiplicities)', false],
    ['per-synapse weights (W: their sums per edge)', true],
  ] as const)('%s: the dense transpose product ct @ C^T, through vjpGraph on the reference', (_what, weighted) => {
    const tr = traceGraph('counts', (kit) => ({
      ys: [ops.mul(ops.cast(ops.eventCount(kit.xs(0, 'f32', [B, nPre]), indices, nPost, weighted ? { weights } : {}), 'f32'), 1.5)],
    }));
    const vjp = vjpGraph(tr.graph, [{ kind: 'xs', index: 0 }], ['input']);
    const spikes = Float32Array.from({ length: B * nPre }, () => (rng() < 0.3 ? 1 : 0));
    const ct = Float32Array.from({ length: B * nPost }, () => rng() * 2 - 1);
    const r = interpretStep(vjp.graph, (src) => {
      if (src.kind === 'captured') return [...tr.captured, ...vjp.captured][src.index] as HostArray;
      return src.kind === 'xs' ? { dtype: 'f32', shape: [B, nPre], data: spikes } : { dtype: 'f32', shape: [B, nPost], data: ct };
    }, 0);
    const want = ops.mul(ops.matmulWt(Tensor.fromArray(ct, [B, nPost]), weighted ? denseWeighted : dense), 1.5);
    const got = (r.ys[0] as HostArray).data;
    expect(want.data.some((x) => Math.abs(x) > 1)).toBe(true);
    want.data.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 4));
    expect(vjp.graph.nodes.some((n) => n.op === 'event_gather')).toBe(true);
  });

  it('rows: spikes outside the delivering rows get no cotangent; inside, the dense transpose product', () => {
    const rows: [number, number] = [10, 30];
    const tr = traceGraph('rows', (kit) => ({ ys: [ops.cast(ops.eventCount(kit.xs(0, 'f32', [B, nPre]), indices, nPost, { rows }), 'f32')] }));
    const vjp = vjpGraph(tr.graph, [{ kind: 'xs', index: 0 }], ['input']);
    const spikes = Float32Array.from({ length: B * nPre }, () => (rng() < 0.5 ? 1 : 0));
    const ct = Float32Array.from({ length: B * nPost }, () => rng() * 2 - 1);
    const r = interpretStep(vjp.graph, (src) => {
      if (src.kind === 'captured') return [...tr.captured, ...vjp.captured][src.index] as HostArray;
      return src.kind === 'xs' ? { dtype: 'f32', shape: [B, nPre], data: spikes } : { dtype: 'f32', shape: [B, nPost], data: ct };
    }, 0);
    const want = ops.matmulWt(Tensor.fromArray(ct, [B, nPost]), dense).data;
    const got = (r.ys[0] as HostArray).data;
    for (let b = 0; b < B; b++) for (let p = 0; p < nPre; p++) {
      const inside = p >= rows[0] && p < rows[1];
      expect(got[b * nPre + p]).toBeCloseTo(inside ? want[b * nPre + p]! : 0, 4);
    }
  });

  it.each([{ rows: undefined }, { rows: [5, 25] as [number, number] }])('f32 (trainable) weights: d/dspikes is the weighted gather, d/dweights the outer product on the synapses, both times 2^e (rows $rows)', ({ rows }) => {
    const inside = (p: number) => !rows || (p >= rows[0] && p < rows[1]);
    const Q = { exponent: 10, limit: 2 ** 20 };
    const wf = Float32Array.from({ length: nPre * k }, () => rng() * 4 - 2);
    const spikes = Float32Array.from({ length: B * nPre }, () => (rng() < 0.4 ? 1 : 0));
    const ct = Float32Array.from({ length: B * nPost }, () => rng() * 2 - 1);
    const tr = traceGraph('f32w', (kit) => ({
      ys: [ops.cast(ops.eventCount(kit.xs(0, 'f32', [B, nPre]), indices, nPost, { weights: kit.xs(1, 'f32', [nPre, k]), quantize: Q, ...(rows ? { rows } : {}) }), 'f32')],
    }));
    const vjp = vjpGraph(tr.graph, [{ kind: 'xs', index: 0 }, { kind: 'xs', index: 1 }], ['input']);
    const r = interpretStep(vjp.graph, (src) => {
      if (src.kind === 'captured') return [...tr.captured, ...vjp.captured][src.index] as HostArray;
      if (src.kind === 'xs') return src.index === 0 ? { dtype: 'f32', shape: [B, nPre], data: spikes } : { dtype: 'f32', shape: [nPre, k], data: wf };
      return { dtype: 'f32', shape: [B, nPost], data: ct };
    }, 0);
    const [gs, gw] = [(r.ys[0] as HostArray).data, (r.ys[1] as HostArray).data];
    // independent, float64
    for (let b = 0; b < B; b++) for (let p = 0; p < nPre; p++) {
      let want = 0;
      for (let j = 0; j < k; j++) want += wf[p * k + j]! * ct[b * nPost + idx[p * k + j]!]!;
      expect(gs[b * nPre + p]! / 2 ** 10).toBeCloseTo(inside(p) ? want : 0, 4);
    }
    let nonzero = 0;
    for (let p = 0; p < nPre; p++) for (let j = 0; j < k; j++) {
      let want = 0;
      for (let b = 0; b < B; b++) want += spikes[b * nPre + p]! * ct[b * nPost + idx[p * k + j]!]!;
      if (!inside(p)) want = 0; // rows that never deliver give their weights no gradient
      if (want !== 0) nonzero++;
      expect(gw[p * k + j]! / 2 ** 10).toBeCloseTo(want, 4);
    }
    expect(nonzero).toBeGreaterThan((rows ? rows[1] - rows[0] : nPre) * k * 0.5);
    expect(vjp.graph.nodes.some((n) => n.op === 'event_outer')).toBe(true);
  });

  it.each(['dispatch-chain', 'persistent-workgroup'] as const)('event_outer on the GPU equals the reference, f32 and bool spikes (%s)', async (lowering) => {
    const ctx = await acquireDevice();
    const steps = 2;
    const xs = Float32Array.from({ length: steps * B * nPost }, () => rng() * 2 - 1);
    const sp = Float32Array.from({ length: B * nPre }, () => (rng() < 0.5 ? (rng() < 0.5 ? 1 : 0.5) : 0));
    const tr = traceGraph('outer', (kit) => {
      const x = kit.xs(0, 'f32', [B, nPost]);
      const s = Tensor.fromArray(sp, [B, nPre]);
      return { ys: [ops.eventOuter(s, x, indices), ops.eventOuter(ops.compare('ne', s, 0), x, indices)] };
    });
    const g = optimize(tr.graph, { verifyEach: true });
    const cpu = runOnCpu(g, steps, { xs: [xs], captured: tr.captured });
    const gpu = await runOnGpu(ctx, g, steps, { xs: [xs], captured: tr.captured }, lowering);
    for (let t = 0; t < steps; t++) {
      const want = new Float64Array(nPre * k), wantB = new Float64Array(nPre * k);
      for (let p = 0; p < nPre; p++) for (let j = 0; j < k; j++) for (let b = 0; b < B; b++) {
        const x = xs[(t * B + b) * nPost + idx[p * k + j]!]!;
        want[p * k + j]! += sp[b * nPre + p]! * x;
        wantB[p * k + j]! += (sp[b * nPre + p]! !== 0 ? 1 : 0) * x;
      }
      const at = (a: ArrayLike<number> | undefined) => (a as Float32Array).subarray(t * nPre * k, (t + 1) * nPre * k);
      expectAllClose(at(cpu.ys[0]), want, { rtol: 1e-5, atol: 1e-6 }, `reference step ${t}`);
      expectAllClose(at(cpu.ys[1]), wantB, { rtol: 1e-5, atol: 1e-6 }, `reference (bool) step ${t}`);
    }
    for (const y of [0, 1]) expectAllClose(gpu.ys[y], cpu.ys[y], { rtol: 1e-5, atol: 1e-6 }, `event_outer ${y} ${lowering}`);
  });

  it('event_gather, unweighted and with i32 and f32 weights, on the GPU equals the reference (chain and persistent)', async () => {
    const ctx = await acquireDevice();
    const steps = 2;
    const xs = Float32Array.from({ length: steps * B * nPost }, () => rng() * 2 - 1);
    const wf = Tensor.fromArray(Float32Array.from({ length: nPre * k }, () => rng() * 4 - 2), [nPre, k]);
    const tr = traceGraph('gather-w', (kit) => {
      const x = kit.xs(0, 'f32', [B, nPost]);
      return { ys: [ops.eventGather(x, indices, weights), ops.eventGather(x, indices, wf), ops.eventGather(x, indices)] };
    });
    const g = optimize(tr.graph, { verifyEach: true });
    const cpu = runOnCpu(g, steps, { xs: [xs], captured: tr.captured });
    // the independent sum, in float64
    for (const [y, w] of [[0, wInt], [1, wf.data], [2, new Float32Array(nPre * k).fill(1)]] as const) {
      const want = new Float64Array(steps * B * nPre);
      for (let r = 0; r < steps * B; r++) for (let p = 0; p < nPre; p++) for (let j = 0; j < k; j++) {
        want[r * nPre + p]! += w[p * k + j]! * xs[r * nPost + idx[p * k + j]!]!;
      }
      expectAllClose(cpu.ys[y], want, { rtol: 1e-5, atol: 1e-5 }, `reference, weights ${y}`);
    }
    for (const lowering of ['dispatch-chain', 'persistent-workgroup'] as const) {
      const gpu = await runOnGpu(ctx, g, steps, { xs: [xs], captured: tr.captured }, lowering);
      // a driver may contract w * x + acc into one fma: agreement to a few f32 roundings
      for (const y of [0, 1, 2]) expectAllClose(gpu.ys[y], cpu.ys[y], { rtol: 1e-5, atol: 1e-5 }, `event_gather ${y} ${lowering}`);
    }
  });
});

describe('BPTT through event-driven synapses', () => {
  const T = 9;
  const drive = Tensor.fromArray(Float32Array.from({ length: T * B * nPre }, () => rng() * 1.5), [T, B, nPre]);
  const target = Float32Array.from({ length: B * nPost }, () => rng());

  async function gradOf(event: boolean, lowering: 'interpret' | 'auto' | 'dispatch-chain' | 'persistent-workgroup', weighted = false) {
    const w = new ParamState(Tensor.fromArray(Float32Array.from({ length: nPre }, (_v, i) => 0.5 + 0.02 * i)), { name: 'w' });
    const gsyn = new ParamState(Tensor.scalar(0.7), { name: 'gsyn' });
    const v = new HiddenState(Tensor.full([B, nPre], 0), { name: 'v' });
    const g = new HiddenState(Tensor.full([B, nPost], 0), { name: 'g' });
    const step = (x: Tensor) => {
      const nv = ops.add(ops.mul(v.value as Tensor, 0.8), ops.mul(x, w.value as Tensor));
      const spk = ops.heaviside(ops.sub(nv, 1), 'Sigmoid', [4]);
      v.value = ops.sub(nv, spk);
      const input = event
        ? ops.cast(ops.eventCount(spk, indices, nPost, weighted ? { weights } : {}), 'f32')
        : ops.matmul(spk, weighted ? denseWeighted : dense);
      const ng = ops.add(ops.mul(g.value as Tensor, 0.9), ops.mul(input, gsyn.value as Tensor));
      g.value = ng;
      return ng;
    };
    return transform.grad(async () => {
      v.value = Tensor.full([B, nPre], 0);
      g.value = Tensor.full([B, nPost], 0);
      const gs = await transform.forLoop(step, drive, { lowering }) as Tensor;
      const d = ops.sub(ops.mean(gs, 0), Tensor.fromArray(target, [B, nPost]));
      return ops.reduce('sum', ops.mul(d, d));
    }, { gradStates: { w, gsyn }, returnValue: true })() as Promise<[{ w: Tensor; gsyn: Tensor }, Tensor]>;
  }

  it.each(['interpret', 'dispatch-chain', 'persistent-workgroup', 'auto'] as const)('%s: event-driven gradients equal the dense product\'s', async (lowering) => {
    const [ge, le] = await gradOf(true, lowering);
    const [gd, ld] = await gradOf(false, lowering);
    expect(le.item()).toBeCloseTo(ld.item(), 4);
    const scale = Math.max(...Array.from(gd.w.data, Math.abs));
    expect(scale).toBeGreaterThan(1e-3); // spikes happen and gradients reach w through them
    gd.w.data.forEach((x, i) => expect(Math.abs((ge.w.data[i] as number) - x), `w[${i}]`).toBeLessThanOrEqual(1e-4 * scale + 1e-5));
    expect(ge.gsyn.item()).toBeCloseTo(gd.gsyn.item(), 3);
  });

  it.each(['interpret', 'persistent-workgroup'] as const)('%s: with per-synapse weights too', async (lowering) => {
    const [ge, le] = await gradOf(true, lowering, true);
    const [gd, ld] = await gradOf(false, lowering, true);
    expect(le.item()).toBeCloseTo(ld.item(), 3);
    const scale = Math.max(...Array.from(gd.w.data, Math.abs));
    expect(scale).toBeGreaterThan(1e-3);
    gd.w.data.forEach((x, i) => expect(Math.abs((ge.w.data[i] as number) - x), `w[${i}]`).toBeLessThanOrEqual(1e-4 * scale + 1e-5));
    expect(ge.gsyn.item()).toBeCloseTo(gd.gsyn.item(), 2);
  });

  it('eagerly too (outside loops); second derivatives through the gather are refused', async () => {
    const w = new ParamState(Tensor.fromArray(Float32Array.from({ length: nPre }, (_v, i) => (i % 3 === 0 ? 1 : 0))), { name: 'w' });
    const ge = await transform.grad(() => ops.reduce('sum', ops.mul(ops.cast(ops.eventCount(w.value as Tensor, indices, nPost), 'f32'), 2)), { gradStates: w })() as Tensor;
    // d/dw_p of 2 * (number of edges out of p) summed = 2 k
    expect([...ge.data]).toEqual(new Array(nPre).fill(2 * k));
    const x = () => ops.mul(Tensor.full([1, nPost], 1), ops.reduce('sum', w.value as Tensor)); // depends on w
    await expect(transform.grad(() => ops.reduce('sum', ops.eventGather(x(), indices)), { gradStates: w })())
      .rejects.toThrow(/event_gather, which is not differentiable/);
  });
});
