/**
 * event_count: event-driven sparse spike propagation over fixed out-degree connectivity.
 *
 *   src = [spikes [..., nPre] (bool or f32; nonzero = spiked), indices i32 [nPre, k], weights?], arg = { nPost }
 *   out i32 [..., nPost]:  out[b, q] = #{ (p, j) : spikes[b, p] != 0 and indices[p, j] == q }
 *   with weights i32 [nPre, k]:  out[b, q] = sum of weights[p, j] over those (p, j), in wrapping
 *   32-bit two's-complement arithmetic; with f32 weights (trainable ones) and arg.quantize, the
 *   sum of quantizeWeight(weights[p, j]) (fixed point with a clip that cannot overflow)
 *
 * arg.rows = [start, end) restricts the delivering pre rows (a population inside a larger spike
 * vector: only its rows are scanned, in every lowering). Row p of `indices` lists the k
 * post-synaptic targets of pre neuron p (duplicates allowed, each
 * counts). Without weights the op delivers spike *counts*; the caller applies the weight as an
 * elementwise multiply (`counts * w`), which is exactly the homogeneous-weight case of the COBA
 * benchmark. Per-synapse weights are integers: the caller quantizes its float weights to a fixed
 * point chosen so that no sum can overflow (packages/models/src/fixed-point.ts) and scales the sums
 * back, so heterogeneous weights keep every property below (exact, order-free, identical on the
 * CPU and under every lowering) at the price of one rounding per weight, below f32's own.
 *
 * Why counts and integer atomics. On the GPU (codegen/emit-kernel.ts, emitEventCount) the counts
 * are cleared (by a zero kernel, or by their one reader after it loads them: lower.ts,
 * countsClearedByReader), then a scatter kernel with one invocation per (batch, pre neuron)
 * does, only if that neuron spiked, `atomicAdd(&counts[b*nPost + q], 1)`
 * for its k targets (the persistent workgroup lists the spiking neurons first and spreads their
 * targets over its invocations: emitEventCompacted). So the work is proportional to the spikes,
 * not to the synapses. Integer
 * addition is associative and commutative, so whatever order the atomics land in, the result is
 * the exact count: deterministic, bit-identical to the CPU reference below, and identical under
 * every lowering. The weight multiply afterwards is one f32 rounding per element, the same on the
 * CPU and the GPU.
 *  - Not f32 atomics: WGSL has none. Emulating them with an atomicCompareExchangeWeak loop on the
 *    bit pattern retries under contention (every spike of a step hits ~k targets, and popular
 *    targets collide) and, worse, makes the sum depend on the order in which the float additions
 *    win: results would differ from run to run and from the reference in the last bits, and spike
 *    trains of a chaotic network diverge from that. Fixed-point integer atomics fix the order
 *    problem but need a scale and an overflow bound per projection; for homogeneous weights the
 *    natural fixed point is the count itself.
 *  - Not a gather (one invocation per post neuron summing over its incoming synapses): it needs
 *    the transposed (in-degree) connectivity, and it touches every synapse every step, spiking or
 *    not, so its cost is nPost * k_in whatever the activity; at the ~1% of neurons that spike
 *    per 0.1 ms step in COBA that is ~100x the useful work. It is deterministic without atomics,
 *    which is why it was measured as the alternative (bench/experiments/event-vs-gather.ts).
 *
 * Measured (bench/experiments/event-vs-gather.ts: nPre = nPost = 4000, k = 80, Dawn on Mesa
 * lavapipe (llvmpipe, LLVM 15) on a 2-core box under load ~3.5; microseconds per step, median of 11
 * interleaved runs of 200-step dispatch chains; an empty dispatch costs ~6 us there):
 *   spiking    event (zero + scatter)   gather (CSR by post)   gather / event
 *   1%  (41)   ~110  (~40 + ~80)        ~1560                  ~14x
 *   10% (405)  ~420-440 (~40 + ~420)    ~1550                  ~3.6x
 * The gather costs the same at any activity; the scatter grows with the spikes (~1 us per 100
 * atomics here), so the crossover lies near 40% of neurons spiking per step, far above COBA's ~0.2%.
 *
 * Out-of-range targets: the CPU reference throws; `ops.eventCount` checks concrete indices at
 * trace time; the GPU kernel skips a target outside [0, nPost) rather than write another row.
 */
import type { Aval } from '../ir/node.ts';
import { sizeOf } from '../ir/shape.ts';
import { roundHalfEven, wgslLiteral } from './elementwise.ts';
import { nonDifferentiable, type HostArray, type Primitive } from './types.ts';
import * as ops from '../trace/ops.ts';
import { Tensor } from '../trace/tensor.ts';

export const eventCount: Primitive<'event_count'> = {
  op: 'event_count', kind: 'global',
  // The counts are integers, but for spikes of exactly 0 or 1 (what surrogate spike functions give)
  // count[b, q] = sum over edges p -> q of spikes[b, p]: the adjoint treats them as that sum (as
  // brainevent's event-driven products do), so each pre neuron receives the cotangents of its
  // targets: ct_spikes[b, p] = sum_j ct[b, indices[p, j]], one gather. The autodiff engines let a
  // cotangent reach event_count's integer output through the cast that makes it f32.
  // With integer weights, count[b, q] = sum over edges of weights[p, j] * spikes[b, p], and the
  // gather weighs each target's cotangent the same way.
  vjp: ({ inputs: [spikes, indices, weights], ct, needs, arg }) => {
    // rows outside arg.rows deliver nothing, so their spikes get no cotangent
    const inRows = (back: Tensor): Tensor => {
      const r = arg.rows;
      const nPre = (indices as Tensor).shape[0] as number;
      return !r || (r[0] === 0 && r[1] === nPre) ? back : ops.mul(back, rowMask(nPre, r));
    };
    if (weights === undefined) return [needs[0] ? inRows(ops.eventGather(ct, indices as Tensor)) : null, null];
    const w = weights as Tensor;
    if (w.dtype !== 'f32') return [needs[0] ? inRows(ops.eventGather(ct, indices as Tensor, w)) : null, null, null];
    // f32 weights enter as q(w) ~ w 2^e (straight through the rounding): d out / d w = 2^e spikes
    const scale = 2 ** (arg.quantize as QuantizeArg).exponent;
    return [
      needs[0] ? inRows(ops.mul(ops.eventGather(ct, indices as Tensor, w), scale)) : null,
      null,
      // weights of rows that never deliver get no gradient either
      needs[2] ? ops.mul(ops.eventOuter(arg.rows ? inRowsSpikes(spikes as Tensor, arg.rows) : (spikes as Tensor), ct, indices as Tensor), scale) : null,
    ];
  },
  infer(srcs, arg) {
    if (srcs.length !== 2 && srcs.length !== 3) throw new Error(`event_count takes [spikes, indices] or [spikes, indices, weights], got ${srcs.length} operand(s)`);
    const [spikes, indices, weights] = srcs as [Aval, Aval, Aval | undefined];
    if (spikes.dtype !== 'bool' && spikes.dtype !== 'f32') {
      throw new Error(`event_count: spikes must be bool or f32 (nonzero = spiked), got ${spikes.dtype}; compare with 0 first`);
    }
    if (spikes.shape.length < 1) throw new Error('event_count: spikes must have shape [..., nPre], got a scalar');
    if (indices.dtype !== 'i32') throw new Error(`event_count: indices must be i32, got ${indices.dtype}`);
    if (indices.shape.length !== 2) {
      throw new Error(`event_count: indices must have shape [nPre, k] (rank 2), got [${indices.shape.join(', ')}]`);
    }
    const nPre = spikes.shape[spikes.shape.length - 1] as number;
    if (indices.shape[0] !== nPre) {
      throw new Error(
        `event_count: indices has ${indices.shape[0]} rows but spikes has ${nPre} pre neurons (last dim of [${spikes.shape.join(', ')}]); ` +
          'indices must be [nPre, k]',
      );
    }
    if (weights) {
      checkWeights('event_count', weights, indices, ['i32', 'f32']);
      const qz = arg?.quantize;
      if (weights.dtype === 'f32' && !(qz && Number.isInteger(qz.exponent) && qz.exponent >= -126 && qz.exponent <= 127 && qz.limit > 0 && qz.limit <= 2 ** 30 && Number.isInteger(Math.log2(qz.limit)))) {
        throw new Error(
          `event_count: f32 weights need arg.quantize = { exponent (an integer in [-126, 127], so that 2^exponent is a normal f32), limit (a power of two, at most 2^30) }, got ${JSON.stringify(qz)}`,
        );
      }
    }
    const nPost = arg?.nPost;
    if (typeof nPost !== 'number' || !Number.isInteger(nPost) || nPost <= 0) {
      throw new Error(`event_count: nPost must be a positive integer, got ${String(nPost)}`);
    }
    const r = arg.rows;
    if (r !== undefined && !(Array.isArray(r) && r.length === 2 && Number.isInteger(r[0]) && Number.isInteger(r[1]) && r[0] >= 0 && r[0] <= r[1] && r[1] <= nPre)) {
      throw new Error(`event_count: rows must be [start, end) with 0 <= start <= end <= ${nPre} (the pre rows), got ${JSON.stringify(r)}`);
    }
    return { dtype: 'i32', shape: [...spikes.shape.slice(0, -1), nPost] };
  },
  evalCpu(srcs, arg, out) {
    const [spikes, indices, weights] = srcs as [HostArray, HostArray, HostArray | undefined];
    const nPre = spikes.shape[spikes.shape.length - 1] as number;
    const k = indices.shape[1] as number;
    const nPost = arg.nPost;
    const batch = nPre === 0 ? 0 : sizeOf(spikes.shape) / nPre;
    const data = new Int32Array(sizeOf(out.shape));
    const amount = weights === undefined ? () => 1
      : weights.dtype === 'f32' ? (s: number) => quantizeWeight(weights.data[s] as number, arg.quantize as QuantizeArg)
        : (s: number) => weights.data[s] as number;
    const [first, end] = arg.rows ?? [0, nPre];
    for (let b = 0; b < batch; b++) {
      const base = b * nPost;
      for (let p = first; p < end; p++) {
        if (spikes.data[b * nPre + p] === 0) continue;
        for (let j = 0; j < k; j++) {
          const q = indices.data[p * k + j] as number;
          if (!(q >= 0 && q < nPost)) throw new RangeError(`event_count: indices[${p}, ${j}] = ${q} is outside [0, ${nPost})`);
          // | 0 wraps as the GPU's i32 atomics do
          data[base + q] = ((data[base + q] as number) + amount(p * k + j)) | 0;
        }
      }
    }
    return { dtype: 'i32', shape: out.shape, data };
  },
  // a global op: emit-kernel.ts writes its two kernels (zero, scatter); there is no per-element expression
  emitWgsl() {
    throw new Error('event_count is a global op: its kernels come from emitKernel, not an elementwise expression');
  },
};

/** 1 on the pre rows [start, end) of n, 0 elsewhere (f32 [n]). */
function rowMask(n: number, rows: readonly [number, number]): Tensor {
  const mask = new Float32Array(n);
  mask.fill(1, rows[0], rows[1]);
  return Tensor.fromArray(mask, [n]);
}

/** The spikes with the columns outside `rows` zeroed (bool or f32 kept). */
function inRowsSpikes(spikes: Tensor, rows: readonly [number, number]): Tensor {
  const m = rowMask(spikes.shape[spikes.shape.length - 1] as number, rows);
  return spikes.dtype === 'bool' ? ops.binary('and', spikes, ops.compare('ne', m, 0)) : ops.mul(spikes, m);
}

/**
 * How event_count turns an f32 weight into the integer it adds: i32(round(clamp(w 2^e, -limit,
 * limit))), rounding half to even as WGSL's round does (quantizeWgsl below is that expression): w 2^e
 * is exact in f32 (a power of two), the clamp too, and rounding to even is exact at every
 * magnitude, so the CPU and every GPU agree. The limit keeps every target's sum inside i32 whatever
 * spikes (limit * fan-in <= 2^31 - 1); weights beyond it are clipped, not wrapped; NaN adds 0.
 */
export interface QuantizeArg {
  readonly exponent: number;
  readonly limit: number;
}

export function quantizeWeight(w: number, q: QuantizeArg): number {
  if (Number.isNaN(w)) return 0; // a diverged weight adds nothing, on the CPU and in WGSL alike
  return roundHalfEven(Math.min(Math.max(Math.fround(w * 2 ** q.exponent), -q.limit), q.limit));
}

/** quantizeWeight in WGSL, for the kernels (emit-kernel.ts): `w` an f32 expression, the result an i32. */
export function quantizeWgsl(w: string, q: QuantizeArg): string {
  const lim = wgslLiteral(q.limit, 'f32');
  // NaN adds 0 (clamp of NaN is not defined)
  return `select(0, i32(round(clamp(${w} * ${wgslLiteral(2 ** q.exponent, 'f32')}, -${lim}, ${lim}))), ${w} == ${w})`;
}

/** Per-synapse weights must be [nPre, k], like the indices they go with. */
function checkWeights(op: string, weights: Aval, indices: Aval, dtypes: readonly string[] = ['i32']): void {
  if (!dtypes.includes(weights.dtype)) throw new Error(`${op}: weights must be ${dtypes.join(' or ')}, got ${weights.dtype}`);
  if (weights.shape.join() !== indices.shape.join()) {
    throw new Error(`${op}: weights have shape [${weights.shape.join(', ')}] but indices [${indices.shape.join(', ')}]; one weight per synapse`);
  }
}

/** Throw unless every target in a concrete indices array lies in [0, nPost). */
export function checkEventIndices(indices: HostArray, nPost: number): void {
  const k = indices.shape[1] as number;
  for (let i = 0; i < indices.data.length; i++) {
    const q = indices.data[i] as number;
    if (!(q >= 0 && q < nPost)) {
      throw new Error(`event_count: indices[${Math.floor(i / k)}, ${i % k}] = ${q} is outside [0, ${nPost}) (nPost = ${nPost})`);
    }
  }
}

/**
 * The most synapses into any one target (`indices` flat, row-major [nPre, k]), counting only the
 * synapses in [from, to) when given (the delivering rows' ones).
 */
export function maxFanIn(indices: ArrayLike<number>, nPost: number, from = 0, to = indices.length): number {
  const fanIn = new Int32Array(nPost);
  for (let s = from; s < to; s++) fanIn[indices[s] as number]! += 1;
  return fanIn.reduce((a, b) => Math.max(a, b), 0);
}

/**
 * f32 weights are clipped to ±limit before they add up: limit × the largest fan-in of the delivering
 * rows must fit an i32, or a target's sum could wrap (concrete indices only; see ops.eventCount).
 */
export function checkQuantizeLimit(indices: HostArray, nPost: number, limit: number, rows?: readonly [number, number]): void {
  const k = indices.shape[1] as number;
  const fan = maxFanIn(indices.data, nPost, rows ? rows[0] * k : 0, rows ? rows[1] * k : indices.data.length);
  if (limit * fan > 2 ** 31 - 1) {
    throw new Error(
      `event_count: quantize.limit ${limit} times the largest fan-in ${fan} exceeds 2^31 - 1, so a target's sum could wrap; ` +
        `use a limit of at most 2^${Math.floor(Math.log2((2 ** 31 - 1) / fan))}`,
    );
  }
}

/**
 * event_gather: out[b, p] = sum_j x[b, indices[p, j]] (targets outside [0, nPost) skipped), summed
 * in j order, each term times weights[p, j] (i32 or f32, as f32) when given: event_count's adjoint. One invocation per (batch, pre neuron), k loads each: no
 * atomics, deterministic. Its own adjoint would be a float scatter-add (no f32 atomics in WGSL):
 * second derivatives through event_count are not defined.
 */
export const eventGather: Primitive<'event_gather'> = {
  op: 'event_gather', kind: 'global',
  vjp: nonDifferentiable('its adjoint is a float scatter-add, which WGSL cannot do deterministically (no second derivatives through event_count)'),
  infer(srcs) {
    if (srcs.length !== 2 && srcs.length !== 3) throw new Error(`event_gather takes [x, indices] or [x, indices, weights], got ${srcs.length} operand(s)`);
    const [x, indices, weights] = srcs as [Aval, Aval, Aval | undefined];
    if (x.dtype !== 'f32') throw new Error(`event_gather: x must be f32, got ${x.dtype}`);
    if (x.shape.length < 1) throw new Error('event_gather: x must have shape [..., nPost], got a scalar');
    if (indices.dtype !== 'i32' || indices.shape.length !== 2) {
      throw new Error(`event_gather: indices must be i32 [nPre, k], got ${indices.dtype} [${indices.shape.join(', ')}]`);
    }
    if (weights) checkWeights('event_gather', weights, indices, ['i32', 'f32']);
    return { dtype: 'f32', shape: [...x.shape.slice(0, -1), indices.shape[0] as number] };
  },
  evalCpu(srcs, _arg, out) {
    const [x, indices, weights] = srcs as [HostArray, HostArray, HostArray | undefined];
    const nPost = x.shape[x.shape.length - 1] as number;
    const [nPre, k] = indices.shape as [number, number];
    const batch = nPost === 0 ? 0 : sizeOf(x.shape) / nPost;
    const data = new Float32Array(sizeOf(out.shape));
    for (let b = 0; b < batch; b++) {
      for (let p = 0; p < nPre; p++) {
        let acc = 0;
        for (let j = 0; j < k; j++) {
          const q = indices.data[p * k + j] as number;
          if (!(q >= 0 && q < nPost)) continue;
          const v = x.data[b * nPost + q] as number;
          acc = Math.fround(acc + (weights ? Math.fround(Math.fround(weights.data[p * k + j] as number) * v) : v));
        }
        data[b * nPre + p] = acc;
      }
    }
    return { dtype: 'f32', shape: out.shape, data };
  },
  emitWgsl() {
    throw new Error('event_gather is a global op: its kernel comes from emitKernel, not an elementwise expression');
  },
};

/**
 * event_outer: the gradient of event_count's f32 weights. src = [spikes [..., nPre] (bool or f32),
 * x [..., nPost] f32, indices i32 [nPre, k]] -> f32 [nPre, k]:
 *   out[p, j] = sum_b spikes[b, p] * x[b, indices[p, j]]   (targets outside [0, nPost): 0)
 * the outer product spikes^T x sampled on the connectivity, summed over the batch in order. One
 * invocation per synapse: no atomics, deterministic. Not differentiable itself.
 */
export const eventOuter: Primitive<'event_outer'> = {
  op: 'event_outer', kind: 'global',
  vjp: nonDifferentiable('it is the adjoint of event_count\'s weights (no second derivatives through event_count)'),
  infer(srcs) {
    if (srcs.length !== 3) throw new Error(`event_outer takes [spikes, x, indices], got ${srcs.length} operand(s)`);
    const [spikes, x, indices] = srcs as [Aval, Aval, Aval];
    if (spikes.dtype !== 'bool' && spikes.dtype !== 'f32') throw new Error(`event_outer: spikes must be bool or f32, got ${spikes.dtype}`);
    if (x.dtype !== 'f32') throw new Error(`event_outer: x must be f32, got ${x.dtype}`);
    if (indices.dtype !== 'i32' || indices.shape.length !== 2) {
      throw new Error(`event_outer: indices must be i32 [nPre, k], got ${indices.dtype} [${indices.shape.join(', ')}]`);
    }
    const lead = (a: Aval) => a.shape.slice(0, -1).join();
    if (spikes.shape.length < 1 || x.shape.length !== spikes.shape.length || lead(spikes) !== lead(x)) {
      throw new Error(`event_outer: spikes [${spikes.shape.join(', ')}] and x [${x.shape.join(', ')}] must have the same leading (batch) axes`);
    }
    if (spikes.shape[spikes.shape.length - 1] !== indices.shape[0]) {
      throw new Error(`event_outer: spikes have ${spikes.shape[spikes.shape.length - 1]} pre neurons, indices ${indices.shape[0]} rows`);
    }
    return { dtype: 'f32', shape: [...indices.shape] };
  },
  evalCpu(srcs, _arg, out) {
    const [spikes, x, indices] = srcs as [HostArray, HostArray, HostArray];
    const nPost = x.shape[x.shape.length - 1] as number;
    const [nPre, k] = indices.shape as [number, number];
    const batch = nPre === 0 ? 0 : sizeOf(spikes.shape) / nPre;
    const data = new Float32Array(nPre * k);
    for (let p = 0; p < nPre; p++) {
      for (let j = 0; j < k; j++) {
        const q = indices.data[p * k + j] as number;
        if (!(q >= 0 && q < nPost)) continue;
        let acc = 0;
        for (let b = 0; b < batch; b++) {
          const s = spikes.data[b * nPre + p] as number;
          if (s !== 0) acc = Math.fround(acc + Math.fround(s * (x.data[b * nPost + q] as number)));
        }
        data[p * k + j] = acc;
      }
    }
    return { dtype: 'f32', shape: out.shape, data };
  },
  emitWgsl() {
    throw new Error('event_outer is a global op: its kernel comes from emitKernel, not an elementwise expression');
  },
};
