/**
 * take_row: one row of an array at a traced index, x [L, ...rest], index i32 [] -> [...rest],
 * out[e] = x[clamp(index, 0, L - 1), e] (JAX's dynamic_index_in_dim, which clamps too). A ring
 * buffer's read (packages/models/src/delay.ts) at a step-dependent row costs one load per element
 * this way, not L (a sum over rows of `where(row == wanted, x, 0)`).
 *
 * Global: the element an invocation reads depends on a value computed at run time, so its operand
 * must be complete first (one invocation per output element; its kernel is in emit-kernel.ts).
 * Adjoint: the cotangent goes back into the row that was read, zeros elsewhere:
 * ct_x = where(iota_L == clamp(index), ct, 0), an elementwise expression.
 */
import { allocArray } from '../ir/dtype.ts';
import type { Aval } from '../ir/node.ts';
import { sizeOf } from '../ir/shape.ts';
import * as ops from '../trace/ops.ts';
import { Tensor } from '../trace/tensor.ts';
import type { HostArray, Primitive } from './types.ts';

/** The row `index` selects in an array of L rows. */
export function clampRow(index: number, L: number): number {
  return Math.min(Math.max(index, 0), L - 1);
}

export const takeRow: Primitive<'take_row'> = {
  op: 'take_row', kind: 'global',
  vjp: ({ inputs: [x, index], ct, needs }) => {
    if (!needs[0]) return [null, null];
    const shape = (x as Tensor).shape;
    const L = shape[0] as number;
    const rows = Tensor.fromArray(Int32Array.from({ length: L }, (_, r) => r), [L, ...shape.slice(1).map(() => 1)], 'i32');
    const row = ops.minimum(ops.maximum(index as Tensor, 0), L - 1);
    return [ops.where(ops.compare('eq', rows, row), ct, 0), null];
  },
  infer(srcs) {
    if (srcs.length !== 2) throw new Error(`take_row takes [x, index], got ${srcs.length} operand(s)`);
    const [x, index] = srcs as [Aval, Aval];
    if (x.shape.length < 1 || (x.shape[0] as number) < 1) throw new Error(`take_row: x must have at least one row, got shape [${x.shape.join(', ')}]`);
    if (index.dtype !== 'i32' || index.shape.length !== 0) {
      throw new Error(`take_row: the index must be an i32 scalar, got ${index.dtype} [${index.shape.join(', ')}]`);
    }
    return { dtype: x.dtype, shape: x.shape.slice(1) };
  },
  evalCpu([x, index], _arg, out) {
    const src = x as HostArray;
    const L = src.shape[0] as number;
    const n = sizeOf(out.shape);
    const r = clampRow((index as HostArray).data[0] as number, L);
    const data = allocArray(src.dtype, n);
    data.set(src.data.subarray(r * n, (r + 1) * n) as never);
    return { dtype: src.dtype, shape: out.shape, data };
  },
  emitWgsl() {
    throw new Error('take_row is a global op: emit-kernel.ts emits its kernel');
  },
};
