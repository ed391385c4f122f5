import type { DType, TypedArray } from '../ir/dtype.ts';
import type { Aval } from '../ir/node.ts';
import type { Op, OpArgs } from '../ir/ops.ts';
import type { Shape } from '../ir/shape.ts';

/** A concrete array on the host: the currency of the CPU reference. */
export interface HostArray {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly data: TypedArray;
}

/** How an op lowers: `elementwise` ops become one WGSL expression per element, `global` ops own a kernel. */
export type PrimKind = 'source' | 'elementwise' | 'global';

/**
 * Adjoint rule slot. Gradients arrive in a later issue; every primitive already names its slot,
 * so the table stays total when the rules land.
 */
export type VjpRule = null;

/** Everything the system knows about one op, side by side. */
export interface Primitive<O extends Op> {
  readonly op: O;
  readonly kind: PrimKind;
  /** Output dtype and shape from the inputs; throws a plain Error naming the problem. */
  infer(srcs: readonly Aval[], arg: OpArgs[O]): Aval;
  /** The reference: float32 semantics on typed arrays. */
  evalCpu(srcs: readonly HostArray[], arg: OpArgs[O], out: Aval, step?: number): HostArray;
  /** WGSL expression for one element from the operands' expressions (elementwise ops). */
  emitWgsl(args: readonly string[], arg: OpArgs[O], srcDtypes: readonly DType[], out: Aval): string;
  readonly vjp: VjpRule;
}

export type PrimitiveTable = { readonly [O in Op]: Primitive<O> };
