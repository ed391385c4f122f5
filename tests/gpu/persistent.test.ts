/**
 * The persistent-workgroup shader's memory placement against the CPU reference: States, constants
 * and temps in register arrays (bool and f32, batched, sizes that are not multiples of the
 * workgroup), event counts in workgroup memory or in a storage buffer, rounds with odd and even
 * step counts, workgroup sizes 256 and 1024; the dispatch chain under tight binding limits (the
 * retry without recomputation); one workgroup-memory budget for the whole shader.
 * Integer and 0/1 results are compared exactly; float ones within 1e-5 relative + 1e-4 absolute
 * (a reduction sums in the same order on both sides, so differences stay at rounding level).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuseElementwise, optimize, ops, phaseSplit, Tensor, type Graph, type LowerOptions } from '@spiketrace/compiler';
import { acquireDevice, releaseDevice, type GpuContext, type Plan } from '@spiketrace/runtime';
import { traceGraph } from '../helpers/graph.ts';
import { EXACT, expectAllClose, runOnCpu, runOnGpu, type StepInputs, type Tol } from '../helpers/gpu.ts';
import { mulberry32, randInt } from '../helpers/random.ts';

let ctx: GpuContext;
beforeAll(async () => { ctx = await acquireDevice(); });
afterAll(() => releaseDevice());

type Variant = { name: string; lowering: 'persistent-workgroup' | 'dispatch-chain'; opts?: Omit<LowerOptions, 'lowering'> };
const PERSISTENT: Variant[] = [
  { name: 'persistent', lowering: 'persistent-workgroup' },
  { name: 'persistent, rounds of 3', lowering: 'persistent-workgroup', opts: { stepsPerRound: 3 } },
  { name: 'persistent, rounds of 4', lowering: 'persistent-workgroup', opts: { stepsPerRound: 4 } },
  { name: 'persistent 1024, rounds of 5', lowering: 'persistent-workgroup', opts: { stepsPerRound: 5, maxWorkgroupSize: 1024 } },
];

/** Run every variant and compare all results with the CPU reference; returns the plans. */
async function compareAll(g0: Graph, steps: number, inputs: StepInputs, tol: Tol, variants: Variant[]): Promise<Record<string, Plan>> {
  const g = optimize(g0, { verifyEach: true });
  const cpu = runOnCpu(g, steps, inputs);
  const plans: Record<string, Plan> = {};
  for (const v of variants) {
    const gpu = await runOnGpu(ctx, g, steps, inputs, v.lowering, v.opts ?? {});
    plans[v.name] = gpu.plan;
    cpu.ys.forEach((y, i) => expectAllClose(gpu.ys[i], y, tol, `${v.name}: y#${i}`));
    for (const [s, val] of cpu.states) expectAllClose(gpu.states.get(s), val, tol, `${v.name}: state#${s}`);
  }
  return plans;
}

/** Workgroup storage a shader declares, as WebGPU counts it (each variable rounded up to 16 bytes). */
const workgroupBytes = (wgsl: string): number => [...wgsl.matchAll(/var<workgroup> \w+: (?:array<atomic<[iu]32>, (\d+)>|atomic<[iu]32>);/g)]
  .reduce((a, m) => a + Math.ceil((4 * (m[1] ? Number(m[1]) : 1)) / 16) * 16, 0);

describe('register arrays', () => {
  it('bool and f32 States of [3, 301] next to a reduction: registers at 256 and 1024, odd and even rounds', async () => {
    const rng = mulberry32(1);
    const B = 3, N = 301, steps = 11;
    const v0 = Float32Array.from({ length: B * N }, () => Math.fround(rng()));
    const b0 = Uint8Array.from({ length: B * N }, () => (rng() < 0.2 ? 1 : 0));
    const xs = Float32Array.from({ length: steps * B * N }, () => Math.fround(rng() * 0.3));
    const tr = traceGraph('registers', (k) => {
      const v = k.state('v', Tensor.fromArray(v0, [B, N]));
      const b = k.state('b', Tensor.fromArray(b0, [B, N], 'bool'));
      const w = k.state('w', Tensor.full([B, N], 0));
      const vn = ops.add(ops.mul(v.read(), 0.9), k.xs(0, 'f32', [B, N]));
      const fired = ops.compare('ge', vn, 1);
      v.write(ops.where(fired, 0, vn));
      b.write(ops.binary('or', ops.binary('and', b.read(), ops.unary('not', fired)), fired));
      const total = ops.reduce('sum', vn);
      w.write(ops.add(ops.mul(w.read(), 0.5), ops.mul(ops.where(b.read(), 1, 0), total)));
      return { ys: [total, ops.cast(b.read(), 'f32')] };
    });
    const plans = await compareAll(tr.graph, steps, { xs: [xs], states: tr.states, captured: tr.captured }, { rtol: 1e-5, atol: 1e-4 },
      [...PERSISTENT, { name: 'chain', lowering: 'dispatch-chain' }]);
    // 903 elements: 4 slots per invocation at 256, 1 at 1024; the bool State is an array<bool>
    expect(plans['persistent']!.kernels[0]!.wgsl).toMatch(/var<private> p\d+a: array<bool, 4>;/);
    expect(plans['persistent 1024, rounds of 5']!.kernels[0]!.wgsl).toMatch(/var<private> p\d+a: array<f32, 1>;/);
  });

  it('a State in registers read at step entry after a barrier, by a kernel later than the one writing its new value', async () => {
    const n = 70, steps = 9;
    const xs = Float32Array.from({ length: steps * n }, (_, i) => Math.fround(((i * 37) % 11) / 11));
    const tr = traceGraph('late-reader', (k) => {
      const s = k.state('s', Tensor.fromArray(Float32Array.from({ length: n }, (_, i) => i / n)));
      const x = k.xs(0, 'f32', [n]);
      const entry = s.read();
      s.write(ops.add(ops.mul(entry, 0.5), x));         // phase 0: the new value
      const m = ops.reduce('sum', x);                    // phase 1 starts (a barrier)
      return { ys: [ops.div(entry, ops.add(m, 1))] };    // phase 1 reads the step-entry value
    });
    const plans = await compareAll(tr.graph, steps, { xs: [xs], states: tr.states, captured: tr.captured }, { rtol: 1e-6, atol: 1e-6 }, PERSISTENT);
    expect(plans['persistent']!.kernels[0]!.wgsl).toMatch(/var<private> p\d+a/);
  });
});

describe('event-driven populations', () => {
  const conn = (rng: () => number, nPre: number, nPost: number, k: number) =>
    Tensor.fromArray(Int32Array.from({ length: nPre * k }, () => randInt(rng, 0, nPost - 1)), [nPre, k], 'i32');

  it('two populations, four event_counts, batch 2: counts in workgroup memory or in storage; a chain within 5 bindings', async () => {
    const rng = mulberry32(5);
    const B = 2, NE = 300, NI = 77, K = 9, steps = 13;
    const vE0 = Float32Array.from({ length: B * NE }, () => Math.fround(rng()));
    const vI0 = Float32Array.from({ length: B * NI }, () => Math.fround(rng()));
    const dE = Float32Array.from({ length: NE }, () => randInt(rng, 1, 24) / 64);
    const dI = Float32Array.from({ length: NI }, () => randInt(rng, 1, 24) / 64);
    const cEE = conn(rng, NE, NE, K), cEI = conn(rng, NE, NI, K), cIE = conn(rng, NI, NE, K), cII = conn(rng, NI, NI, K);
    const tr = traceGraph('populations', (k) => {
      const vE = k.state('vE', Tensor.fromArray(vE0, [B, NE]));
      const vI = k.state('vI', Tensor.fromArray(vI0, [B, NI]));
      const gE = k.state('gE', Tensor.full([B, NE], 0));
      const gI = k.state('gI', Tensor.full([B, NI], 0));
      const sE = k.state('sE', Tensor.full([B, NE], 0, 'bool'));
      const sI = k.state('sI', Tensor.full([B, NI], 0, 'bool'));
      const tot = k.state('tot', Tensor.full([NE], 0));
      const count = (s: Tensor, c: Tensor, n: number) => ops.cast(ops.eventCount(s, c, n), 'f32');
      const cE = ops.add(count(sE.read(), cEE, NE), ops.mul(count(sI.read(), cIE, NE), -1));
      const cI = ops.add(count(sE.read(), cEI, NI), ops.mul(count(sI.read(), cII, NI), -1));
      const gEn = ops.add(ops.mul(gE.read(), 0.5), ops.mul(cE, 0.125));
      const gIn = ops.add(ops.mul(gI.read(), 0.5), ops.mul(cI, 0.125));
      gE.write(gEn);
      gI.write(gIn);
      const vEn = ops.add(ops.add(vE.read(), Tensor.fromArray(dE)), gEn);
      const vIn = ops.add(ops.add(vI.read(), Tensor.fromArray(dI)), gIn);
      const fE = ops.compare('ge', vEn, 1), fI = ops.compare('ge', vIn, 1);
      vE.write(ops.where(fE, 0, vEn));
      vI.write(ops.where(fI, 0, vIn));
      sE.write(fE);
      sI.write(fI);
      tot.write(ops.add(tot.read(), ops.reduce('sum', cE, 0))); // the counts summed over the batch
      return { ys: [ops.packBits(fE), ops.packBits(fI), ops.reduce('sum', cI)] };
    });
    const plans = await compareAll(tr.graph, steps, { states: tr.states, captured: tr.captured }, EXACT, [
      ...PERSISTENT,
      { name: 'persistent, counts in storage', lowering: 'persistent-workgroup', opts: { maxWorkgroupStorage: 16 } }, // only the spike counters
      { name: 'chain', lowering: 'dispatch-chain' },
      // with recomputed values one kernel would bind 6 arrays: lower starts over materializing them
      { name: 'chain, 5 bindings', lowering: 'dispatch-chain', opts: { maxStorageBuffers: 5 } },
      { name: 'chain, a dispatch per kernel', lowering: 'dispatch-chain', opts: { mergeWaves: false } },
    ]);
    expect(plans['persistent']!.kernels[0]!.wgsl).toMatch(/var<workgroup> cnt\d+/);
    expect(plans['persistent, counts in storage']!.kernels[0]!.wgsl).not.toMatch(/var<workgroup> cnt\d+/);
    for (const k of plans['chain, 5 bindings']!.kernels) expect(k.bindings.length, k.name).toBeLessThanOrEqual(5);
  });
});

describe('event_count computing its own spikes', () => {
  it.each([[[] as number[], 'bool'], [[2], 'f32']] as const)('lead %j, %s spikes: no spike temp, same counts as the reference, chain and persistent', async (lead, dtype) => {
    const rng = mulberry32(9 + lead.length);
    const nPre = 90, nPost = 70, k = 5, steps = 12, B = lead.length ? 2 : 1;
    const idx = Tensor.fromArray(Int32Array.from({ length: nPre * k }, () => randInt(rng, 0, nPost - 1)), [nPre, k], 'i32');
    const v0 = Float32Array.from({ length: B * nPre }, () => randInt(rng, 0, 63) / 64);
    const drive = Float32Array.from({ length: nPre }, () => randInt(rng, 1, 24) / 64);
    const tr = traceGraph('own-spikes', (kit) => {
      const v = kit.state('v', Tensor.fromArray(v0, [...lead, nPre]));
      const vin = ops.add(v.read(), Tensor.fromArray(drive));          // no product: the spikes are recomputed
      const fired = ops.compare('ge', vin, 1);
      v.write(ops.where(fired, 0, vin));
      const counts = ops.eventCount(dtype === 'bool' ? fired : ops.cast(fired, 'f32'), idx, nPost);
      return { ys: [counts, ops.reduce('sum', ops.cast(counts, 'f32'))] }; // the sum: one more wave after the counts' readers
    });
    const g = optimize(tr.graph, { verifyEach: true });
    const ec = fuseElementwise(g, phaseSplit(g)).kernels.find((x) => x.kind === 'global' && g.node(x.node).op === 'event_count');
    expect(ec?.kind === 'global' && ec.operand !== undefined).toBe(true);
    const plans = await compareAll(tr.graph, steps, { states: tr.states, captured: tr.captured }, EXACT, [...PERSISTENT, { name: 'chain', lowering: 'dispatch-chain' }]);
    // the chain: the scatter (spikes computed in it) first; the counts' one reader clears them for
    // the next step (no zero kernel): a second call of the same Executable must start from zero counts
    const heads = plans['chain']!.kernels.map((x) => x.wgsl.split('\n')[0]!);
    expect(heads[0]).toMatch(/event_scatter/);
    expect(heads.some((h) => /event_zero/.test(h))).toBe(false);
    const inputs = { states: tr.states, captured: tr.captured };
    const again = await runOnGpu(ctx, g, steps, inputs, 'dispatch-chain', {}, 2);
    runOnCpu(g, steps, inputs).ys.forEach((y, i) => expectAllClose(again.ys[i], y, EXACT, `second call of the chain: y#${i}`));
  });
});

describe('workgroup memory budget', () => {
  it("nine spike rasters of 16 384 neurons stay within WebGPU's default 16 KiB of workgroup storage", async () => {
    const steps = 2, rows = 1024, len = 16;
    const tr = traceGraph('rasters', (k) => {
      const x = k.xs(0, 'f32', [rows, len]);
      return { ys: Array.from({ length: 9 }, (_, j) => ops.packBits(ops.compare('gt', x, j / 10))) };
    });
    const xs = Float32Array.from({ length: steps * rows * len }, (_, i) => (i % 7) / 7);
    const plans = await compareAll(tr.graph, steps, { xs: [xs] }, EXACT, [{ name: 'persistent', lowering: 'persistent-workgroup' }]);
    const wgsl = plans['persistent']!.kernels[0]!.wgsl;
    expect(workgroupBytes(wgsl)).toBeLessThanOrEqual(16384);
    expect(wgsl).toMatch(/pack_or/); // three of the nine (4 KiB each) pack in workgroup memory
    expect(wgsl).toMatch(/k\d+_pack_bits/); // the others use the generic kernel
  });

  it("event counts exactly at the device's limit live in workgroup memory, one element more and they stay in storage", async () => {
    const limit = ctx.limits.maxComputeWorkgroupStorageSize;
    const nPre = 20, k = 3, steps = 3;
    for (const [nPost, shared] of [[(limit - 16) / 4, true], [(limit - 16) / 4 + 1, false]] as const) {
      const rng = mulberry32(nPost);
      const idx = Tensor.fromArray(Int32Array.from({ length: nPre * k }, () => randInt(rng, 0, nPost - 1)), [nPre, k], 'i32');
      const xs = Float32Array.from({ length: steps * nPre }, () => (rng() < 0.5 ? 1 : 0));
      const tr = traceGraph('at-limit', (kit) => ({ ys: [ops.reduce('sum', ops.cast(ops.eventCount(kit.xs(0, 'f32', [nPre]), idx, nPost), 'f32'))] }));
      const plans = await compareAll(tr.graph, steps, { xs: [xs], captured: tr.captured }, EXACT,
        [{ name: 'persistent', lowering: 'persistent-workgroup', opts: { maxWorkgroupStorage: limit } }]);
      const wgsl = plans['persistent']!.kernels[0]!.wgsl;
      expect(/var<workgroup> cnt\d+/.test(wgsl), `nPost ${nPost}`).toBe(shared);
      expect(workgroupBytes(wgsl)).toBeLessThanOrEqual(limit);
    }
  });

  it('empty spike counts and empty rasters compile and run', async () => {
    const steps = 2;
    const idx = Tensor.fromArray(Int32Array.from([0, 1, 2, 3, 1, 0, 2, 2, 3, 1]), [5, 2], 'i32');
    const tr = traceGraph('empty', (kit) => ({
      ys: [
        ops.eventCount(kit.xs(1, 'f32', [0, 5]), idx, 4),                       // counts [0, 4]
        ops.packBits(ops.compare('gt', kit.xs(2, 'f32', [4, 0]), 0)),           // words [4, 0]
        ops.mul(kit.xs(0, 'f32', [3]), 2),
      ],
    }));
    await compareAll(tr.graph, steps, { xs: [Float32Array.from([1, 2, 3, 4, 5, 6]), new Float32Array(0), new Float32Array(0)], captured: tr.captured }, EXACT,
      [{ name: 'persistent', lowering: 'persistent-workgroup' }, { name: 'chain', lowering: 'dispatch-chain' }]);
  });
});

describe('binding limits', () => {
  it('a stored product-sum that would overflow 8 bindings is recomputed instead (third try)', async () => {
    const steps = 4, n = 16;
    const tr = traceGraph('fma-limit', (k) => {
      const s = ['A', 'B', 'C', 'D'].map((nm, j) => k.state(nm, Tensor.fromArray(Float32Array.from({ length: n }, (_, i) => (i + j) / n))));
      const [A, B, C, D] = s.map((x) => x.read()) as [Tensor, Tensor, Tensor, Tensor];
      s.forEach((x, j) => x.write(ops.add([A, B, C, D][j]!, 1)));
      return { ys: [ops.add(ops.add(ops.mul(B, C), D), ops.reduce('sum', A))] };
    });
    const plans = await compareAll(tr.graph, steps, { states: tr.states, captured: tr.captured }, { rtol: 1e-6, atol: 1e-5 },
      [{ name: 'chain', lowering: 'dispatch-chain', opts: { maxStorageBuffers: 8 } }]);
    for (const k of plans['chain']!.kernels) expect(k.bindings.length).toBeLessThanOrEqual(8);
  });
});
