/** Reductions over axes. Global ops: each output element reads many input elements, so a reduction gets its own kernel. */
import { allocArray } from '../ir/dtype.ts';
import type { Aval } from '../ir/node.ts';
import type { ReduceOp } from '../ir/ops.ts';
import { normAxes, sizeOf, stridesOf } from '../ir/shape.ts';
import type { HostArray, Primitive, VjpRule } from './types.ts';
import * as ops from '../trace/ops.ts';
import type { Tensor } from '../trace/tensor.ts';
import { broadcastTo, keepReduced } from '../autodiff/unbroadcast.ts';

/**
 * sum: the cotangent broadcast back over the reduced axes. rmax/rmin: the cotangent goes to the
 * positions that attain the extremum, split equally between ties (as jax's reduce_max rule).
 */
function reduceVjp(op: ReduceOp): VjpRule<ReduceOp> {
  return ({ inputs: [x], out, ct, arg }) => {
    const src = x as Tensor;
    const ctK = keepReduced(ct, src.shape, arg.axes);
    if (op === 'sum') return [broadcastTo(ctK, src.shape)];
    const hit = ops.cast(ops.compare('eq', src, keepReduced(out, src.shape, arg.axes)), 'f32');
    const count = ops.reduce('sum', hit, arg.axes, true);
    return [ops.mul(ops.div(hit, count), ctK)];
  };
}

interface ReduceDef {
  identity: number;
  combine: (acc: number, x: number) => number;
  /** WGSL for folding x into acc. */
  wgsl: (acc: string, x: string) => string;
  wgslIdentity: string;
}

export const REDUCERS: Record<ReduceOp, ReduceDef> = {
  sum: { identity: 0, combine: (a, x) => Math.fround(a + x), wgsl: (a, x) => `${a} + ${x}`, wgslIdentity: '0' },
  rmax: { identity: -Infinity, combine: Math.max, wgsl: (a, x) => `max(${a}, ${x})`, wgslIdentity: '-inf' },
  rmin: { identity: Infinity, combine: Math.min, wgsl: (a, x) => `min(${a}, ${x})`, wgslIdentity: 'inf' },
};

export function reduceShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  const ax = new Set(axes);
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!ax.has(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

function reduce(op: ReduceOp): Primitive<ReduceOp> {
  const d = REDUCERS[op];
  return {
    op, kind: 'global', vjp: reduceVjp(op),
    infer([x], arg) {
      const a = x as Aval;
      if (a.dtype === 'bool') throw new Error(`${op} needs numeric input, got bool`);
      const axes = normAxes(arg.axes, a.shape.length);
      return { dtype: a.dtype, shape: reduceShape(a.shape, axes, arg.keepdims) };
    },
    evalCpu([x], arg, out) {
      const src = x as HostArray;
      const axes = new Set(normAxes(arg.axes, src.shape.length));
      const data = allocArray(out.dtype, sizeOf(out.shape));
      const identity = out.dtype === 'f32' ? d.identity : op === 'sum' ? 0
        : op === 'rmax' ? (out.dtype === 'i32' ? -2147483648 : 0) : (out.dtype === 'i32' ? 2147483647 : 4294967295);
      data.fill(identity);
      // integer sums wrap like WGSL's; float sums round to f32 at every addition
      const combine = op !== 'sum' || out.dtype === 'f32' ? d.combine : (a: number, x: number) => a + x;
      // output strides laid over the input's dims (0 on reduced axes)
      const kept = reduceShape(src.shape, [...axes], true);
      const ost = stridesOf(kept).map((s, i) => (axes.has(i) ? 0 : s));
      const rank = src.shape.length;
      const idx = new Array<number>(rank).fill(0);
      const n = sizeOf(src.shape);
      for (let i = 0; i < n; i++) {
        let o = 0;
        for (let k = 0; k < rank; k++) o += (idx[k] as number) * (ost[k] as number);
        data[o] = combine(data[o] as number, src.data[i] as number);
        for (let k = rank - 1; k >= 0; k--) {
          idx[k] = (idx[k] as number) + 1;
          if ((idx[k] as number) < (src.shape[k] as number)) break;
          idx[k] = 0;
        }
      }
      return { dtype: out.dtype, shape: out.shape, data };
    },
    emitWgsl([acc, x]) {
      return d.wgsl(acc as string, x as string);
    },
  };
}

export const reducePrims = {
  sum: reduce('sum'),
  rmax: reduce('rmax'),
  rmin: reduce('rmin'),
} as { [O in ReduceOp]: Primitive<O> };

export const reshape: Primitive<'reshape'> = {
  op: 'reshape', kind: 'global', vjp: ({ inputs: [x], ct }) => [ops.reshape(ct, (x as Tensor).shape)],
  infer([x], arg) {
    const a = x as Aval;
    if (sizeOf(arg.shape) !== sizeOf(a.shape)) {
      throw new Error(`reshape: cannot reshape [${a.shape.join(', ')}] into [${arg.shape.join(', ')}]`);
    }
    return { dtype: a.dtype, shape: arg.shape };
  },
  evalCpu([x], _arg, out) {
    return { dtype: out.dtype, shape: out.shape, data: (x as HostArray).data.slice() };
  },
  // a reshape kernel copies element i to element i
  emitWgsl([x]) {
    return x as string;
  },
};
