/**
 * slice and pad: static windows of an array, each the other's adjoint (JAX's lax.slice and
 * lax.pad with zero padding and no interior padding).
 *
 *   slice  src = [x], arg = { start, end } (one entry per axis, 0 <= start <= end <= dim):
 *          out [end - start], out[c] = x[c + start]   (numpy's x[s0:e0, s1:e1, ...])
 *   pad    src = [x], arg = { low, high } (non-negative, one per axis):
 *          out [low + dim + high], out[c] = x[c - low] inside, 0 (false) outside
 *
 * Global ops: an output element reads an input element at another flat index (their kernels are
 * one invocation per output element, in emit-kernel.ts). Slicing a spike vector into the
 * populations that feed different projections is brainpy's `spk[:nE]`.
 */
import { allocArray } from '../ir/dtype.ts';
import type { Aval } from '../ir/node.ts';
import { sizeOf, stridesOf } from '../ir/shape.ts';
import * as ops from '../trace/ops.ts';
import type { Tensor } from '../trace/tensor.ts';
import type { HostArray, Primitive } from './types.ts';

function checkPerAxis(op: string, what: string, v: unknown, rank: number): number[] {
  if (!Array.isArray(v) || v.length !== rank || !v.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: ${what} must list one non-negative integer per axis (${rank}), got ${JSON.stringify(v)}`);
  }
  return v as number[];
}

/** Calls `f(outFlat, srcFlat)` for every output element that has a source element. */
function forEachMapped(outShape: readonly number[], srcShape: readonly number[], offset: readonly number[], f: (o: number, s: number) => void): void {
  const os = stridesOf(outShape), ss = stridesOf(srcShape);
  const n = sizeOf(outShape);
  outer: for (let o = 0; o < n; o++) {
    let s = 0;
    for (let k = 0; k < outShape.length; k++) {
      const c = Math.floor(o / (os[k] as number)) % (outShape[k] as number) + (offset[k] as number);
      if (c < 0 || c >= (srcShape[k] as number)) continue outer;
      s += c * (ss[k] as number);
    }
    f(o, s);
  }
}

export const slice: Primitive<'slice'> = {
  op: 'slice', kind: 'global',
  vjp: ({ inputs: [x], ct, arg }) => {
    const shape = (x as Tensor).shape;
    return [ops.pad(ct, arg.start, shape.map((d, k) => d - (arg.end[k] as number)))];
  },
  infer([x], arg) {
    const a = x as Aval;
    const start = checkPerAxis('slice', 'start', arg?.start, a.shape.length);
    const end = checkPerAxis('slice', 'end', arg?.end, a.shape.length);
    a.shape.forEach((d, k) => {
      if (!((start[k] as number) <= (end[k] as number) && (end[k] as number) <= d)) {
        throw new Error(`slice: axis ${k} of [${a.shape.join(', ')}] cannot be sliced ${start[k]}:${end[k]} (need 0 <= start <= end <= ${d})`);
      }
    });
    return { dtype: a.dtype, shape: end.map((e, k) => e - (start[k] as number)) };
  },
  evalCpu([x], arg, out) {
    const src = x as HostArray;
    const data = allocArray(src.dtype, sizeOf(out.shape));
    forEachMapped(out.shape, src.shape, arg.start, (o, s) => { data[o] = src.data[s] as number; });
    return { dtype: src.dtype, shape: out.shape, data };
  },
  emitWgsl() {
    throw new Error('slice is a global op: emit-kernel.ts emits its kernel');
  },
};

export const pad: Primitive<'pad'> = {
  op: 'pad', kind: 'global',
  vjp: ({ inputs: [x], ct, arg }) => {
    const shape = (x as Tensor).shape;
    return [ops.slice(ct, arg.low, shape.map((d, k) => d + (arg.low[k] as number)))];
  },
  infer([x], arg) {
    const a = x as Aval;
    const low = checkPerAxis('pad', 'low', arg?.low, a.shape.length);
    const high = checkPerAxis('pad', 'high', arg?.high, a.shape.length);
    return { dtype: a.dtype, shape: a.shape.map((d, k) => d + (low[k] as number) + (high[k] as number)) };
  },
  evalCpu([x], arg, out) {
    const src = x as HostArray;
    const data = allocArray(src.dtype, sizeOf(out.shape));
    forEachMapped(out.shape, src.shape, arg.low.map((l) => -l), (o, s) => { data[o] = src.data[s] as number; });
    return { dtype: src.dtype, shape: out.shape, data };
  },
  emitWgsl() {
    throw new Error('pad is a global op: emit-kernel.ts emits its kernel');
  },
};
