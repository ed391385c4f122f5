/**
 * matmul: x [..., n] @ w [n, m] -> [..., m] (dense layers, AllToAll, readouts). Global: each
 * output reads a whole row of x and a column of w. The kernel (emit-kernel.ts) gives one
 * invocation per output element and accumulates over n in order, as the reference does, so the
 * f32 sums agree to rounding of the products (no reassociation).
 */
import { allocArray } from '../ir/dtype.ts';
import type { Aval } from '../ir/node.ts';
import { sizeOf } from '../ir/shape.ts';
import type { HostArray, Primitive } from './types.ts';
import * as ops from '../trace/ops.ts';
import type { Tensor } from '../trace/tensor.ts';

export const matmul: Primitive<'matmul'> = {
  op: 'matmul', kind: 'global',
  // There is no transpose op, so both products are a broadcast multiply and a sum (this
  // materializes a [rows, n, m] temporary; a transposed matmul will replace it):
  //   dx[..., k] = sum_j ct[..., j] w[k, j]   (ct @ w^T)
  //   dw[k, j]   = sum_r x[r, k] ct[r, j]     (x^T @ ct over all leading rows)
  vjp: ({ inputs: [x, w], ct, needs }) => {
    const a = x as Tensor, b = w as Tensor;
    const n = b.shape[0] as number, m = b.shape[1] as number;
    const rows = a.size / n;
    return [
      needs[0] ? ops.reduce('sum', ops.mul(ops.reshape(ct, [...a.shape.slice(0, -1), 1, m]), b), a.ndim) : null,
      needs[1] ? ops.reduce('sum', ops.mul(ops.reshape(a, [rows, n, 1]), ops.reshape(ct, [rows, 1, m])), 0) : null,
    ];
  },
  infer([x, w]) {
    const a = x as Aval, b = w as Aval;
    if (a.dtype !== 'f32' || b.dtype !== 'f32') throw new Error(`matmul needs f32 operands, got ${a.dtype} and ${b.dtype}`);
    if (a.shape.length < 1) throw new Error('matmul: x needs at least one axis');
    if (b.shape.length !== 2) throw new Error(`matmul: w must be a matrix [n, m], got [${b.shape.join(', ')}]`);
    const n = a.shape[a.shape.length - 1];
    if (n !== b.shape[0]) throw new Error(`matmul: x has ${n} columns, w has ${b.shape[0]} rows`);
    return { dtype: 'f32', shape: [...a.shape.slice(0, -1), b.shape[1] as number] };
  },
  evalCpu([x, w], _arg, out) {
    const a = x as HostArray, b = w as HostArray;
    const n = a.shape[a.shape.length - 1] as number, m = b.shape[1] as number;
    const rows = sizeOf(a.shape) / n;
    const data = allocArray('f32', sizeOf(out.shape));
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < m; j++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc = Math.fround(acc + Math.fround((a.data[r * n + k] as number) * (b.data[k * m + j] as number)));
        data[r * m + j] = acc;
      }
    }
    return { dtype: 'f32', shape: out.shape, data };
  },
  emitWgsl() {
    throw new Error('matmul is a global op: emit-kernel.ts emits its kernel');
  },
};
