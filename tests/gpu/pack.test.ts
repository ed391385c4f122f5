/** pack_bits: spike rasters as bitfields, GPU against the CPU reference, both multi-kernel lowerings. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bind, optimize, ops, PACK_SHARED_MAX_BYTES, ShapeError, Tensor } from '@spiketrace/compiler';
import { acquireDevice, releaseDevice, type GpuContext } from '@spiketrace/runtime';
import { traceGraph } from '../helpers/graph.ts';
import { EXACT, expectAllClose, runOnCpu, runOnGpu } from '../helpers/gpu.ts';
import { mulberry32 } from '../helpers/random.ts';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await acquireDevice();
});
afterAll(() => releaseDevice());

function raster(seed: number, n: number, density: number, dtype: 'bool' | 'f32'): Float32Array | Uint8Array {
  const rng = mulberry32(seed);
  const out = dtype === 'bool' ? new Uint8Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng() < density ? 1 : 0;
  return out;
}

describe('pack_bits', () => {
  it('the CPU reference sets bit j of word w for element 32w + j, and unpackBitsRow inverts it', () => {
    const x = Tensor.fromArray([1, 0, 0, 1, ...new Array(30).fill(0), 1], [35], 'f32');
    const p = ops.packBits(x);
    expect(p.shape).toEqual([2]);
    expect(Array.from(p.data)).toEqual([0b1001, 0b100]);
    expect(ops.unpackBitsRow(p.data, 0, 35)).toEqual([0, 3, 34]);
    const full = ops.packBits(Tensor.full([2, 32], 1, 'bool'));
    expect(Array.from(full.data)).toEqual([0xffffffff, 0xffffffff]);
    expect(() => bind('pack_bits', [Tensor.scalar(1)], null)).toThrow(ShapeError);
  });

  it.each([
    // [40, 1040]: 1320 words, more than the persistent shader packs in workgroup memory (generic kernel)
    [[5], 'bool'], [[33], 'f32'], [[2, 70], 'bool'], [[4000], 'f32'], [[3, 64], 'f32'], [[40, 1040], 'bool'],
  ] as const)('shape %j %s: equal to the reference over several steps, chain and persistent', async (shape, dtype) => {
    const n = shape.reduce((a, d) => a * d, 1);
    const steps = 4;
    const xs = dtype === 'bool' ? new Uint8Array(steps * n) : new Float32Array(steps * n);
    [0.05, 0.5, 1, 0].forEach((d, t) => xs.set(raster(100 + t, n, d, dtype), t * n));
    const tr = traceGraph('pack', (k) => ({ ys: [ops.packBits(k.xs(0, dtype, [...shape]))] }));
    const g = optimize(tr.graph, { verifyEach: true });
    const cpu = runOnCpu(g, steps, { xs: [xs] });
    const shared = Math.ceil((shape[shape.length - 1] as number) / 32) * (n / (shape[shape.length - 1] as number)) * 4 <= PACK_SHARED_MAX_BYTES;
    for (const lowering of ['dispatch-chain', 'persistent-workgroup'] as const) {
      const gpu = await runOnGpu(ctx, g, steps, { xs: [xs] }, lowering);
      expectAllClose(gpu.ys[0], cpu.ys[0], EXACT, `${lowering} ${JSON.stringify(shape)}`);
      if (lowering === 'dispatch-chain') continue;
      // workgroup words (cleared as they are stored), also across rounds (fresh workgroup memory)
      expect(gpu.plan.kernels[0]!.wgsl.includes('pack_or')).toBe(shared);
      const rounds = await runOnGpu(ctx, g, steps, { xs: [xs] }, lowering, { stepsPerRound: 3 });
      expectAllClose(rounds.ys[0], cpu.ys[0], EXACT, `${lowering} in rounds of 3 steps ${JSON.stringify(shape)}`);
    }
    // the last row of the all-ones step has exactly n bits set
    const words = Math.ceil((shape[shape.length - 1] as number) / 32);
    const rows = n / (shape[shape.length - 1] as number);
    const ones = cpu.ys[0]!.subarray(2 * rows * words, 3 * rows * words);
    const bits = Array.from(ones).reduce((a, w) => a + ops.unpackBitsRow([w], 0, 32).length, 0);
    expect(bits).toBe(n);
  });
});
