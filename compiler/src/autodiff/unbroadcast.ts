/**
 * Shape helpers of the adjoint rules. Every op here is an `ops.*` call, so what they build is part
 * of the adjoint graph.
 */
import { normAxes, shapeEq, type Shape } from '../ir/shape.ts';
import { reduceShape } from '../primitives/reduce.ts';
import * as ops from '../trace/ops.ts';
import type { Tensor } from '../trace/tensor.ts';

/**
 * The cotangent of an operand that was broadcast to `ct.shape`: sum over the leading axes the
 * broadcast added and over the axes where the operand had extent 1, then reshape to `shape`.
 */
export function unbroadcast(ct: Tensor, shape: Shape): Tensor {
  if (shapeEq(ct.shape, shape)) return ct;
  const lead = ct.ndim - shape.length;
  if (lead < 0) throw new Error(`unbroadcast: [${ct.shape.join(', ')}] cannot come from [${shape.join(', ')}]`);
  const axes: number[] = [];
  for (let i = 0; i < ct.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && ct.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? ops.reduce('sum', ct, axes, false) : ct;
  return shapeEq(s.shape, shape) ? s : ops.reshape(s, shape);
}

/** `t` (a reduction's result over `axes` of an operand of `shape`) with the reduced axes kept as 1. */
export function keepReduced(t: Tensor, shape: Shape, axes: readonly number[]): Tensor {
  const keep = reduceShape(shape, normAxes(axes, shape.length), true);
  return shapeEq(t.shape, keep) ? t : ops.reshape(t, keep);
}

/** `t` broadcast to `shape` (a no-op when it already has it). */
export function broadcastTo(t: Tensor, shape: Shape): Tensor {
  return shapeEq(t.shape, shape) ? t : ops.broadcastTo(t, shape);
}
