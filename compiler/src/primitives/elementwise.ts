/**
 * Elementwise primitives: each row holds the scalar reference (float32 via the output typed array),
 * the WGSL template, and the dtype rule. Broadcasting is NumPy's, handled once in `mapBroadcast`.
 */
import { allocArray, type DType, type TypedArray } from '../ir/dtype.ts';
import type { Aval } from '../ir/node.ts';
import type { BinaryOp, CompareOp, UnaryOp } from '../ir/ops.ts';
import { broadcastStrides, shapeEq, shapeStr, sizeOf, tryBroadcast, type Shape } from '../ir/shape.ts';
import { type HostArray, type Primitive, type VjpRule, type VjpSlot } from './types.ts';
import * as ops from '../trace/ops.ts';
import type { Tensor } from '../trace/tensor.ts';
import { unbroadcast } from '../autodiff/unbroadcast.ts';
import { WGSL_RAND } from './random.ts';

const f32 = Math.fround;

/** Evaluate `f` over the broadcast of `srcs` into `out`. */
export function mapBroadcast(srcs: readonly HostArray[], out: Aval, f: (...x: number[]) => number): HostArray {
  const n = sizeOf(out.shape);
  const data = allocArray(out.dtype, n);
  // fast path: every operand is full-size or a single element (stride 1 or 0): no index math
  if (srcs.length <= 3 && srcs.every((s) => s.data.length === 1 || shapeEq(s.shape, out.shape))) {
    const [a, b, c] = srcs.map((s) => s.data) as [TypedArray, TypedArray, TypedArray];
    const [sa, sb, sc] = srcs.map((s) => (s.data.length === 1 ? 0 : 1)) as [number, number, number];
    const g = f as (x: number, y?: number, z?: number) => number;
    if (srcs.length === 1) for (let i = 0; i < n; i++) data[i] = g(a[i * sa] as number);
    else if (srcs.length === 2) for (let i = 0; i < n; i++) data[i] = g(a[i * sa] as number, b[i * sb] as number);
    else for (let i = 0; i < n; i++) data[i] = g(a[i * sa] as number, b[i * sb] as number, c[i * sc] as number);
    return { dtype: out.dtype, shape: out.shape, data };
  }
  const rank = out.shape.length;
  const strides = srcs.map((s) => broadcastStrides(s.shape, out.shape));
  const idx = new Array<number>(rank).fill(0);
  const off = new Array<number>(srcs.length).fill(0);
  const vals = new Array<number>(srcs.length).fill(0);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < srcs.length; k++) vals[k] = (srcs[k] as HostArray).data[off[k] as number] as number;
    data[i] = f(...vals);
    // advance the multi-index (row-major) and the per-source offsets
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      for (let k = 0; k < srcs.length; k++) off[k] = (off[k] as number) + ((strides[k] as number[])[d] as number);
      if ((idx[d] as number) < (out.shape[d] as number)) break;
      for (let k = 0; k < srcs.length; k++) {
        off[k] = (off[k] as number) - ((strides[k] as number[])[d] as number) * (out.shape[d] as number);
      }
      idx[d] = 0;
    }
  }
  return { dtype: out.dtype, shape: out.shape, data };
}

export function broadcastOrThrow(what: string, shapes: Shape[]): number[] {
  const b = tryBroadcast(...shapes);
  if (!b) throw new Error(`${what}: shapes ${shapes.map(shapeStr).join(' and ')} do not broadcast`);
  return b;
}

/** Round half to even (banker's rounding), exact in double for float32 inputs. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact for float32 inputs
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** exprel(z) = (e^z - 1)/z with exprel(0) = 1, Taylor series near 0 as brainunit does in float32. */
export function exprelRef(z: number): number {
  if (Math.abs(z) < 1e-4) return 1 + z / 2 * (1 + z / 3 * (1 + z / 4 * (1 + z / 5)));
  return Math.expm1(z) / z;
}

// The WGSL prelude functions a kernel may need; the emitter includes only the ones used.
// The WGSL prelude functions a kernel may need; the emitter includes only the ones used.
// NOTE: exp(x) - 1 and log(1 + x) in f32 lose digits for small |x| (relative error ~2^-24/|x|),
// so expm1, exprel and log1p use series below 0.3 (terms to x^9: truncation < 1e-11 relative)
// and the direct form above, where the cancellation costs at most a few ulp.
export const WGSL_HELPERS: Record<string, string> = {
  st_expm1: `fn st_expm1(x: f32) -> f32 {
  if (abs(x) < 0.3) { return x * st_exprel_series(x); }
  return exp(x) - 1.0;
}`,
  st_exprel: `fn st_exprel(z: f32) -> f32 {
  if (abs(z) < 0.3) { return st_exprel_series(z); }
  return (exp(z) - 1.0) / z;
}`,
  st_exprel_series: `fn st_exprel_series(z: f32) -> f32 {
  // 1 + z/2! + z^2/3! + ... + z^8/9!
  return 1.0 + z * (1.0 / 2.0 + z * (1.0 / 6.0 + z * (1.0 / 24.0 + z * (1.0 / 120.0 + z * (1.0 / 720.0
    + z * (1.0 / 5040.0 + z * (1.0 / 40320.0 + z * (1.0 / 362880.0))))))));
}`,
  st_log1p: `fn st_log1p(x: f32) -> f32 {
  if (abs(x) < 0.3) {
    // log(1 + x) = 2 atanh(s), s = x / (2 + x), |s| < 0.18
    let s = x / (2.0 + x);
    let s2 = s * s;
    return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0))))));
  }
  return log(1.0 + x);
}`,
  st_bits: `fn st_bits(b: u32) -> f32 { var v = b; return bitcast<f32>(v); }`,
  st_rand: WGSL_RAND,
  // floor modulo (Python and numpy `%`): the result takes the divisor's sign
  st_fmod: `fn st_fmod(a: f32, b: f32) -> f32 { return a - b * floor(a / b); }`,
  st_imod: `fn st_imod(a: i32, b: i32) -> i32 { let r = a % b; return select(r, r + b, r != 0 && ((r < 0) != (b < 0))); }`,
};

/** Helpers that other helpers call. */
export const WGSL_HELPER_DEPS: Record<string, string[]> = {
  st_expm1: ['st_exprel_series'],
  st_exprel: ['st_exprel_series'],
};

interface UnaryDef {
  ref: (x: number) => number;
  wgsl: (x: string, dt: DType) => string;
  /** 'float' ops need f32 input; 'same' keeps any numeric dtype; 'bool' needs bool. */
  domain: 'float' | 'same' | 'bool';
}

const U: Record<UnaryOp, UnaryDef> = {
  neg: { domain: 'same', ref: (x) => -x, wgsl: (x) => `(-${x})` },
  abs: { domain: 'same', ref: Math.abs, wgsl: (x) => `abs(${x})` },
  exp: { domain: 'float', ref: Math.exp, wgsl: (x) => `exp(${x})` },
  expm1: { domain: 'float', ref: Math.expm1, wgsl: (x) => `st_expm1(${x})` },
  exprel: { domain: 'float', ref: exprelRef, wgsl: (x) => `st_exprel(${x})` },
  log: { domain: 'float', ref: Math.log, wgsl: (x) => `log(${x})` },
  log1p: { domain: 'float', ref: Math.log1p, wgsl: (x) => `st_log1p(${x})` },
  sqrt: { domain: 'float', ref: Math.sqrt, wgsl: (x) => `sqrt(${x})` },
  rsqrt: { domain: 'float', ref: (x) => 1 / Math.sqrt(x), wgsl: (x) => `inverseSqrt(${x})` },
  sin: { domain: 'float', ref: Math.sin, wgsl: (x) => `sin(${x})` },
  cos: { domain: 'float', ref: Math.cos, wgsl: (x) => `cos(${x})` },
  tanh: { domain: 'float', ref: Math.tanh, wgsl: (x) => `tanh(${x})` },
  sigmoid: { domain: 'float', ref: (x) => 1 / (1 + Math.exp(-x)), wgsl: (x) => `(1.0 / (1.0 + exp(-${x})))` },
  floor: { domain: 'float', ref: Math.floor, wgsl: (x) => `floor(${x})` },
  ceil: { domain: 'float', ref: Math.ceil, wgsl: (x) => `ceil(${x})` },
  // half to even, as numpy/jax and WGSL's round() do
  round: { domain: 'float', ref: roundHalfEven, wgsl: (x) => `round(${x})` },
  sign: { domain: 'same', ref: Math.sign, wgsl: (x) => `sign(${x})` },
  not: { domain: 'bool', ref: (x) => (x ? 0 : 1), wgsl: (x) => `(!${x})` },
};

interface BinaryDef {
  ref: (a: number, b: number) => number;
  wgsl: (a: string, b: string, dt: DType) => string;
  domain: 'numeric' | 'float' | 'bool';
}

const B: Record<BinaryOp, BinaryDef> = {
  add: { domain: 'numeric', ref: (a, b) => a + b, wgsl: (a, b) => `(${a} + ${b})` },
  sub: { domain: 'numeric', ref: (a, b) => a - b, wgsl: (a, b) => `(${a} - ${b})` },
  mul: { domain: 'numeric', ref: (a, b) => a * b, wgsl: (a, b) => `(${a} * ${b})` },
  div: { domain: 'numeric', ref: (a, b) => a / b, wgsl: (a, b) => `(${a} / ${b})` },
  pow: { domain: 'float', ref: (a, b) => Math.pow(a, b), wgsl: (a, b) => `pow(${a}, ${b})` },
  max: { domain: 'numeric', ref: (a, b) => Math.max(a, b), wgsl: (a, b) => `max(${a}, ${b})` },
  min: { domain: 'numeric', ref: (a, b) => Math.min(a, b), wgsl: (a, b) => `min(${a}, ${b})` },
  mod: {
    domain: 'numeric', ref: (a, b) => a - b * Math.floor(a / b),
    wgsl: (a, b, dt) => (dt === 'f32' ? `st_fmod(${a}, ${b})` : dt === 'i32' ? `st_imod(${a}, ${b})` : `(${a} % ${b})`),
  },
  and: { domain: 'bool', ref: (a, b) => (a && b ? 1 : 0), wgsl: (a, b) => `(${a} && ${b})` },
  or: { domain: 'bool', ref: (a, b) => (a || b ? 1 : 0), wgsl: (a, b) => `(${a} || ${b})` },
};

const C: Record<CompareOp, { ref: (a: number, b: number) => boolean; sym: string }> = {
  lt: { ref: (a, b) => a < b, sym: '<' },
  le: { ref: (a, b) => a <= b, sym: '<=' },
  gt: { ref: (a, b) => a > b, sym: '>' },
  ge: { ref: (a, b) => a >= b, sym: '>=' },
  eq: { ref: (a, b) => a === b, sym: '==' },
  ne: { ref: (a, b) => a !== b, sym: '!=' },
};

/** Integer division truncates (i32) like WGSL, and x / 0 gives x as WGSL defines; mul wraps. */
function intRef(dtype: DType, op: BinaryOp, f: (a: number, b: number) => number): (a: number, b: number) => number {
  if (dtype === 'f32') return f;
  if (op === 'div') return (a, b) => (b === 0 ? a : Math.trunc(a / b));
  if (op === 'mod') {
    return (a, b) => {
      if (b === 0) return 0;
      const r = a % b;
      return r !== 0 && r < 0 !== b < 0 ? r + b : r;
    };
  }
  if (op === 'mul') return (a, b) => Math.imul(a, b);
  return f;
}


// ---- adjoint rules (vjp slots). Cotangents are f32; the engine never asks for integer/bool operands.

/** d/dz exprel(z) = (e^z - exprel(z)) / z, which cancels near 0: the series below 0.3 (as st_exprel). */
function exprelGrad(z: Tensor, out: Tensor): Tensor {
  const small = ops.compare('lt', ops.unary('abs', z), 0.3);
  // sum_{k>=1} k z^(k-1) / (k+1)!, to k = 9 (truncation < 2e-10 at |z| = 0.3)
  const coef = [1 / 2, 2 / 6, 3 / 24, 4 / 120, 5 / 720, 6 / 5040, 7 / 40320, 8 / 362880, 9 / 3628800];
  let series: Tensor = ops.asTensor(coef[coef.length - 1] as number);
  for (let k = coef.length - 2; k >= 0; k--) series = ops.add(ops.mul(series, z), coef[k] as number);
  const safeZ = ops.where(small, 1, z); // the unused branch stays finite at z = 0
  const direct = ops.div(ops.sub(ops.unary('exp', z), out), safeZ);
  return ops.where(small, series, direct);
}

const zero1: VjpRule<UnaryOp> = () => [null];
const u1 = (f: (x: Tensor, out: Tensor, ct: Tensor) => Tensor): VjpRule<UnaryOp> =>
  ({ inputs: [x], out, ct }) => [f(x as Tensor, out, ct)];

const UNARY_VJP: Record<UnaryOp, VjpSlot<UnaryOp>> = {
  neg: u1((_x, _o, ct) => ops.neg(ct)),
  abs: u1((x, _o, ct) => ops.mul(ct, ops.unary('sign', x))), // 0 at x = 0, as jax
  exp: u1((_x, o, ct) => ops.mul(ct, o)),
  expm1: u1((_x, o, ct) => ops.mul(ct, ops.add(o, 1))),
  exprel: u1((x, o, ct) => ops.mul(ct, exprelGrad(x, o))),
  log: u1((x, _o, ct) => ops.div(ct, x)),
  log1p: u1((x, _o, ct) => ops.div(ct, ops.add(x, 1))),
  sqrt: u1((_x, o, ct) => ops.div(ops.mul(ct, 0.5), o)),
  rsqrt: u1((x, o, ct) => ops.mul(ct, ops.mul(-0.5, ops.div(o, x)))),
  sin: u1((x, _o, ct) => ops.mul(ct, ops.unary('cos', x))),
  cos: u1((x, _o, ct) => ops.neg(ops.mul(ct, ops.unary('sin', x)))),
  tanh: u1((_x, o, ct) => ops.mul(ct, ops.sub(1, ops.mul(o, o)))),
  sigmoid: u1((_x, o, ct) => ops.mul(ct, ops.mul(o, ops.sub(1, o)))),
  floor: zero1, ceil: zero1, round: zero1, sign: zero1, not: zero1,
};

type Partial2 = (a: Tensor, b: Tensor, out: Tensor, ct: Tensor) => Tensor;
/** A binary rule from its two partial cotangents (at the broadcast shape), summed back per operand. */
const b2 = (fa: Partial2 | null, fb: Partial2 | null): VjpRule<BinaryOp> => ({ inputs: [a, b], out, ct, needs }) => {
  const x = a as Tensor, y = b as Tensor;
  return [
    fa && needs[0] ? unbroadcast(fa(x, y, out, ct), x.shape) : null,
    fb && needs[1] ? unbroadcast(fb(x, y, out, ct), y.shape) : null,
  ];
};
/** Weight of the first operand of max/min: 1 where it wins, 1/2 on ties (split, as lax.max/min), 0 else. */
const firstWins = (op: 'gt' | 'lt', a: Tensor, b: Tensor): Tensor =>
  ops.where(ops.compare(op, a, b), 1, ops.where(ops.compare('eq', a, b), 0.5, 0));

const BINARY_VJP: Record<BinaryOp, VjpSlot<BinaryOp>> = {
  add: b2((_a, _b, _o, ct) => ct, (_a, _b, _o, ct) => ct),
  sub: b2((_a, _b, _o, ct) => ct, (_a, _b, _o, ct) => ops.neg(ct)),
  mul: b2((_a, b, _o, ct) => ops.mul(ct, b), (a, _b, _o, ct) => ops.mul(ct, a)),
  div: b2((_a, b, _o, ct) => ops.div(ct, b), (_a, b, o, ct) => ops.neg(ops.mul(ct, ops.div(o, b)))),
  // as jax: the base's partial is 0 where the exponent is 0, the exponent's uses log(1) where a = 0
  pow: b2(
    (a, b, _o, ct) => ops.where(ops.compare('eq', b, 0), 0, ops.mul(ct, ops.mul(b, ops.binary('pow', a, ops.sub(b, 1))))),
    (a, _b, o, ct) => ops.mul(ct, ops.mul(o, ops.unary('log', ops.where(ops.compare('eq', a, 0), 1, a)))),
  ),
  max: b2((a, b, _o, ct) => ops.mul(ct, firstWins('gt', a, b)), (a, b, _o, ct) => ops.mul(ct, ops.sub(1, firstWins('gt', a, b)))),
  min: b2((a, b, _o, ct) => ops.mul(ct, firstWins('lt', a, b)), (a, b, _o, ct) => ops.mul(ct, ops.sub(1, firstWins('lt', a, b)))),
  // a mod b = a - b floor(a / b)
  mod: b2((_a, _b, _o, ct) => ct, (a, b, _o, ct) => ops.neg(ops.mul(ct, ops.unary('floor', ops.div(a, b))))),
  and: () => [null, null],
  or: () => [null, null],
};

function unary(op: UnaryOp): Primitive<UnaryOp> {
  const d = U[op];
  return {
    op, kind: 'elementwise', vjp: UNARY_VJP[op],
    infer([x]) {
      const a = x as Aval;
      if (d.domain === 'float' && a.dtype !== 'f32') throw new Error(`${op} needs f32 input, got ${a.dtype}`);
      if (d.domain === 'bool' && a.dtype !== 'bool') throw new Error(`${op} needs bool input, got ${a.dtype}`);
      if (d.domain === 'same' && a.dtype === 'bool') throw new Error(`${op} needs numeric input, got bool`);
      if ((op === 'neg' || op === 'sign') && a.dtype === 'u32') throw new Error(`${op} needs a signed input, got u32 (cast to i32 first)`);
      return { dtype: a.dtype, shape: a.shape };
    },
    evalCpu(srcs, _arg, out) {
      return mapBroadcast(srcs, out, out.dtype === 'f32' ? (x) => d.ref(f32(x)) : d.ref);
    },
    emitWgsl([x], _arg, [dt]) {
      return d.wgsl(x as string, dt as DType);
    },
  };
}

function binary(op: BinaryOp): Primitive<BinaryOp> {
  const d = B[op];
  return {
    op, kind: 'elementwise', vjp: BINARY_VJP[op],
    infer([a, b]) {
      const x = a as Aval, y = b as Aval;
      if (x.dtype !== y.dtype) throw new Error(`${op}: dtypes ${x.dtype} and ${y.dtype} differ (cast first)`);
      if (d.domain === 'bool' && x.dtype !== 'bool') throw new Error(`${op} needs bool inputs, got ${x.dtype}`);
      if (d.domain !== 'bool' && x.dtype === 'bool') throw new Error(`${op} needs numeric inputs, got bool`);
      if (d.domain === 'float' && x.dtype !== 'f32') throw new Error(`${op} needs f32 inputs, got ${x.dtype}`);
      return { dtype: x.dtype, shape: broadcastOrThrow(op, [x.shape, y.shape]) };
    },
    evalCpu(srcs, _arg, out) {
      return mapBroadcast(srcs, out, intRef(out.dtype, op, d.ref));
    },
    emitWgsl([a, b], _arg, [dt]) {
      return d.wgsl(a as string, b as string, dt as DType);
    },
  };
}

function compare(op: CompareOp): Primitive<CompareOp> {
  const d = C[op];
  return {
    op, kind: 'elementwise', vjp: () => [null, null],
    infer([a, b]) {
      const x = a as Aval, y = b as Aval;
      if (x.dtype !== y.dtype) throw new Error(`${op}: dtypes ${x.dtype} and ${y.dtype} differ`);
      if (x.dtype === 'bool' && op !== 'eq' && op !== 'ne') throw new Error(`${op} needs numeric operands, got bool (cast first)`);
      return { dtype: 'bool', shape: broadcastOrThrow(op, [x.shape, y.shape]) };
    },
    evalCpu(srcs, _arg, out) {
      return mapBroadcast(srcs, out, (a, b) => (d.ref(a, b) ? 1 : 0));
    },
    emitWgsl([a, b]) {
      return `(${a} ${d.sym} ${b})`;
    },
  };
}

export const where: Primitive<'where'> = {
  op: 'where', kind: 'elementwise',
  vjp: ({ inputs: [c, a, b], ct, needs }) => [
    null,
    needs[1] ? unbroadcast(ops.where(c as Tensor, ct, 0), (a as Tensor).shape) : null,
    needs[2] ? unbroadcast(ops.where(c as Tensor, 0, ct), (b as Tensor).shape) : null,
  ],
  infer([c, a, b]) {
    const cond = c as Aval, x = a as Aval, y = b as Aval;
    if (cond.dtype !== 'bool') throw new Error(`where: condition must be bool, got ${cond.dtype}`);
    if (x.dtype !== y.dtype) throw new Error(`where: branches have dtypes ${x.dtype} and ${y.dtype}`);
    return { dtype: x.dtype, shape: broadcastOrThrow('where', [cond.shape, x.shape, y.shape]) };
  },
  evalCpu(srcs, _arg, out) {
    return mapBroadcast(srcs, out, (c, a, b) => (c ? a : b));
  },
  // NOTE: WGSL select(f, t, cond) takes the false value first.
  emitWgsl([c, a, b]) {
    return `select(${b}, ${a}, ${c})`;
  },
};

export const cast: Primitive<'cast'> = {
  op: 'cast', kind: 'elementwise',
  // f32 -> f32 is the identity; to an integer or bool, or from bool, the derivative is a symbolic
  // zero. From an integer to f32 the cotangent passes when asked: the engines ask only for an
  // integer that carries one (event_count's counts)
  vjp: ({ inputs: [x], arg, ct, needs }) => [needs[0] && arg.to === 'f32' && (x as Tensor).dtype !== 'bool' ? ct : null],
  infer([x], arg) {
    return { dtype: arg.to, shape: (x as Aval).shape };
  },
  evalCpu(srcs, arg, out) {
    const from = (srcs[0] as HostArray).dtype;
    // float -> integer truncates and clamps to the target's range, as WGSL does
    const f = arg.to === 'bool' ? (x: number) => (x !== 0 ? 1 : 0)
      : from === 'f32' && arg.to === 'i32' ? (x: number) => (Number.isNaN(x) ? 0 : Math.min(2147483647, Math.max(-2147483648, Math.trunc(x))))
      : from === 'f32' && arg.to === 'u32' ? (x: number) => (Number.isNaN(x) ? 0 : Math.min(4294967295, Math.max(0, Math.trunc(x))))
      : (x: number) => x;
    return mapBroadcast(srcs, out, f);
  },
  emitWgsl([x], arg, [from]) {
    if (arg.to === 'bool') return from === 'bool' ? (x as string) : `(${x} != ${from === 'f32' ? '0.0' : `${from}(0)`})`;
    if (from === 'bool') return `select(${arg.to}(0), ${arg.to}(1), ${x})`;
    return `${arg.to}(${x})`;
  },
};

export const constant: Primitive<'const'> = {
  op: 'const', kind: 'source', vjp: () => [],
  infer() {
    throw new Error('const nodes are built with an explicit dtype and shape');
  },
  evalCpu(_srcs, arg, out) {
    const data = allocArray(out.dtype, sizeOf(out.shape));
    data.fill(arg.value);
    return { dtype: out.dtype, shape: out.shape, data };
  },
  emitWgsl(_args, arg, _dts, out) {
    return wgslLiteral(arg.value, out.dtype);
  },
};

/** A WGSL literal that parses back to the same float32 (or integer) value. */
export function wgslLiteral(v: number, dtype: DType): string {
  switch (dtype) {
    case 'bool': return v ? 'true' : 'false';
    case 'i32': return `i32(${v | 0})`;
    case 'u32': return `${v >>> 0}u`;
    case 'f32': {
      const x = Math.fround(v);
      // NOTE: WGSL const-evaluation rejects non-finite values, so they are made at run time
      if (Number.isNaN(x)) return 'st_bits(0x7fc00000u)';
      if (x === Infinity) return 'st_bits(0x7f800000u)';
      if (x === -Infinity) return 'st_bits(0xff800000u)';
      // 9 significant digits round-trip any float32
      let s = Number.isInteger(x) && Math.abs(x) < 1e9 ? x.toFixed(1) : x.toPrecision(9);
      if (!/[.e]/.test(s)) s += '.0';
      return `f32(${s})`;
    }
  }
}

export const unaryPrims = Object.fromEntries(
  (Object.keys(U) as UnaryOp[]).map((op) => [op, unary(op)]),
) as { [O in UnaryOp]: Primitive<O> };
export const binaryPrims = Object.fromEntries(
  (Object.keys(B) as BinaryOp[]).map((op) => [op, binary(op)]),
) as { [O in BinaryOp]: Primitive<O> };
export const comparePrims = Object.fromEntries(
  (Object.keys(C) as CompareOp[]).map((op) => [op, compare(op)]),
) as { [O in CompareOp]: Primitive<O> };
