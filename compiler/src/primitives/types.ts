import type { DType, TypedArray } from '../ir/dtype.ts';
import type { Aval } from '../ir/node.ts';
import type { Op, OpArgs } from '../ir/ops.ts';
import type { Shape } from '../ir/shape.ts';
import type { Tensor } from '../trace/tensor.ts';

/** A concrete array on the host: the currency of the CPU reference. */
export interface HostArray {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly data: TypedArray;
}

/** How an op lowers: `elementwise` ops become one WGSL expression per element, `global` ops own a kernel. */
export type PrimKind = 'source' | 'elementwise' | 'global';

/**
 * What an adjoint rule sees: the node's operands and output, traced in the adjoint graph's Trace,
 * the cotangent of the output (f32, the output's shape), the node's `arg`, and which operands need
 * a cotangent (a rule may return `null` for the others and skip their work).
 */
export interface VjpArgs<O extends Op> {
  readonly inputs: readonly Tensor[];
  readonly out: Tensor;
  readonly ct: Tensor;
  readonly arg: OpArgs[O];
  readonly needs: readonly boolean[];
}

/**
 * Adjoint (VJP) rule: one cotangent per operand, each of the operand's shape, written with
 * `trace/ops.ts` so that the adjoint is itself a graph of primitives. `null` is a symbolic zero:
 * no node is made for it (comparisons, casts to/from integers and bool, piecewise constant ops).
 * The engine (autodiff/vjp-graph.ts) only asks for cotangents of f32 operands.
 */
export type VjpRule<O extends Op> = (args: VjpArgs<O>) => (Tensor | null)[];

/** Marks a primitive whose adjoint is not defined yet: `grad` through it throws naming the op. */
export interface NonDifferentiable {
  readonly nonDifferentiable: true;
  readonly why: string;
}

export function nonDifferentiable(why: string): NonDifferentiable {
  return { nonDifferentiable: true, why };
}

export function isNonDifferentiable(v: unknown): v is NonDifferentiable {
  return typeof v === 'object' && v !== null && (v as NonDifferentiable).nonDifferentiable === true;
}

/** The adjoint slot: total by type, a rule or an explicit marker. */
export type VjpSlot<O extends Op> = VjpRule<O> | NonDifferentiable;

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
  readonly vjp: VjpSlot<O>;
}

export type PrimitiveTable = { readonly [O in Op]: Primitive<O> };
