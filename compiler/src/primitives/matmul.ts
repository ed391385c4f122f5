/**
 * Dense products (dense layers, AllToAll, readouts, and their adjoints):
 *   matmul    x [..., n] @ w [n, m]   -> [..., m]
 *   matmul_wt x [..., m] @ w^T, w [n, m] -> [..., n]      (the cotangent of x)
 *   matmul_xt x^T @ y, x [R..., n], y [R..., m] -> [n, m]  (the cotangent of w: a sum of outer
 *             products over every leading row, batch and, in a reverse loop, step by step)
 * Global: each output reads a row or column of each operand. The kernels (emit-kernel.ts) give
 * one invocation per output element and accumulate in the order the references here do, so the
 * f32 sums agree to rounding of the products (no reassociation). The three are closed under the
 * adjoint: no broadcast temporaries.
 */
import { allocArray } from '../ir/dtype.ts';
import type { Aval } from '../ir/node.ts';
import { sizeOf } from '../ir/shape.ts';
import type { HostArray, Primitive } from './types.ts';
import * as ops from '../trace/ops.ts';
import type { Tensor } from '../trace/tensor.ts';

const f32s = (a: Aval, b: Aval, op: string): void => {
  if (a.dtype !== 'f32' || b.dtype !== 'f32') throw new Error(`${op} needs f32 operands, got ${a.dtype} and ${b.dtype}`);
  if (a.shape.length < 1) throw new Error(`${op}: x needs at least one axis`);
};
const last = (a: Aval): number => a.shape[a.shape.length - 1] as number;

/** out[r, j] = sum_q a[r, q] b[q, j] (strides given), accumulated in q order in float32. */
function product(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, cols: number, inner: number,
  aAt: (r: number, q: number) => number, bAt: (q: number, j: number) => number, out: Aval): HostArray {
  const data = allocArray('f32', sizeOf(out.shape));
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      let acc = 0;
      for (let q = 0; q < inner; q++) acc = Math.fround(acc + Math.fround((a[aAt(r, q)] as number) * (b[bAt(q, j)] as number)));
      data[r * cols + j] = acc;
    }
  }
  return { dtype: 'f32', shape: out.shape, data };
}

/** The shape of x [..., c] times w [n, m] contracted over w's axis `axis` (0: x @ w, 1: x @ w^T). */
function matrixProduct(op: string, a: Aval, b: Aval, axis: 0 | 1): Aval {
  f32s(a, b, op);
  if (b.shape.length !== 2) throw new Error(`${op}: w must be a matrix [n, m], got [${b.shape.join(', ')}]`);
  if (last(a) !== b.shape[axis]) throw new Error(`${op}: x has ${last(a)} columns, w has ${b.shape[axis]} ${axis === 0 ? 'rows' : 'columns'}`);
  return { dtype: 'f32', shape: [...a.shape.slice(0, -1), b.shape[1 - axis] as number] };
}

const globalOnly = (op: string) => (): never => {
  throw new Error(`${op} is a global op: emit-kernel.ts emits its kernel`);
};

export const matmul: Primitive<'matmul'> = {
  op: 'matmul', kind: 'global',
  // dx = ct @ w^T, dw = x^T @ ct (over every leading row of x)
  vjp: ({ inputs: [x, w], ct, needs }) => [
    needs[0] ? ops.matmulWt(ct, w as Tensor) : null,
    needs[1] ? ops.matmulXt(x as Tensor, ct) : null,
  ],
  infer: ([x, w]) => matrixProduct('matmul', x as Aval, w as Aval, 0),
  evalCpu([x, w], _arg, out) {
    const a = x as HostArray, b = w as HostArray;
    const n = last(a), m = b.shape[1] as number;
    return product(a.data, b.data, sizeOf(a.shape) / n, m, n, (r, q) => r * n + q, (q, j) => q * m + j, out);
  },
  emitWgsl: globalOnly('matmul'),
};

export const matmulWt: Primitive<'matmul_wt'> = {
  op: 'matmul_wt', kind: 'global',
  // y = x @ w^T: dx = ct @ w, dw = ct^T @ x
  vjp: ({ inputs: [x, w], ct, needs }) => [
    needs[0] ? ops.matmul(ct, w as Tensor) : null,
    needs[1] ? ops.matmulXt(ct, x as Tensor) : null,
  ],
  infer: ([x, w]) => matrixProduct('matmul_wt', x as Aval, w as Aval, 1),
  evalCpu([x, w], _arg, out) {
    const a = x as HostArray, b = w as HostArray;
    const m = last(a), n = b.shape[0] as number;
    return product(a.data, b.data, sizeOf(a.shape) / m, n, m, (r, q) => r * m + q, (q, k) => k * m + q, out);
  },
  emitWgsl: globalOnly('matmul_wt'),
};

export const matmulXt: Primitive<'matmul_xt'> = {
  op: 'matmul_xt', kind: 'global',
  // z = x^T @ y: dx = y @ ct^T, dy = x @ ct
  vjp: ({ inputs: [x, y], ct, needs }) => [
    needs[0] ? ops.matmulWt(y as Tensor, ct) : null,
    needs[1] ? ops.matmul(x as Tensor, ct) : null,
  ],
  infer([x, y]) {
    const a = x as Aval, b = y as Aval;
    f32s(a, b, 'matmul_xt');
    if (b.shape.length < 1) throw new Error('matmul_xt: y needs at least one axis');
    if (a.shape.slice(0, -1).join() !== b.shape.slice(0, -1).join()) {
      throw new Error(`matmul_xt: x [${a.shape.join(', ')}] and y [${b.shape.join(', ')}] must have the same leading axes`);
    }
    return { dtype: 'f32', shape: [last(a), last(b)] };
  },
  evalCpu([x, y], _arg, out) {
    const a = x as HostArray, b = y as HostArray;
    const n = last(a), m = last(b), rows = sizeOf(a.shape) / n;
    return product(a.data, b.data, n, m, rows, (k, r) => r * n + k, (r, j) => r * m + j, out);
  },
  emitWgsl: globalOnly('matmul_xt'),
};
