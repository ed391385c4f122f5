/**
 * A float64 evaluator of step graphs for the gradient checks: the same op semantics as the f32
 * reference (primitives/*.ts) but every value in double, so central differences are accurate to
 * ~1e-10. Covers the differentiable ops and what the test graphs use around them.
 */
import type { Graph } from '../../compiler/src/ir/graph.ts';
import type { InputSource } from '../../compiler/src/ir/ops.ts';
import { broadcastStrides, normAxes, sizeOf, stridesOf, type Shape } from '../../compiler/src/ir/shape.ts';
import { roundHalfEven } from '../../compiler/src/primitives/elementwise.ts';
import { reduceShape } from '../../compiler/src/primitives/reduce.ts';
import { tryBroadcast } from '../../compiler/src/ir/shape.ts';

export interface F64 { shape: Shape; data: Float64Array }

const U: Record<string, (x: number) => number> = {
  neg: (x) => -x, abs: Math.abs, exp: Math.exp, expm1: Math.expm1,
  exprel: (z) => (z === 0 ? 1 : Math.expm1(z) / z), log: Math.log, log1p: Math.log1p,
  sqrt: Math.sqrt, rsqrt: (x) => 1 / Math.sqrt(x), sin: Math.sin, cos: Math.cos, tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)), floor: Math.floor, ceil: Math.ceil, round: roundHalfEven,
  sign: Math.sign, not: (x) => (x ? 0 : 1),
};
const B: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b,
  pow: Math.pow, max: Math.max, min: Math.min, mod: (a, b) => a - b * Math.floor(a / b),
  and: (a, b) => (a && b ? 1 : 0), or: (a, b) => (a || b ? 1 : 0),
  lt: (a, b) => +(a < b), le: (a, b) => +(a <= b), gt: (a, b) => +(a > b), ge: (a, b) => +(a >= b),
  eq: (a, b) => +(a === b), ne: (a, b) => +(a !== b),
};

function map(srcs: F64[], f: (...x: number[]) => number): F64 {
  const shape = tryBroadcast(...srcs.map((s) => s.shape)) as number[];
  const n = sizeOf(shape);
  const strides = srcs.map((s) => broadcastStrides(s.shape, shape));
  const data = new Float64Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    const vals = srcs.map((s, k) => s.data[idx.reduce((o, d, j) => o + d * (strides[k] as number[])[j]!, 0)] as number);
    data[i] = f(...vals);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      if (idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { shape, data };
}

function reduce(x: F64, axesIn: readonly number[], keepdims: boolean, init: number, f: (a: number, b: number) => number): F64 {
  const axes = new Set(normAxes(axesIn, x.shape.length));
  const kept = reduceShape(x.shape, [...axes], true);
  const ost = stridesOf(kept).map((s, i) => (axes.has(i) ? 0 : s));
  const data = new Float64Array(sizeOf(kept)).fill(init);
  const idx = new Array<number>(x.shape.length).fill(0);
  for (let i = 0; i < x.data.length; i++) {
    const o = idx.reduce((acc, d, j) => acc + d * ost[j]!, 0);
    data[o] = f(data[o]!, x.data[i]!);
    for (let d = x.shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      if (idx[d]! < x.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { shape: reduceShape(x.shape, [...axes], keepdims), data };
}

export function evalF64(g: Graph, bind: (s: InputSource) => F64): F64[] {
  const v: F64[] = [];
  for (const n of g.nodes) {
    const s = n.src.map((i) => v[i] as F64);
    const a = n.arg as never as Record<string, unknown>;
    let r: F64;
    if (n.op === 'input') r = bind(n.arg as InputSource);
    else if (n.op === 'const') r = { shape: n.shape, data: new Float64Array(sizeOf(n.shape)).fill((a as { value: number }).value) };
    else if (n.op in U) r = map(s, U[n.op]!);
    else if (n.op in B) r = map(s, B[n.op]!);
    else if (n.op === 'where') r = map(s, (c, x, y) => (c ? x : y));
    else if (n.op === 'cast') {
      const to = (a as { to: string }).to;
      r = map(s, to === 'bool' ? (x) => +(x !== 0) : to === 'f32' ? (x) => x : Math.trunc);
    } else if (n.op === 'sum') r = reduce(s[0]!, a.axes as number[], a.keepdims as boolean, 0, (p, q) => p + q);
    else if (n.op === 'rmax') r = reduce(s[0]!, a.axes as number[], a.keepdims as boolean, -Infinity, Math.max);
    else if (n.op === 'rmin') r = reduce(s[0]!, a.axes as number[], a.keepdims as boolean, Infinity, Math.min);
    else if (n.op === 'reshape' || n.op === 'stop_gradient') r = { shape: n.shape, data: s[0]!.data };
    else if (n.op === 'heaviside') r = map(s, (x) => +(x >= 0));
    else if (n.op === 'slice' || n.op === 'pad') {
      const x = s[0] as F64;
      const shift = n.op === 'slice' ? (a.start as number[]) : (a.low as number[]).map((l) => -l);
      const os = stridesOf(n.shape), xs = stridesOf(x.shape);
      const data = new Float64Array(sizeOf(n.shape));
      for (let o = 0; o < data.length; o++) {
        let at = 0, inside = true;
        n.shape.forEach((d, k) => {
          const c = Math.floor(o / os[k]!) % d + shift[k]!;
          if (c < 0 || c >= x.shape[k]!) inside = false;
          at += c * xs[k]!;
        });
        if (inside) data[o] = x.data[at]!;
      }
      r = { shape: n.shape, data };
    } else if (n.op === 'put_row') {
      const [x, index, v] = s as [F64, F64, F64];
      const m = v.data.length;
      const row = Math.min(Math.max(index.data[0]!, 0), x.shape[0]! - 1);
      const data = Float64Array.from(x.data);
      data.set(v.data, row * m);
      r = { shape: n.shape, data };
    } else if (n.op === 'take_row') {
      const [x, index] = s as [F64, F64];
      const m = sizeOf(n.shape);
      const row = Math.min(Math.max(index.data[0]!, 0), x.shape[0]! - 1);
      r = { shape: n.shape, data: x.data.slice(row * m, (row + 1) * m) };
    }
    else if (n.op === 'matmul' || n.op === 'matmul_wt' || n.op === 'matmul_xt') {
      const [x, w] = s as [F64, F64];
      const last = (f: F64): number => f.shape[f.shape.length - 1]!;
      // out[r, j] = sum_q A(r, q) B(q, j)
      const [rows, cols, inner, A, B] = n.op === 'matmul'
        ? [x.data.length / last(x), w.shape[1]!, last(x), (r: number, q: number) => x.data[r * last(x) + q]!, (q: number, j: number) => w.data[q * w.shape[1]! + j]!]
        : n.op === 'matmul_wt'
          ? [x.data.length / last(x), w.shape[0]!, last(x), (r: number, q: number) => x.data[r * last(x) + q]!, (q: number, j: number) => w.data[j * last(x) + q]!]
          : [last(x), last(w), x.data.length / last(x), (k: number, q: number) => x.data[q * last(x) + k]!, (q: number, j: number) => w.data[q * last(w) + j]!];
      const data = new Float64Array(rows * cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
        let acc = 0;
        for (let q = 0; q < inner; q++) acc += A(i, q) * B(q, j);
        data[i * cols + j] = acc;
      }
      r = { shape: n.shape, data };
    } else throw new Error(`evalF64: op ${n.op} not covered`);
    v[n.id] = r;
  }
  return g.outputs.map((o) => v[o.node] as F64);
}
