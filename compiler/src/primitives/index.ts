/**
 * The primitive table. It is total over `Op` by type: adding an op to `ir/ops.ts` fails `tsc`
 * until its shape rule, reference, WGSL emission and adjoint slot are here.
 */
import type { Op } from '../ir/ops.ts';
import { binaryPrims, cast, comparePrims, constant, unaryPrims, where } from './elementwise.ts';
import { eventCount, eventGather, eventOuter } from './event.ts';
import { reducePrims, reshape } from './reduce.ts';
import { packBits } from './pack.ts';
import { putRow, takeRow } from './take.ts';
import { pad, slice } from './slice.ts';
import { matmul, matmulWt, matmulXt } from './matmul.ts';
import { randUniform } from './random.ts';
import { heaviside, stopGradient } from './surrogate.ts';
import type { Primitive, PrimitiveTable } from './types.ts';

const input: Primitive<'input'> = {
  op: 'input', kind: 'source', vjp: () => [],
  infer() { throw new Error('input nodes are built with an explicit dtype and shape'); },
  evalCpu() { throw new Error('input nodes are bound by the interpreter, not evaluated'); },
  emitWgsl() { throw new Error('input nodes are loaded by the kernel, not emitted'); },
};

export const PRIMITIVES: PrimitiveTable = {
  input,
  const: constant,
  ...unaryPrims,
  ...binaryPrims,
  ...comparePrims,
  where,
  cast,
  ...reducePrims,
  reshape,
  event_count: eventCount,
  event_gather: eventGather,
  event_outer: eventOuter,
  slice,
  pad,
  take_row: takeRow,
  put_row: putRow,
  pack_bits: packBits,
  matmul,
  matmul_wt: matmulWt,
  matmul_xt: matmulXt,
  rand_uniform: randUniform,
  stop_gradient: stopGradient,
  heaviside,
};

export function prim<O extends Op>(op: O): Primitive<O> {
  return PRIMITIVES[op] as Primitive<O>;
}

export type { HostArray, Primitive } from './types.ts';
