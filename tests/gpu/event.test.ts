/**
 * event_count (compiler/src/primitives/event.ts): event-driven sparse spike propagation over fixed
 * out-degree connectivity, on real WebGPU against the CPU reference.
 *
 * Every comparison here is exact (EXACT tolerance): the op delivers integer counts through integer
 * atomics, whose sum does not depend on the order the atomics land in, and the networks below keep
 * every float value dyadic with few bits (increments k/64, threshold 1, decay 0.5, weight 0.25), so
 * the elementwise arithmetic around the op is exact on both sides and no spike can flip.
 *
 * Sizes are not multiples of the workgroup (64): nPre = 130 -> nPost = 257, k = 7, with duplicate
 * targets in rows (each counts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lower, optimize, ops, quantizeWeight, SpiketraceError, ShapeError, Tensor } from '@spiketrace/compiler';
import { acquireDevice, releaseDevice, type GpuContext } from '@spiketrace/runtime';
import { traceGraph } from '../helpers/graph.ts';
import { EXACT, expectAllClose, runOnCpu, runOnGpu } from '../helpers/gpu.ts';
import { mulberry32, randInt, type Rng } from '../helpers/random.ts';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await acquireDevice();
});
afterAll(() => {
  releaseDevice();
});

const N_PRE = 130;
const N_POST = 257;
const K = 7;

/** Random fixed out-degree connectivity; every row gets at least one duplicate target. */
function connectivity(rng: Rng, nPre: number, nPost: number, k: number): Int32Array {
  const idx = new Int32Array(nPre * k);
  for (let p = 0; p < nPre; p++) {
    for (let j = 0; j < k; j++) idx[p * k + j] = randInt(rng, 0, nPost - 1);
    if (k > 1) idx[p * k + k - 1] = idx[p * k] as number;
  }
  return idx;
}

/** Spike patterns of `n` elements with the given density: f32 (varied nonzero values) or bool. */
function spikes(rng: Rng, n: number, density: number, dtype: 'f32' | 'bool'): Float32Array | Uint8Array {
  const out = dtype === 'f32' ? new Float32Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (rng() >= density) continue;
    out[i] = dtype === 'f32' ? (rng() < 0.5 ? 1 : -0.5 - rng()) : 1;
  }
  return out;
}

/** The independent reference: for each batch row, each pre neuron that spiked, each target. */
function reference(sp: ArrayLike<number>, idx: Int32Array, nPre: number, k: number, nPost: number): Int32Array {
  const batch = sp.length / nPre;
  const out = new Int32Array(batch * nPost);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < nPre; p++) {
      if (sp[b * nPre + p] === 0) continue;
      for (let j = 0; j < k; j++) out[b * nPost + (idx[p * k + j] as number)]! += 1;
    }
  }
  return out;
}

const idxTensor = (idx: Int32Array, nPre: number, k: number) => Tensor.fromArray(idx, [nPre, k], 'i32');

describe('event_count: the CPU reference', () => {
  it('eager evaluation equals the independent loop (unbatched and batched, f32 and bool)', () => {
    const rng = mulberry32(3);
    const idx = connectivity(rng, N_PRE, N_POST, K);
    for (const dtype of ['f32', 'bool'] as const) {
      for (const lead of [[], [2], [2, 3]]) {
        const n = lead.reduce((a, d) => a * d, 1) * N_PRE;
        const sp = spikes(rng, n, 0.3, dtype);
        const out = ops.eventCount(Tensor.fromArray(sp, [...lead, N_PRE], dtype), idxTensor(idx, N_PRE, K), N_POST);
        expect(out.dtype).toBe('i32');
        expect(out.shape).toEqual([...lead, N_POST]);
        expectAllClose(out.data, reference(sp, idx, N_PRE, K, N_POST), EXACT, `eager ${dtype} [${lead}]`);
      }
    }
  });

  it('rejects bad operands with clear messages', () => {
    const idx = idxTensor(new Int32Array(4 * 2), 4, 2);
    const sp = Tensor.fromArray([1, 0, 1, 0]);
    expect(() => ops.eventCount(Tensor.fromArray([1, 0, 1, 0], [4], 'i32'), idx, 3)).toThrow(/spikes must be bool or f32.*got i32/);
    expect(() => ops.eventCount(Tensor.scalar(1), idx, 3)).toThrow(/shape \[\.\.\., nPre\]/);
    expect(() => ops.eventCount(sp, Tensor.fromArray(new Float32Array(8), [4, 2]), 3)).toThrow(/indices must be i32, got f32/);
    expect(() => ops.eventCount(sp, Tensor.fromArray(new Int32Array(8), [8], 'i32'), 3)).toThrow(/indices must have shape \[nPre, k\] \(rank 2\), got \[8\]/);
    expect(() => ops.eventCount(sp, idxTensor(new Int32Array(10), 5, 2), 3)).toThrow(/indices has 5 rows but spikes has 4 pre neurons/);
    expect(() => ops.eventCount(sp, idx, 0)).toThrow(/nPost must be a positive integer, got 0/);
    expect(() => ops.eventCount(sp, idx, 2.5)).toThrow(/nPost must be a positive integer, got 2.5/);
    expect(() => ops.eventCount(sp, idxTensor(Int32Array.from([0, 1, 2, 3, 0, 0, 1, -1]), 4, 2), 3)).toThrow(ShapeError);
    expect(() => ops.eventCount(sp, idxTensor(Int32Array.from([0, 1, 2, 3, 0, 0, 1, 1]), 4, 2), 3)).toThrow(/indices\[1, 1\] = 3 is outside \[0, 3\)/);
    expect(() => ops.eventCount(sp, idxTensor(Int32Array.from([0, 1, 2, 2, 0, 0, 1, -1]), 4, 2), 3)).toThrow(/indices\[3, 1\] = -1 is outside/);
  });
});

describe('event_count on the GPU: one op, random spike patterns per step', () => {
  // each step gets a fresh pattern (xs), so the counts must be cleared every step
  const cases = [
    { name: 'unbatched f32', lead: [] as number[], dtype: 'f32' as const },
    { name: 'unbatched bool', lead: [], dtype: 'bool' as const },
    { name: 'batched [2, nPre] f32', lead: [2], dtype: 'f32' as const },
    { name: 'batched [2, nPre] bool', lead: [2], dtype: 'bool' as const },
  ];
  it.each(cases.flatMap((c) => (['dispatch-chain', 'persistent-workgroup'] as const).map((lowering) => ({ ...c, lowering }))))(
    '$name, $lowering: dense densities 0..1 over 6 steps equal the reference, step by step', async ({ lead, dtype, lowering }) => {
    const rng = mulberry32(41 + lead.length * 10 + (dtype === 'bool' ? 1 : 0));
    const idx = connectivity(rng, N_PRE, N_POST, K);
    const n = lead.reduce((a, d) => a * d, 1) * N_PRE;
    const densities = [0.1, 0, 1, 0.02, 0.5, 0.1];
    const steps = densities.length;
    const xs = dtype === 'f32' ? new Float32Array(steps * n) : new Uint8Array(steps * n);
    densities.forEach((d, t) => xs.set(spikes(rng, n, d, dtype), t * n));
    const tr = traceGraph('event-op', (k) => ({ ys: [ops.eventCount(k.xs(0, dtype, [...lead, N_PRE]), idxTensor(idx, N_PRE, K), N_POST)] }));
    const g = optimize(tr.graph, { verifyEach: true });
    const inputs = { xs: [xs], captured: tr.captured };
    const gpu = await runOnGpu(ctx, g, steps, inputs, lowering);
    expect(gpu.plan.lowering).toBe(lowering);
    // the persistent shader lists the spikes and spreads their targets over the workgroup; with
    // rounds of 4 steps a second dispatch starts from a fresh workgroup counter
    const runs = [gpu];
    if (lowering === 'persistent-workgroup') {
      expect(gpu.plan.kernels[0]!.wgsl).toMatch(/event_compact[\s\S]*event_deliver[\s\S]*event_reset/);
      // the counts fit in workgroup memory; with too little of it they stay in a storage buffer
      expect(gpu.plan.kernels[0]!.wgsl).toMatch(/var<workgroup> cnt\d+: array<atomic<i32>/);
      runs.push(await runOnGpu(ctx, g, steps, inputs, lowering, { stepsPerRound: 4 }));
      const inMemory = await runOnGpu(ctx, g, steps, inputs, lowering, { maxWorkgroupStorage: 64 });
      expect(inMemory.plan.kernels[0]!.wgsl).not.toMatch(/var<workgroup> cnt/);
      runs.push(inMemory);
    }
    const cpu = runOnCpu(g, steps, inputs);
    const m = n / N_PRE * N_POST;
    for (let t = 0; t < steps; t++) {
      const want = reference(xs.subarray(t * n, (t + 1) * n), idx, N_PRE, K, N_POST);
      expectAllClose(cpu.ys[0]!.subarray(t * m, (t + 1) * m), want, EXACT, `interpreter step ${t}`);
      runs.forEach((r, j) => expectAllClose(r.ys[0]!.subarray(t * m, (t + 1) * m), want, EXACT, `GPU run ${j} step ${t} (density ${densities[t]})`));
    }
  });

  it('literal operands: uniform connectivity, all-fired spikes; odd sizes', async () => {
    // every target is 3: the trace turns the uniform indices array into a literal, not a buffer
    const rng = mulberry32(8);
    const nPre = 65, nPost = 5, k = 3;
    const steps = 3;
    const xs = new Float32Array(steps * nPre);
    for (let t = 0; t < steps; t++) xs.set(spikes(rng, nPre, 0.4, 'f32'), t * nPre);
    const idx = new Int32Array(nPre * k).fill(3);
    const idx2 = connectivity(rng, nPre, nPost, k);
    const tr = traceGraph('event-lit', (kit) => ({
      ys: [
        ops.eventCount(kit.xs(0, 'f32', [nPre]), idxTensor(idx, nPre, k), nPost),
        // literal spikes (all fired) with captured connectivity, recorded rather than evaluated eagerly
        kit.tr.add('event_count', [Tensor.full([nPre], 1), idxTensor(idx2, nPre, k)], { nPost }, { dtype: 'i32', shape: [nPost] }),
      ],
    }));
    expect(tr.graph.nodes.some((nd) => nd.op === 'const' && nd.dtype === 'i32')).toBe(true);
    const gpu = await runOnGpu(ctx, tr.graph, steps, { xs: [xs], captured: tr.captured }, 'persistent-workgroup');
    const allFired = reference(new Float32Array(nPre).fill(1), idx2, nPre, k, nPost);
    for (let t = 0; t < steps; t++) {
      expectAllClose(gpu.ys[0]!.subarray(t * nPost, (t + 1) * nPost), reference(xs.subarray(t * nPre, (t + 1) * nPre), idx, nPre, k, nPost), EXACT, `step ${t}`);
      expectAllClose(gpu.ys[1]!.subarray(t * nPost, (t + 1) * nPost), allFired, EXACT, `literal spikes, step ${t}`);
    }
  });
});

/**
 * A small network in the shape the COBA model takes: a pre population v [..., nPre] integrates a
 * per-neuron drive and spikes at 1 (reset to 0), its spikes go through event_count, and a post
 * conductance g [..., nPost] decays by 0.5 and takes counts * 0.25. Phases: elementwise (v, spike)
 * -> event_count -> elementwise consumer (g), over several steps of the dispatch chain.
 */
function network(lead: number[], spikeDtype: 'f32' | 'bool', seed: number, secondReader = false) {
  const rng = mulberry32(seed);
  const batch = lead.reduce((a, d) => a * d, 1);
  const idx = connectivity(rng, N_PRE, N_POST, K);
  const v0 = new Float32Array(batch * N_PRE).map(() => randInt(rng, 0, 63) / 64);
  const drive = new Float32Array(N_PRE).map(() => randInt(rng, 1, 24) / 64);
  const tr = traceGraph(`net-${spikeDtype}`, (k) => {
    const v = k.state('v', Tensor.fromArray(v0, [...lead, N_PRE]));
    const g = k.state('g', Tensor.full([...lead, N_POST], 0));
    const gain = k.xs(0, 'f32', []); // per-step drive gain (1 or 2): activity changes across steps
    const vin = ops.add(v.read(), ops.mul(Tensor.fromArray(drive), gain));
    const fired = ops.compare('ge', vin, 1);
    v.write(ops.where(fired, 0, vin));
    const counts = ops.eventCount(spikeDtype === 'bool' ? fired : ops.cast(fired, 'f32'), idxTensor(idx, N_PRE, K), N_POST);
    const gNew = ops.add(ops.mul(g.read(), 0.5), ops.mul(ops.cast(counts, 'f32'), 0.25)); // weight: counts * w
    g.write(gNew);
    // a second reader of the counts (a global op) keeps their zero kernel in the chain
    return { ys: [counts, ops.cast(fired, 'f32'), ...(secondReader ? [ops.reduce('sum', counts, -1)] : [])] };
  });
  return { tr, idx, batch };
}

describe('event_count inside a step: elementwise -> event_count -> elementwise consumer', () => {
  const cases = [
    { lead: [] as number[], dtype: 'f32' as const, second: false },
    { lead: [], dtype: 'bool' as const, second: false },
    { lead: [2], dtype: 'f32' as const, second: false },
    { lead: [2], dtype: 'bool' as const, second: false },
    { lead: [2], dtype: 'f32' as const, second: true },
  ];
  it.each(cases.flatMap((c) => (['dispatch-chain', 'persistent-workgroup'] as const).map((lowering) => ({ ...c, lowering }))))(
    'lead [$lead], $dtype spikes, second reader $second, $lowering: 25 steps equal the interpreter and the reference, exactly', async ({ lead, dtype, second, lowering }) => {
    const { tr, idx, batch } = network(lead, dtype, 100 + lead.length * 2 + (dtype === 'bool' ? 1 : 0), second);
    const g = optimize(tr.graph, { verifyEach: true });
    const steps = 25;
    const gain = Float32Array.from({ length: steps }, (_, t) => (t % 5 === 2 ? 2 : 1));
    const inputs = { xs: [gain], states: tr.states, captured: tr.captured };
    const plan = lower(g, steps, { lowering: 'dispatch-chain', maxStorageBuffers: ctx.limits.maxStorageBuffersPerShaderStage });
    expect(lower(g, steps, { maxStorageBuffers: ctx.limits.maxStorageBuffersPerShaderStage }).lowering).toBe('persistent-workgroup');
    // each dispatch's first line names the kernels it runs (independent kernels share a dispatch)
    const names = plan.kernels.map((k) => k.wgsl.split('\n')[0]!);
    if (second) {
      // counts read by two kernels: a zero kernel clears them, in the dispatch before the scatter
      expect(names.some((n) => /event_zero/.test(n))).toBe(true);
      expect(names.findIndex((n) => /event_zero/.test(n))).toBe(names.findIndex((n) => /event_scatter/.test(n)) - 1);
    } else {
      // their one reader loads each count and clears it for the next step: no zero kernel
      expect(names.some((n) => /event_zero/.test(n))).toBe(false);
      expect(plan.kernels.filter((k) => /\bb\d+\[i\] = 0;/.test(k.wgsl)).length).toBe(1);
    }
    const gpu = await runOnGpu(ctx, g, steps, inputs, lowering);
    expect(gpu.plan.lowering).toBe(lowering);
    const cpu = runOnCpu(g, steps, inputs);
    expectAllClose(gpu.ys[1], cpu.ys[1], EXACT, 'spikes over all steps');
    expectAllClose(gpu.ys[0], cpu.ys[0], EXACT, 'counts over all steps');
    for (const [slot, v] of cpu.states) expectAllClose(gpu.states.get(slot), v, EXACT, `final state#${slot}`);
    // the reference, step by step, from the spikes the run produced
    const nS = batch * N_PRE, nC = batch * N_POST;
    let total = 0;
    const gRef = new Float32Array(nC);
    for (let t = 0; t < steps; t++) {
      const sp = gpu.ys[1]!.subarray(t * nS, (t + 1) * nS);
      for (let i = 0; i < nS; i++) total += sp[i]!;
      const want = reference(sp, idx, N_PRE, K, N_POST);
      expectAllClose(gpu.ys[0]!.subarray(t * nC, (t + 1) * nC), want, EXACT, `counts at step ${t}`);
      for (let i = 0; i < nC; i++) gRef[i] = Math.fround(Math.fround(gRef[i]! * 0.5) + Math.fround(want[i]! * 0.25));
    }
    expectAllClose(gpu.states.get(1), gRef, EXACT, 'final g against the reference');
    // activity is neither silent nor saturated
    expect(total).toBeGreaterThan(steps * nS * 0.05);
    expect(total).toBeLessThan(steps * nS * 0.8);
  });

  it('the consumer sees counts cleared every step (no accumulation across steps)', async () => {
    // the same spike pattern every step (a state the step only reads): per-step counts are constant,
    // and the accumulated state after T steps is exactly T times one step's counts
    const rng = mulberry32(5);
    const idx = connectivity(rng, N_PRE, N_POST, K);
    const pattern = spikes(rng, 2 * N_PRE, 0.3, 'f32') as Float32Array;
    const tr = traceGraph('no-accum', (k) => {
      const s = k.state('s', Tensor.fromArray(pattern, [2, N_PRE]));
      const acc = k.state('acc', Tensor.full([2, N_POST], 0));
      const counts = ops.eventCount(s.read(), idxTensor(idx, N_PRE, K), N_POST);
      const w = ops.mul(ops.cast(counts, 'f32'), 1.5);
      acc.write(ops.add(acc.read(), w));
      return { ys: [w] };
    });
    const g = optimize(tr.graph, { verifyEach: true });
    const steps = 9;
    const gpu = await runOnGpu(ctx, g, steps, { states: tr.states, captured: tr.captured }, 'dispatch-chain');
    const once = Float32Array.from(reference(pattern, idx, N_PRE, K, N_POST), (c) => c * 1.5);
    expect(once.some((x) => x > 0)).toBe(true);
    for (let t = 0; t < steps; t++) expectAllClose(gpu.ys[0]!.subarray(t * 2 * N_POST, (t + 1) * 2 * N_POST), once, EXACT, `weighted counts at step ${t}`);
    const accSlot = [...gpu.states.keys()][0]!;
    expectAllClose(gpu.states.get(accSlot), once.map((x) => x * steps), EXACT, `accumulated over ${steps} steps`);
  });

  it('temporal fusion is refused with a clear error; auto picks the persistent workgroup (small), chain binding types', () => {
    const g = optimize(network([2], 'bool', 1, true).tr.graph, { verifyEach: true });
    expect(() => lower(g, 10, { lowering: 'temporal-fusion', maxStorageBuffers: 16 })).toThrow(SpiketraceError);
    expect(() => lower(g, 10, { lowering: 'temporal-fusion', maxStorageBuffers: 16 })).toThrow(/temporal fusion needs an element-local step.*\d phase\(s\).*dispatch-chain/s);
    const auto = lower(g, 10, { lowering: 'auto', maxStorageBuffers: 16 });
    expect(auto.lowering).toBe('persistent-workgroup');
    // the spike kernel and the spike list share one loop over the neurons (same wave, same size)
    expect(auto.kernels[0]!.wgsl).toMatch(/let i = lid \+ m \* \d+u; if \(i < \d+u\) \{ k\d+\(i, t, m\); k\d+\(i, t, m\);[^\n]*\/\/ k\d+_ew_p0, k\d+_event_compact_p1/);
    // one shader: the counts are atomic everywhere in it
    expect(auto.kernels[0]!.wgsl).toMatch(/atomicStore\(/);
    expect(auto.kernels[0]!.wgsl).toMatch(/atomicLoad\(/);
    // merged into dependency waves: the zero shares a dispatch with the spike kernel, the scatter has its own
    const merged = lower(g, 10, { lowering: 'dispatch-chain', maxStorageBuffers: 16 });
    const heads = merged.kernels.map((k) => k.wgsl.split('\n')[0]!);
    expect(heads.filter((h) => /event_zero/.test(h) && /_ew_/.test(h)).length).toBe(1);
    expect(heads.filter((h) => /event_scatter/.test(h) && !/event_zero/.test(h)).length).toBe(1);
    const plan = lower(g, 10, { lowering: 'dispatch-chain', maxStorageBuffers: 16, mergeWaves: false });
    expect(plan.kernels.length).toBeGreaterThan(merged.kernels.length);
    // the counts temp: atomic in the scatter, plain i32 in the zero kernel and in the consumer
    const scatter = plan.kernels.find((k) => /event_scatter/.test(k.name))!;
    const zero = plan.kernels.find((k) => /event_zero/.test(k.name))!;
    const counts = plan.buffers.find((b) => b.role === 'temp' && b.dtype === 'i32')!;
    expect(scatter.wgsl).toMatch(/array<atomic<i32>>/);
    expect(scatter.wgsl).toMatch(/atomicAdd\(/);
    expect(scatter.invocations).toBe(2 * N_PRE);
    expect(zero.invocations).toBe(2 * N_POST);
    expect(zero.wgsl).not.toMatch(/atomic/);
    const consumers = plan.kernels.filter((k) => k !== scatter && k !== zero && k.bindings.some((b) => b.buffer === counts.id));
    expect(consumers.length).toBeGreaterThan(0);
    for (const c of consumers) expect(c.wgsl).toMatch(/array<i32>/);
  });
});

/**
 * event_count's optional third operand: i32 weights [nPre, k], one per synapse (the fixed-point
 * weights of packages/models/src/fixed-point.ts). A delivered spike adds its synapse's weight; the
 * sums are integers in wrapping i32 arithmetic, so every comparison is exact whatever order the
 * atomics land in.
 */
describe('event_count with per-synapse integer weights', () => {
  /** The independent reference, in float64, wrapped to i32 at the end (wrapping is associative). */
  function weightedReference(sp: ArrayLike<number>, idx: Int32Array, w: Int32Array, nPre: number, k: number, nPost: number): Int32Array {
    const batch = sp.length / nPre;
    const acc = new Float64Array(batch * nPost);
    for (let b = 0; b < batch; b++) {
      for (let p = 0; p < nPre; p++) {
        if (sp[b * nPre + p] === 0) continue;
        for (let j = 0; j < k; j++) acc[b * nPost + (idx[p * k + j] as number)]! += w[p * k + j]!;
      }
    }
    return Int32Array.from(acc, (x) => Number(BigInt.asIntN(32, BigInt(x))));
  }
  /** Weights of both signs and all magnitudes up to 2^24 (sums of k of them stay far from 2^31). */
  const randomWeights = (rng: Rng, n: number): Int32Array =>
    Int32Array.from({ length: n }, () => (rng() < 0.5 ? -1 : 1) * randInt(rng, 0, 1 << Math.floor(rng() * 24)));

  it('the CPU reference sums the weights of the spiking synapses, wrapping like i32 atomics', () => {
    const rng = mulberry32(71);
    const idx = connectivity(rng, N_PRE, N_POST, K);
    const w = randomWeights(rng, N_PRE * K);
    for (const lead of [[], [3]]) {
      const n = lead.reduce((a, d) => a * d, 1) * N_PRE;
      const sp = spikes(rng, n, 0.4, 'f32');
      const out = ops.eventCount(Tensor.fromArray(sp, [...lead, N_PRE]), idxTensor(idx, N_PRE, K), N_POST, { weights: idxTensor(w, N_PRE, K) });
      expectAllClose(out.data, weightedReference(sp, idx, w, N_PRE, K, N_POST), EXACT, `eager [${lead}]`);
    }
    // two synapses onto one target whose weights sum past 2^31 - 1 wrap around
    const big = ops.eventCount(Tensor.fromArray([1, 1]), idxTensor(Int32Array.from([0, 0]), 2, 1), 1, { weights: idxTensor(Int32Array.from([2 ** 31 - 1, 2]), 2, 1) });
    expect(Array.from(big.data)).toEqual([-(2 ** 31) + 1]);
  });

  it('rejects weights of the wrong dtype or shape', () => {
    const sp = Tensor.fromArray([1, 0, 1, 0]);
    const idx = idxTensor(new Int32Array(8), 4, 2);
    expect(() => ops.eventCount(sp, idx, 3, { weights: Tensor.fromArray(new Uint8Array(8), [4, 2], 'bool') })).toThrow(/event_count: weights must be i32 or f32, got bool/);
    expect(() => ops.eventCount(sp, idx, 3, { weights: idxTensor(new Int32Array(8), 2, 4) })).toThrow(/weights have shape \[2, 4\] but indices \[4, 2\]; one weight per synapse/);
  });

  const cases = [
    { lead: [] as number[], dtype: 'f32' as const, lowering: 'dispatch-chain' as const },
    { lead: [2], dtype: 'bool' as const, lowering: 'dispatch-chain' as const },
    { lead: [], dtype: 'bool' as const, lowering: 'persistent-workgroup' as const },
    { lead: [2], dtype: 'f32' as const, lowering: 'persistent-workgroup' as const },
  ];
  it.each(cases)('lead [$lead], $dtype spikes, $lowering: random weights, densities 0..1, step by step', async ({ lead, dtype, lowering }) => {
    const rng = mulberry32(90 + lead.length + (dtype === 'bool' ? 2 : 0));
    const idx = connectivity(rng, N_PRE, N_POST, K);
    const w = randomWeights(rng, N_PRE * K);
    const n = lead.reduce((a, d) => a * d, 1) * N_PRE;
    const densities = [0.1, 1, 0, 0.5, 0.03];
    const steps = densities.length;
    const xs = dtype === 'f32' ? new Float32Array(steps * n) : new Uint8Array(steps * n);
    densities.forEach((d, t) => xs.set(spikes(rng, n, d, dtype), t * n));
    const tr = traceGraph('event-weighted', (kit) => ({
      ys: [ops.eventCount(kit.xs(0, dtype, [...lead, N_PRE]), idxTensor(idx, N_PRE, K), N_POST, { weights: idxTensor(w, N_PRE, K) })],
    }));
    const g = optimize(tr.graph, { verifyEach: true });
    const inputs = { xs: [xs], captured: tr.captured };
    const runs = [await runOnGpu(ctx, g, steps, inputs, lowering)];
    if (lowering === 'persistent-workgroup') {
      expect(runs[0]!.plan.kernels[0]!.wgsl).toMatch(/var<workgroup> cnt\d+: array<atomic<i32>/);
      runs.push(await runOnGpu(ctx, g, steps, inputs, lowering, { maxWorkgroupStorage: 64, stepsPerRound: 2 }));
      expect(runs[1]!.plan.kernels[0]!.wgsl).not.toMatch(/var<workgroup> cnt/);
    }
    const cpu = runOnCpu(g, steps, inputs);
    const m = n / N_PRE * N_POST;
    for (let t = 0; t < steps; t++) {
      const want = weightedReference(xs.subarray(t * n, (t + 1) * n), idx, w, N_PRE, K, N_POST);
      if (densities[t]! > 0) expect(want.some((x) => x !== 0)).toBe(true);
      expectAllClose(cpu.ys[0]!.subarray(t * m, (t + 1) * m), want, EXACT, `interpreter step ${t}`);
      runs.forEach((r, j) => expectAllClose(r.ys[0]!.subarray(t * m, (t + 1) * m), want, EXACT, `GPU run ${j} step ${t} (density ${densities[t]})`));
    }
  });
});

/**
 * f32 weights (trainable ones): each delivered spike adds quantizeWeight(w) = round(clamp(w 2^e,
 * -limit, limit)), half to even (WGSL's round), exact on both sides, so the sums are still exact
 * integers; weights beyond the limit are clipped.
 */
describe('event_count with f32 weights, quantized in the kernel', () => {
  const Q = { exponent: 20, limit: 2 ** 24 };
  /** Independent: round(w 2^20) clipped to +-2^24, summed in float64. */
  function quantizedReference(sp: ArrayLike<number>, idx: Int32Array, w: Float32Array, nPre: number, k: number, nPost: number): Int32Array {
    const batch = sp.length / nPre;
    const acc = new Float64Array(batch * nPost);
    const even = (y: number) => (Math.abs(y - Math.trunc(y)) === 0.5 ? 2 * Math.round(y / 2) : Math.round(y));
    const q = (x: number) => even(Math.min(Math.max(x * 2 ** 20, -(2 ** 24)), 2 ** 24));
    for (let b = 0; b < batch; b++) for (let p = 0; p < nPre; p++) {
      if (sp[b * nPre + p] === 0) continue;
      for (let j = 0; j < k; j++) acc[b * nPost + idx[p * k + j]!]! += q(w[p * k + j]!);
    }
    return Int32Array.from(acc);
  }

  it('the rule asks for quantize; quantizeWeight rounds half to even and clips', () => {
    const sp = Tensor.fromArray([1, 0, 1, 0]);
    const idx = idxTensor(new Int32Array(8), 4, 2);
    expect(() => ops.eventCount(sp, idx, 3, { weights: Tensor.fromArray(new Float32Array(8), [4, 2]) })).toThrow(/f32 weights need arg.quantize/);
    expect(() => ops.eventCount(sp, idx, 3, { weights: Tensor.fromArray(new Float32Array(8), [4, 2]), quantize: { exponent: 1, limit: 3 } })).toThrow(/f32 weights need arg.quantize/);
    expect(quantizeWeight(1.5 / 2 ** 20, Q)).toBe(2);
    expect(quantizeWeight(2.5 / 2 ** 20, Q)).toBe(2);
    expect(quantizeWeight(-1.5 / 2 ** 20, Q)).toBe(-2);
    expect(quantizeWeight(-0.5 / 2 ** 20, Q)).toBe(0);
    expect(quantizeWeight(0.75 / 2 ** 20, Q)).toBe(1);
    expect(quantizeWeight(1e9, Q)).toBe(2 ** 24);
    expect(quantizeWeight(-1e9, Q)).toBe(-(2 ** 24));
  });

  it('a NaN weight adds 0 on the CPU and on the GPU; an exponent whose power of two is not a normal f32 is refused', async () => {
    const idx = idxTensor(Int32Array.from([0, 0, 0]), 3, 1);
    const w = Tensor.fromArray(Float32Array.from([1, Number.NaN, 1]), [3, 1]);
    const q = { exponent: 4, limit: 2 ** 20 };
    expect(Array.from(ops.eventCount(Tensor.full([3], 1), idx, 1, { weights: w, quantize: q }).data)).toEqual([32]);
    const tr = traceGraph('nan-w', (kit) => ({ ys: [ops.eventCount(kit.xs(0, 'f32', [3]), idx, 1, { weights: w, quantize: q })] }));
    const g = optimize(tr.graph, { verifyEach: true });
    for (const lowering of ['dispatch-chain', 'persistent-workgroup'] as const) {
      const gpu = await runOnGpu(ctx, g, 1, { xs: [new Float32Array(3).fill(1)], captured: tr.captured }, lowering);
      expect(Array.from(gpu.ys[0]!), lowering).toEqual([32]);
    }
    expect(() => ops.eventCount(Tensor.full([3], 1), idx, 1, { weights: w, quantize: { exponent: 128, limit: 2 ** 20 } })).toThrow(/exponent \(an integer in \[-126, 127\]/);
    // a limit the fan-in could overflow is refused (4 synapses into one target: 4 * 2^29 = 2^31 is one too many, so at most 2^28), counting the delivering rows only
    const four = idxTensor(new Int32Array(4), 4, 1);
    const w4 = Tensor.fromArray(new Float32Array(4).fill(1e9), [4, 1]);
    expect(() => ops.eventCount(Tensor.full([4], 1), four, 1, { weights: w4, quantize: { exponent: 30, limit: 2 ** 30 } }))
      .toThrow(/quantize.limit 1073741824 times the largest fan-in 4 exceeds 2\^31 - 1.*at most 2\^28/);
    expect(Array.from(ops.eventCount(Tensor.full([4], 1), four, 1, { weights: w4, quantize: { exponent: 30, limit: 2 ** 28 } }).data)).toEqual([2 ** 30]);
    expect(Array.from(ops.eventCount(Tensor.full([4], 1), four, 1, { weights: w4, quantize: { exponent: 30, limit: 2 ** 30 }, rows: [2, 3] }).data)).toEqual([2 ** 30]);
  });

  it.each(['dispatch-chain', 'persistent-workgroup'] as const)('random weights (some clipped), batched, step by step (%s)', async (lowering) => {
    const rng = mulberry32(300);
    const idx = connectivity(rng, N_PRE, N_POST, K);
    // |w| up to 24: beyond 2^24 / 2^20 = 16 the weight is clipped; every tenth weight a tie (k + 1/2) / 2^20
    const w = Float32Array.from({ length: N_PRE * K }, (_, i) => (i % 10 === 0 ? (randInt(rng, -200, 200) + 0.5) / 2 ** 20 : (rng() * 2 - 1) * (rng() < 0.1 ? 24 : 3)));
    const steps = 4, n = 2 * N_PRE;
    const xs = new Float32Array(steps * n);
    [0.2, 1, 0, 0.05].forEach((d, t) => xs.set(spikes(rng, n, d, 'f32'), t * n));
    const tr = traceGraph('event-f32w', (kit) => ({
      ys: [ops.eventCount(kit.xs(0, 'f32', [2, N_PRE]), idxTensor(idx, N_PRE, K), N_POST, { weights: Tensor.fromArray(w, [N_PRE, K]), quantize: Q })],
    }));
    const g = optimize(tr.graph, { verifyEach: true });
    const gpu = await runOnGpu(ctx, g, steps, { xs: [xs], captured: tr.captured }, lowering);
    const cpu = runOnCpu(g, steps, { xs: [xs], captured: tr.captured });
    const m = 2 * N_POST;
    for (let t = 0; t < steps; t++) {
      const want = quantizedReference(xs.subarray(t * n, (t + 1) * n), idx, w, N_PRE, K, N_POST);
      expectAllClose(cpu.ys[0]!.subarray(t * m, (t + 1) * m), want, EXACT, `reference step ${t}`);
      expectAllClose(gpu.ys[0]!.subarray(t * m, (t + 1) * m), want, EXACT, `GPU step ${t}`);
    }
  });
});

/**
 * arg.rows: only pre rows in [start, end) deliver, whatever the other rows' spikes (a population
 * inside a larger spike vector). The chain gives invocations to those rows only; the persistent
 * shader skips the others when listing spikes.
 */
describe('event_count restricted to a range of pre rows', () => {
  it('the CPU reference ignores rows outside; bad ranges are refused', () => {
    const idx = idxTensor(Int32Array.from([0, 1, 1, 2, 2, 0]), 3, 2);
    const sp = Tensor.full([3], 1);
    expect(Array.from(ops.eventCount(sp, idx, 3).data)).toEqual([2, 2, 2]);
    expect(Array.from(ops.eventCount(sp, idx, 3, { rows: [1, 3] }).data)).toEqual([1, 1, 2]);
    expect(Array.from(ops.eventCount(sp, idx, 3, { rows: [1, 1] }).data)).toEqual([0, 0, 0]);
    expect(() => ops.eventCount(sp, idx, 3, { rows: [2, 4] })).toThrow(/rows must be \[start, end\) with 0 <= start <= end <= 3/);
    expect(() => ops.eventCount(sp, idx, 3, { rows: [2, 1] })).toThrow(/rows must be/);
  });

  it.each([
    { lead: [] as number[], lowering: 'dispatch-chain' as const },
    { lead: [2], lowering: 'dispatch-chain' as const },
    { lead: [2], lowering: 'persistent-workgroup' as const },
    { lead: [], lowering: 'persistent-workgroup' as const },
  ])('lead [$lead], $lowering: spikes outside the rows never deliver (with weights too)', async ({ lead, lowering }) => {
    const rng = mulberry32(500 + lead.length);
    const idx = connectivity(rng, N_PRE, N_POST, K);
    const w = Int32Array.from({ length: N_PRE * K }, () => randInt(rng, -50, 50));
    const wf = Float32Array.from({ length: N_PRE * K }, () => (rng() * 2 - 1) * 3);
    const rows: [number, number] = [37, 101];
    const n = lead.reduce((a, d) => a * d, 1) * N_PRE;
    const steps = 4;
    const xs = new Float32Array(steps * n);
    [0.3, 1, 0.05, 0].forEach((d, t) => xs.set(spikes(rng, n, d, 'f32'), t * n));
    const tr = traceGraph('event-rows', (kit) => {
      const s = kit.xs(0, 'f32', [...lead, N_PRE]);
      return {
        ys: [
          ops.eventCount(s, idxTensor(idx, N_PRE, K), N_POST, { rows }),
          ops.eventCount(s, idxTensor(idx, N_PRE, K), N_POST, { weights: idxTensor(w, N_PRE, K), rows }),
          ops.eventCount(s, idxTensor(idx, N_PRE, K), N_POST, { weights: Tensor.fromArray(wf, [N_PRE, K]), quantize: { exponent: 20, limit: 2 ** 24 }, rows }),
        ],
      };
    });
    const g = optimize(tr.graph, { verifyEach: true });
    const inputs = { xs: [xs], captured: tr.captured };
    const gpu = await runOnGpu(ctx, g, steps, inputs, lowering);
    // the interpreter agrees bit for bit on all three (f32 weights with rows: the interpreter's
    // quantization is checked against an independent one in the describe above)
    const cpu = runOnCpu(g, steps, inputs);
    gpu.ys.forEach((y, k) => expectAllClose(y, cpu.ys[k]!, EXACT, `interpreter, output ${k}`));
    if (lowering === 'dispatch-chain') {
      const scatter = gpu.plan.kernels.find((k) => /event_scatter/.test(k.wgsl.split('\n')[0]!))!;
      expect(scatter.invocations).toBeLessThanOrEqual(2 * (n / N_PRE) * (rows[1] - rows[0]) + 2 * (n / N_PRE) * N_POST);
    }
    const m = (n / N_PRE) * N_POST;
    for (let t = 0; t < steps; t++) {
      const sp = xs.slice(t * n, (t + 1) * n);
      for (let i = 0; i < n; i++) if (i % N_PRE < rows[0] || i % N_PRE >= rows[1]) sp[i] = 0; // the rows that deliver
      expectAllClose(gpu.ys[0]!.subarray(t * m, (t + 1) * m), reference(sp, idx, N_PRE, K, N_POST), EXACT, `counts step ${t}`);
      const wsum = new Int32Array(m);
      for (let b = 0; b < n / N_PRE; b++) for (let p = 0; p < N_PRE; p++) {
        if (!sp[b * N_PRE + p]) continue;
        for (let j = 0; j < K; j++) wsum[b * N_POST + idx[p * K + j]!]! += w[p * K + j]!;
      }
      expectAllClose(gpu.ys[1]!.subarray(t * m, (t + 1) * m), wsum, EXACT, `weighted step ${t}`);
      // f32 weights, |w| < 3 so none clipped: sums of w 2^20 rounded half to even
      const qsum = new Int32Array(m);
      const even = (y: number) => (Math.abs(y - Math.trunc(y)) === 0.5 ? 2 * Math.round(y / 2) : Math.round(y));
      for (let b = 0; b < n / N_PRE; b++) for (let p = 0; p < N_PRE; p++) {
        if (!sp[b * N_PRE + p]) continue;
        for (let j = 0; j < K; j++) qsum[b * N_POST + idx[p * K + j]!]! += even(wf[p * K + j]! * 2 ** 20);
      }
      expectAllClose(gpu.ys[2]!.subarray(t * m, (t + 1) * m), qsum, EXACT, `f32 weights step ${t}`);
    }
  });
});
