/**
 * The numeric API on Tensors that the units layer builds on. Plain numbers are accepted where a
 * Tensor is and take the other operand's dtype; mixed dtypes promote toward f32.
 */
import type { DType } from '../ir/dtype.ts';
import type { BinaryOp, CompareOp, ReduceOp, UnaryOp } from '../ir/ops.ts';
import { normAxes, sizeOf, type Shape } from '../ir/shape.ts';
import { ShapeError } from '../errors.ts';
import { checkEventIndices, checkQuantizeLimit } from '../primitives/event.ts';
import { bind } from './bind.ts';
import { prim } from '../primitives/index.ts';
import { currentTrace } from './trace.ts';
import { Tensor } from './tensor.ts';

export type TensorLike = Tensor | number;

function rank(d: DType): number {
  return d === 'bool' ? 0 : d === 'u32' ? 1 : d === 'i32' ? 2 : 3;
}

function promote(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') return [Tensor.scalar(a), Tensor.scalar(b)];
  if (typeof a === 'number') return [Tensor.scalar(a, (b as Tensor).dtype === 'bool' ? 'f32' : (b as Tensor).dtype), b as Tensor];
  if (typeof b === 'number') return [a, Tensor.scalar(b, a.dtype === 'bool' ? 'f32' : a.dtype)];
  if (a.dtype === b.dtype) return [a, b];
  const to = rank(a.dtype) > rank(b.dtype) ? a.dtype : b.dtype;
  return [cast(a, to), cast(b, to)];
}

function numeric(t: Tensor): Tensor {
  return t.dtype === 'bool' ? cast(t, 'f32') : t;
}

export function asTensor(x: TensorLike, dtype: DType = 'f32'): Tensor {
  return typeof x === 'number' ? Tensor.scalar(x, dtype) : x;
}

export function cast(x: Tensor, to: DType): Tensor {
  return x.dtype === to ? x : bind('cast', [x], { to });
}

export function unary(op: UnaryOp, x: TensorLike): Tensor {
  const t = asTensor(x);
  const floatOnly = !['neg', 'abs', 'sign', 'not'].includes(op);
  return bind(op, [op === 'not' ? cast(t, 'bool') : floatOnly ? cast(t, 'f32') : numeric(t)], null);
}

export function binary(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  let [x, y] = promote(a, b);
  if (op === 'and' || op === 'or') return bind(op, [cast(x, 'bool'), cast(y, 'bool')], null);
  if (op === 'pow') return bind(op, [cast(x, 'f32'), cast(y, 'f32')], null);
  if (x.dtype === 'bool') [x, y] = [cast(x, 'f32'), cast(y, 'f32')];
  return bind(op, [x, y], null);
}

export function compare(op: CompareOp, a: TensorLike, b: TensorLike): Tensor {
  let [x, y] = promote(a, b);
  if (x.dtype === 'bool' && op !== 'eq' && op !== 'ne') [x, y] = [cast(x, 'f32'), cast(y, 'f32')];
  return bind(op, [x, y], null);
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b);
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('max', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('min', a, b);
export const neg = (x: TensorLike): Tensor => unary('neg', x);

export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = promote(a, b);
  return bind('where', [cast(asTensor(cond, 'bool'), 'bool'), x, y], null);
}

export function reduce(op: ReduceOp, x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  const ax = normAxes(axes === undefined ? undefined : typeof axes === 'number' ? [axes] : axes, x.ndim);
  const t = numeric(x);
  if (ax.length === 0) return t;
  return bind(op, [t], { axes: ax, keepdims });
}

export function mean(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  const s = reduce('sum', cast(x, 'f32'), axes, keepdims);
  const count = sizeOf(x.shape) / Math.max(1, sizeOf(s.shape));
  return mul(s, 1 / count);
}

export function reshape(x: Tensor, shape: Shape): Tensor {
  return bind('reshape', [x], { shape: [...shape] });
}

export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  return x.dtype === 'bool' ? binary('or', x, Tensor.full(shape, 0, 'bool')) : add(x, Tensor.full(shape, 0, x.dtype));
}

/** event_count's optional operands (primitives/event.ts). */
export interface EventCountOptions {
  /** One weight per synapse, [nPre, k]: i32 (fixed point, added as is) or f32 (needs `quantize`). */
  weights?: Tensor;
  /** How f32 weights become integers: quantizeWeight(w) = round(clamp(w 2^exponent, -limit, limit)). */
  quantize?: { exponent: number; limit: number };
  /** Only pre rows in [start, end) deliver (a population inside a larger spike vector). */
  rows?: readonly [number, number];
}

/**
 * Event-driven spike propagation over fixed out-degree connectivity: `spikes` [..., nPre] (bool or
 * f32, nonzero = spiked), `indices` i32 [nPre, k] (row p: the k targets of pre neuron p). Returns
 * i32 [..., nPost], the number of spikes each post neuron receives this step (duplicates count),
 * or with `weights` the sum of the delivering synapses' (integer) weights. Multiply by a
 * homogeneous weight, or scale the fixed point back, to get the delivered input. See
 * primitives/event.ts.
 */
export function eventCount(spikes: Tensor, indices: Tensor, nPost: number, opts: EventCountOptions = {}): Tensor {
  // concrete connectivity is checked once here, so a bad target is a trace-time error, not a skipped write
  const { weights, quantize, rows } = opts;
  if (!indices.isTraced && indices.dtype === 'i32' && indices.ndim === 2 && Number.isInteger(nPost) && nPost > 0) {
    try {
      checkEventIndices(indices.toHost(), nPost);
      const rowsOk = !rows || (Array.isArray(rows) && rows[0] >= 0 && rows[0] <= rows[1] && rows[1] <= (indices.shape[0] as number));
      if (quantize && quantize.limit > 0 && rowsOk) checkQuantizeLimit(indices.toHost(), nPost, quantize.limit, rows);
    } catch (e) {
      throw new ShapeError((e as Error).message);
    }
  }
  return bind('event_count', weights === undefined ? [spikes, indices] : [spikes, indices, weights], {
    nPost, ...(quantize ? { quantize: { ...quantize } } : {}), ...(rows ? { rows: [rows[0], rows[1]] as [number, number] } : {}),
  });
}

/**
 * out[..., p] = sum_j weights[p, j] * x[..., indices[p, j]] (weights 1 when absent): cotangents of
 * event_count's targets gathered back to its sources.
 */
export function eventGather(x: Tensor, indices: Tensor, weights?: Tensor): Tensor {
  return bind('event_gather', weights === undefined ? [cast(x, 'f32'), indices] : [cast(x, 'f32'), indices, weights], null);
}

/** x[start:end] along every axis (one start and end per axis). See primitives/slice.ts. */
export function slice(x: Tensor, start: readonly number[], end: readonly number[]): Tensor {
  return bind('slice', [x], { start: [...start], end: [...end] });
}

/**
 * x[..., start:end] along one axis (default the last; negative counts from the end), as numpy's
 * slicing of that axis.
 */
export function sliceAxis(x: Tensor, start: number, end: number, axis = -1): Tensor {
  const r = x.shape.length;
  const k = axis < 0 ? axis + r : axis;
  if (!(Number.isInteger(axis) && k >= 0 && k < r)) throw new ShapeError(`sliceAxis: axis ${axis} is not an axis of shape [${x.shape.join(', ')}]`);
  return slice(x, x.shape.map((_, j) => (j === k ? start : 0)), x.shape.map((d, j) => (j === k ? end : d)));
}

/** Zeros (false) around x: low[k] before and high[k] after axis k. See primitives/slice.ts. */
export function pad(x: Tensor, low: readonly number[], high: readonly number[]): Tensor {
  return bind('pad', [x], { low: [...low], high: [...high] });
}

/**
 * Row `index` (an i32 scalar, usually traced: a ring buffer's pointer) of x [L, ...rest], clamped
 * into [0, L): one load per element. See primitives/take.ts.
 */
/** A row index given as a number must be a whole one (a Tensor index is cast to i32 on the device). */
function rowIndex(op: string, index: TensorLike): Tensor {
  if (typeof index === 'number' && !Number.isInteger(index)) throw new ShapeError(`${op}: a row index must be an integer, got ${index}`);
  return asTensor(index, 'i32');
}

export function takeRow(x: Tensor, index: TensorLike): Tensor {
  return bind('take_row', [x, rowIndex('takeRow', index)], null);
}

/**
 * out[p, j] = sum_b spikes[b, p] x[b, indices[p, j]]: the gradient of event_count's f32 weights
 * (primitives/event.ts).
 */
export function eventOuter(spikes: Tensor, x: Tensor, indices: Tensor): Tensor {
  return bind('event_outer', [spikes, cast(x, 'f32'), indices], null);
}

/** x [L, ...rest] with row `index` (clamped into [0, L)) replaced by v [...rest]. See primitives/take.ts. */
export function putRow(x: Tensor, index: TensorLike, v: Tensor): Tensor {
  return bind('put_row', [x, rowIndex('putRow', index), v.dtype === x.dtype ? v : cast(v, x.dtype)], null);
}

/** A raster as a bitfield along the last axis: u32 words, bit j of word w = x[..., 32w + j] != 0. */
export function packBits(x: Tensor): Tensor {
  return bind('pack_bits', [x], null);
}

/** Host-side inverse of packBits for one row of `n` values (index list of the set bits). */
export function unpackBitsRow(words: ArrayLike<number>, offset: number, n: number): number[] {
  const out: number[] = [];
  for (let w = 0; w * 32 < n; w++) {
    let x = (words[offset + w] as number) >>> 0;
    while (x !== 0) {
      const j = 31 - Math.clz32(x & -x);
      out.push(w * 32 + j);
      x = (x & (x - 1)) >>> 0;
    }
  }
  return out;
}

let eagerDraws = 0;

/**
 * Uniform random numbers in [0, 1) of `shape`, from a counter-based generator (primitives/random.ts).
 * Inside a transform every step draws afresh (the step index is a counter) and each call in the
 * step is its own stream; the GPU and the CPU reference give the same bits. Outside transforms
 * each call draws a new sample.
 */
export function randUniform(shape: readonly number[], seed = 0): Tensor {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`randUniform: shape must list non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Number.isInteger(seed)) throw new RangeError(`randUniform: seed must be an integer, got ${String(seed)}`);
  const tr = currentTrace();
  const aval = { dtype: 'f32' as const, shape: [...shape] };
  if (tr) return tr.add('rand_uniform', [], { seed: seed >>> 0, stream: tr.nextStream() }, aval);
  return Tensor.fromHost(prim('rand_uniform').evalCpu([], { seed: seed >>> 0, stream: 0xffffffff }, aval, eagerDraws++));
}

/**
 * Standard normal random numbers of `shape` (Box-Muller over two randUniform draws, each its own
 * stream): sqrt(-2 log1p(-u1)) cos(2 pi (u2 - 1/2)). The uniform bits are the same on the CPU and
 * the GPU; the normals agree to the float32 log1p/sqrt/cos. Written so that real GPUs keep that
 * promise: log(1 - u1) near 1 is only absolutely accurate on GPUs (WGSL asks 2^-21 in [0.5, 2];
 * an H100 gave 0.0042988 for the reference's 0.0043098), while log1p(-u1) of the exact -u1 is relatively
 * accurate everywhere (a series below 0.3); and cos is only specified on [-pi, pi].
 */
export function randNormal(shape: readonly number[], seed = 0): Tensor {
  const u1 = randUniform(shape, seed);
  const u2 = randUniform(shape, seed);
  const r = unary('sqrt', mul(unary('log1p', mul(u1, -1)), -2));
  return mul(r, unary('cos', mul(sub(u2, 0.5), 2 * Math.PI)));
}

/** x [..., n] @ w [n, m] -> [..., m]. */
export function matmul(x: Tensor, w: Tensor): Tensor {
  return bind('matmul', [cast(x, 'f32'), cast(w, 'f32')], null);
}

/** x [..., m] @ w^T for w [n, m] -> [..., n]. */
export function matmulWt(x: Tensor, w: Tensor): Tensor {
  return bind('matmul_wt', [cast(x, 'f32'), cast(w, 'f32')], null);
}

/** x^T @ y over every leading row: x [R..., n], y [R..., m] -> [n, m]. */
export function matmulXt(x: Tensor, y: Tensor): Tensor {
  return bind('matmul_xt', [cast(x, 'f32'), cast(y, 'f32')], null);
}

/** x itself, with a zero adjoint: nothing flows back through it (jax.lax.stop_gradient). */
export function stopGradient(x: Tensor): Tensor {
  return bind('stop_gradient', [x], null);
}

/**
 * The spike `x >= 0 -> 1.0` whose adjoint is the derivative of the surrogate `surrogate` with
 * `params` (braintools' heaviside_p; primitives/surrogate.ts has the table).
 */
export function heaviside(x: TensorLike, surrogate: string, params: readonly number[]): Tensor {
  return bind('heaviside', [cast(asTensor(x), 'f32')], { surrogate, params: [...params] });
}
