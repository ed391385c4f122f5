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

/** A bool [L, 1, ...] mask of the row clamp(index) of an array of `shape` (the adjoints' selector). */
function isRow(shape: readonly number[], index: Tensor): Tensor {
  const L = shape[0] as number;
  const rows = Tensor.fromArray(Int32Array.from({ length: L }, (_, r) => r), [L, ...shape.slice(1).map(() => 1)], 'i32');
  return ops.compare('eq', rows, ops.minimum(ops.maximum(index, 0), L - 1));
}

export const takeRow: Primitive<'take_row'> = {
  op: 'take_row', kind: 'global',
  vjp: ({ inputs: [x, index], ct, needs }) => [needs[0] ? ops.where(isRow((x as Tensor).shape, index as Tensor), ct, 0) : null, null],
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

/**
 * put_row: x with one row replaced at a traced index, x [L, ...rest], index i32 [], v [...rest] ->
 * [L, ...rest] (JAX's dynamic_update_index_in_dim, clamped as take_row). A ring buffer's write
 * (packages/models/src/delay.ts). As a value it is a copy with the row replaced; when x is a
 * State and the result that State's new value, read by nothing after the write, the lowering does
 * it in place: one store per element of the row instead of a new buffer (lower.ts, inPlaceRows).
 * Adjoint: the cotangent of x with the row zeroed, and the row's cotangent for v.
 */
export const putRow: Primitive<'put_row'> = {
  op: 'put_row', kind: 'global',
  vjp: ({ inputs: [x, index], ct, needs }) => [
    needs[0] ? ops.where(isRow((x as Tensor).shape, index as Tensor), 0, ct) : null,
    null,
    needs[2] ? ops.takeRow(ct, index as Tensor) : null,
  ],
  infer(srcs) {
    if (srcs.length !== 3) throw new Error(`put_row takes [x, index, v], got ${srcs.length} operand(s)`);
    const [x, index, v] = srcs as [Aval, Aval, Aval];
    if (x.shape.length < 1 || (x.shape[0] as number) < 1) throw new Error(`put_row: x must have at least one row, got shape [${x.shape.join(', ')}]`);
    if (index.dtype !== 'i32' || index.shape.length !== 0) {
      throw new Error(`put_row: the index must be an i32 scalar, got ${index.dtype} [${index.shape.join(', ')}]`);
    }
    if (v.dtype !== x.dtype || v.shape.join() !== x.shape.slice(1).join()) {
      throw new Error(`put_row: the row must be ${x.dtype} [${x.shape.slice(1).join(', ')}] (a row of x), got ${v.dtype} [${v.shape.join(', ')}]`);
    }
    return { dtype: x.dtype, shape: [...x.shape] };
  },
  evalCpu([x, index, v], _arg, out) {
    const src = x as HostArray;
    const L = src.shape[0] as number;
    const n = sizeOf(out.shape) / L;
    const r = clampRow((index as HostArray).data[0] as number, L);
    const data = allocArray(src.dtype, sizeOf(out.shape));
    data.set(src.data as never);
    data.set((v as HostArray).data as never, r * n);
    return { dtype: src.dtype, shape: out.shape, data };
  },
  emitWgsl() {
    throw new Error('put_row is a global op: emit-kernel.ts emits its kernel');
  },
};
