/** matmul on the GPU against the CPU reference; the dense layers built on it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bind, optimize, ops, ShapeError, Tensor } from '@spiketrace/compiler';
import { acquireDevice, releaseDevice, type GpuContext } from '@spiketrace/runtime';
import { u, brainstate, brainpy } from 'spiketrace';
import { traceGraph } from '../helpers/graph.ts';
import { expectAllClose, runOnCpu, runOnGpu } from '../helpers/gpu.ts';
import { mulberry32, uniform } from '../helpers/random.ts';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await acquireDevice();
});
afterAll(() => releaseDevice());

const TOL = { rtol: 1e-5, atol: 1e-5 }; // same summation order; products may round differently

describe('matmul', () => {
  it.each([
    [[7], 5], [[3, 64], 33], [[2, 2, 130], 9],
  ] as const)('x %j @ w [n, %i]: GPU equals the reference over steps, chain and persistent', async (xShape, m) => {
    const n = xShape[xShape.length - 1]!;
    const rng = mulberry32(n * 7 + m);
    const W = Tensor.fromArray(uniform(rng, n * m, -1, 1, 1e-3), [n, m]);
    const steps = 3;
    const size = xShape.reduce((a, d) => a * d, 1);
    const xs = uniform(rng, steps * size, -2, 2, 1e-3);
    const tr = traceGraph('mm', (k) => ({ ys: [ops.matmul(k.xs(0, 'f32', [...xShape]), W)] }));
    const g = optimize(tr.graph, { verifyEach: true });
    const cpu = runOnCpu(g, steps, { xs: [xs], captured: tr.captured });
    for (const lowering of ['dispatch-chain', 'persistent-workgroup'] as const) {
      const gpu = await runOnGpu(ctx, g, steps, { xs: [xs], captured: tr.captured }, lowering);
      expectAllClose(gpu.ys[0], cpu.ys[0], TOL, `${lowering} ${JSON.stringify(xShape)} @ [${n}, ${m}]`);
    }
    expect(() => bind('matmul', [Tensor.full([3], 1), Tensor.full([4, 2], 1)], null)).toThrow(ShapeError);
  });

  it.each([
    ['matmul_wt', [3, 64], [33, 64]], ['matmul_wt', [2, 2, 9], [130, 9]],
    ['matmul_xt', [3, 64], [3, 33]], ['matmul_xt', [2, 65, 4], [2, 65, 7]], ['matmul_xt', [5], [3]],
  ] as const)('%s of %j and %j: GPU equals the reference, chain and persistent', async (op, sa, sb) => {
    const rng = mulberry32(sa.length * 13 + sb[0]!);
    const size = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
    const B = Tensor.fromArray(uniform(rng, size(sb), -1, 1, 1e-3), [...sb]);
    const steps = 2;
    const xs = uniform(rng, steps * size(sa), -2, 2, 1e-3);
    const tr = traceGraph(op, (k) => ({ ys: [op === 'matmul_wt' ? ops.matmulWt(k.xs(0, 'f32', [...sa]), B) : ops.matmulXt(k.xs(0, 'f32', [...sa]), B)] }));
    const g = optimize(tr.graph, { verifyEach: true });
    const cpu = runOnCpu(g, steps, { xs: [xs], captured: tr.captured });
    for (const lowering of ['dispatch-chain', 'persistent-workgroup'] as const) {
      const gpu = await runOnGpu(ctx, g, steps, { xs: [xs], captured: tr.captured }, lowering);
      expectAllClose(gpu.ys[0], cpu.ys[0], TOL, `${lowering} ${op} ${JSON.stringify(sa)}, ${JSON.stringify(sb)}`);
    }
  });

  it('matmul_wt and matmul_xt refuse mismatched shapes', () => {
    expect(() => ops.matmulWt(Tensor.full([3, 4], 1), Tensor.full([2, 5], 1))).toThrow(/matmul_wt: x has 4 columns, w has 5 columns/);
    expect(() => ops.matmulXt(Tensor.full([3, 4], 1), Tensor.full([2, 5], 1))).toThrow(/matmul_xt: x \[3, 4\] and y \[2, 5\] must have the same leading axes/);
  });

  it('Linear, AllToAll and FixedProb compute x @ W (+ b) in units, with clear errors', async () => {
    const lin = new brainpy.Linear(3, 2, { weight: u.nS([1, 2, 3, 4, 5, 6]).reshape([3, 2]), bias: u.nS(0.5), name: 'readout' });
    const y = lin.call(u.q([1, 0, 2]));
    expect(Array.from(y.toDecimal(u.nS).data)).toEqual([11.5, 14.5]);
    expect([...lin.states(brainstate.ParamState).keys()]).toEqual(['readout.weight', 'readout.bias']);
    expect(brainstate.nn.Linear).toBe(brainpy.Linear); // brainstate.nn.Linear, also under brainpy
    const a2a = new brainpy.AllToAll(3, 3, { weight: u.mV(2), includeSelf: false });
    expect(Array.from(a2a.update(u.q([1, 1, 1])).toDecimal(u.mV).data)).toEqual([4, 4, 4]);
    const fp = new brainpy.FixedProb(50, 40, { prob: 0.1, weight: 0.5, seed: 3 });
    expect(Array.from(fp.weight.mantissa.data).reduce((s, x) => s + x, 0)).toBeCloseTo(50 * 4 * 0.5, 4);
    expect(() => lin.call(u.q([1, 2]))).toThrow(/readout: the input's last axis has 2 elements, the layer takes 3/);
    expect(() => new brainpy.FixedProb(5, 5, { prob: 2, weight: 1, name: 'fp' })).toThrow(/fp \(FixedProb\): the connection probability must be in \[0, 1\]/);
    // traced on the GPU: a readout of a rate vector over steps
    const out = await brainstate.environ.context({ dt: u.ms(0.1) }, () =>
      brainstate.transform.forLoop((x: u.Quantity) => lin.call(x), u.q(Array.from({ length: 12 }, (_, i) => i % 4)).reshape([4, 3])));
    expect(out.shape).toEqual([4, 2]);
    expect(Array.from(out.toDecimal(u.nS).data.slice(0, 2))).toEqual([13.5, 16.5]); // x = [0, 1, 2]
  });
});
