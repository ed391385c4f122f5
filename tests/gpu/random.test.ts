/** rand_uniform: the counter-based generator gives the same bits on the GPU as on the CPU. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lower, optimize, ops, Tensor } from '@spiketrace/compiler';
import { acquireDevice, releaseDevice, type GpuContext } from '@spiketrace/runtime';
import { traceGraph } from '../helpers/graph.ts';
import { EXACT, expectAllClose, runOnCpu, runOnGpu } from '../helpers/gpu.ts';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await acquireDevice();
});
afterAll(() => releaseDevice());

describe('rand_uniform', () => {
  it('draws afresh every step and every call, identically under every lowering, and looks uniform', async () => {
    const n = 1000, steps = 20;
    // two draws per step, one broadcast against a [2, n] state; a state accumulates to test carries
    const tr = traceGraph('rng', (k) => {
      const acc = k.state('acc', Tensor.full([2, n], 0));
      const a = ops.randUniform([n], 7);
      const b = ops.randUniform([2, 1], 7);
      const next = ops.add(acc.read(), ops.mul(a, b));
      acc.write(next);
      return { ys: [a, ops.reshape(b, [2]), ops.cast(ops.compare('lt', a, 0.1), 'f32')] };
    });
    const g = optimize(tr.graph, { verifyEach: true });
    expect(g.nodes.filter((x) => x.op === 'rand_uniform').length).toBe(2);
    const cpu = runOnCpu(g, steps, { states: tr.states });
    for (const lowering of ['dispatch-chain', 'persistent-workgroup'] as const) {
      const gpu = await runOnGpu(ctx, g, steps, { states: tr.states }, lowering);
      cpu.ys.forEach((y, i) => expectAllClose(gpu.ys[i], y, EXACT, `${lowering} y#${i}`));
      for (const [slot, v] of cpu.states) expectAllClose(gpu.states.get(slot), v, { rtol: 1e-6, atol: 1e-6 }, `${lowering} state`);
    }
    const a = cpu.ys[0]!;
    expect(Array.from(a.subarray(0, n))).not.toEqual(Array.from(a.subarray(n, 2 * n))); // steps differ
    let sum = 0, sq = 0, lo = 1, hi = 0;
    for (const x of a) { sum += x; sq += x * x; lo = Math.min(lo, x); hi = Math.max(hi, x); }
    const mean = sum / a.length, variance = sq / a.length - mean * mean;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01); // 20 000 draws: sd of the mean ~0.002
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.003);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    const rate = Array.from(cpu.ys[2]!).reduce((s, x) => s + x, 0) / a.length;
    expect(Math.abs(rate - 0.1)).toBeLessThan(0.01);
  });

  it('an element-local step with draws runs fused, with the same bits', async () => {
    const n = 300, steps = 50;
    const tr = traceGraph('rng-fused', (k) => {
      const v = k.state('v', Tensor.full([n], 0));
      const next = ops.add(ops.mul(v.read(), 0.9), ops.randUniform([n], 3));
      v.write(next);
      return { ys: [next] };
    });
    const g = optimize(tr.graph, { verifyEach: true });
    expect(lower(g, steps).lowering).toBe('temporal-fusion');
    const cpu = runOnCpu(g, steps, { states: tr.states });
    const gpu = await runOnGpu(ctx, g, steps, { states: tr.states }, 'temporal-fusion');
    expectAllClose(gpu.ys[0], cpu.ys[0], { rtol: 1e-6, atol: 1e-6 }, 'fused trajectory');
  });

  it('all-zero counters (seed 0, first stream, step 0, element 0) do not draw exactly 0, on the CPU or the GPU', async () => {
    const tr = traceGraph('rng-zero', () => ({ ys: [ops.randUniform([64], 0), ops.randUniform([64], 0)] }));
    const g = optimize(tr.graph, { verifyEach: true });
    const cpu = runOnCpu(g, 2, {});
    const gpu = await runOnGpu(ctx, g, 2, {}, 'dispatch-chain');
    cpu.ys.forEach((y, i) => expectAllClose(gpu.ys[i], y, EXACT, `y#${i}`));
    // 256 draws from small counters: a hash that maps zero to zero gives a 0 (and correlated neighbours) here
    const all = cpu.ys.flatMap((y) => Array.from(y));
    expect(all.filter((x) => x === 0)).toEqual([]);
    expect(Math.abs(all.reduce((a, x) => a + x, 0) / all.length - 0.5)).toBeLessThan(0.07);
  });

  it('eager draws differ call to call; never folded into a constant', () => {
    const a = ops.randUniform([4], 1), b = ops.randUniform([4], 1);
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
  });
});
