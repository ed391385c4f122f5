/**
 * The op catalog: every node of a Graph carries one of these ops. What `src` and `arg`
 * mean for each op is written next to it; `OpArgs` types `arg` per op.
 */
import type { DType } from './dtype.ts';
import type { Shape } from './shape.ts';

export const UNARY_OPS = [
  'neg', 'abs', 'exp', 'expm1', 'exprel', 'log', 'log1p', 'sqrt', 'rsqrt',
  'sin', 'cos', 'tanh', 'sigmoid', 'floor', 'ceil', 'round', 'sign', 'not',
] as const;
export const BINARY_OPS = [
  'add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'mod', 'and', 'or',
] as const;
export const COMPARE_OPS = ['lt', 'le', 'gt', 'ge', 'eq', 'ne'] as const;
export const REDUCE_OPS = ['sum', 'rmax', 'rmin'] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type CompareOp = (typeof COMPARE_OPS)[number];
export type ReduceOp = (typeof REDUCE_OPS)[number];

/** Where a graph input comes from. */
export type InputSource =
  | { kind: 'state'; index: number; name: string } // a State's value at step entry
  | { kind: 'xs'; index: number }                  // the per-step slice of the k-th looped operand
  | { kind: 'carry'; index: number }               // the k-th scan carry leaf at step entry
  | { kind: 'arg'; index: number }                 // the k-th traced argument of a jit call
  | { kind: 'captured'; index: number };           // a concrete array captured by the trace

export interface OpArgs {
  // sources: src = []
  input: InputSource;                    // a graph input
  const: { value: number };              // a scalar literal, broadcast to `shape`
  // elementwise
  neg: null; abs: null; exp: null; expm1: null; exprel: null; log: null; log1p: null;
  sqrt: null; rsqrt: null; sin: null; cos: null; tanh: null; sigmoid: null;
  floor: null; ceil: null; round: null; sign: null; not: null;
  add: null; sub: null; mul: null; div: null; pow: null; max: null; min: null; mod: null;
  and: null; or: null;
  lt: null; le: null; gt: null; ge: null; eq: null; ne: null;
  where: null;                           // src = [cond, onTrue, onFalse]
  cast: { to: DType };                   // src = [x]
  stop_gradient: null;                   // src = [x]: x itself; its adjoint is zero (brainstate's stop_gradient)
  // src = [x] f32: (x >= 0) as f32; the adjoint is ct * g(x) with g the named surrogate derivative
  heaviside: { surrogate: string; params: number[] };
  // global: reads across elements, so each starts a new phase
  sum: { axes: number[]; keepdims: boolean };
  rmax: { axes: number[]; keepdims: boolean };
  rmin: { axes: number[]; keepdims: boolean };
  reshape: { shape: Shape };             // src = [x], same element count, row-major order kept
  // src = [spikes [..., nPre] bool|f32, indices i32 [nPre, k], weights? i32 [nPre, k]] -> i32 [..., nPost]:
  // out[b, q] = #{(p, j) : spikes[b, p] != 0 and indices[p, j] == q} (fixed out-degree scatter),
  // or the wrapping sum of those synapses' weights[p, j]
  // rows: only pre rows in [start, end) deliver (a pre population inside a larger spike vector)
  event_count: { nPost: number; quantize?: { exponent: number; limit: number }; rows?: [number, number] };
  // src = [x [..., nPost] f32, indices i32 [nPre, k], weights? i32|f32 [nPre, k]] -> f32 [..., nPre]:
  // out[b, p] = sum_j weights[p, j] * x[b, indices[p, j]] (event_count's adjoint: cotangents gathered along the connectivity)
  event_gather: null;
  // src = [spikes [..., nPre], x [..., nPost] f32, indices i32 [nPre, k]] -> f32 [nPre, k]:
  // out[p, j] = sum_b spikes[b, p] x[b, indices[p, j]] (the gradient of event_count's f32 weights)
  event_outer: null;
  slice: { start: number[]; end: number[] }; // src = [x]: x[start:end] on every axis (primitives/slice.ts)
  pad: { low: number[]; high: number[] };     // src = [x]: zeros around x, low before and high after on every axis
  take_row: null;                        // src = [x [L, ...rest], index i32 []]: [...rest], x[clamp(index, 0, L - 1)]
  put_row: null;                         // src = [x [L, ...rest], index i32 [], v [...rest]]: x with row clamp(index) replaced by v
  pack_bits: null;                       // src = [x [..., n] bool/f32]: u32 [..., ceil(n/32)], bit j of word w = x[32w + j] != 0
  matmul: null;                          // src = [x [..., n], w [n, m]]: [..., m], y = x @ w
  matmul_wt: null;                       // src = [x [..., m], w [n, m]]: [..., n], y = x @ w^T
  matmul_xt: null;                       // src = [x [R..., n], y [R..., m]]: [n, m], x^T @ y summed over every leading row
  rand_uniform: { seed: number; stream: number }; // src = []: uniform [0, 1) f32, a counter-based hash of (seed, stream, step, element)
}

export type Op = keyof OpArgs;

export const ELEMENTWISE = new Set<Op>([
  ...UNARY_OPS, ...BINARY_OPS, ...COMPARE_OPS, 'where', 'cast', 'const', 'rand_uniform', 'stop_gradient', 'heaviside',
]);
/** Source ops whose value changes from step to step (never folded, never carried across steps). */
export const TIME_VARYING = new Set<Op>(['rand_uniform']);
/** Ops whose output element reads other elements of its inputs: phase boundaries. */
export const GLOBAL = new Set<Op>([...REDUCE_OPS, 'reshape', 'event_count', 'event_gather', 'event_outer', 'slice', 'pad', 'take_row', 'put_row', 'pack_bits', 'matmul', 'matmul_wt', 'matmul_xt']);
/** Ops that CSE must never merge (none yet: every op is pure). */
export const IMPURE = new Set<Op>([]);
