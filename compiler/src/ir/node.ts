import type { DType } from './dtype.ts';
import type { Op, OpArgs } from './ops.ts';
import type { Shape } from './shape.ts';

/** One SSA value. Nodes are immutable; `src` holds the ids of earlier nodes in the same graph. */
export interface Node<O extends Op = Op> {
  readonly id: number;
  readonly op: O;
  readonly src: readonly number[];
  readonly dtype: DType;
  readonly shape: Shape;
  readonly arg: OpArgs[O];
}

export function isOp<O extends Op>(n: Node, op: O): n is Node<O> {
  return n.op === op;
}

/** Abstract value: what shape and type rules compute. */
export interface Aval {
  readonly dtype: DType;
  readonly shape: Shape;
}
