/**
 * Gradient check: the adjoint graph (vjpGraph), evaluated by the f32 reference interpreter, against
 * central differences of L(x) = sum_o <v_o, f_o(x)> computed in float64 (f64.ts) at the same
 * (f32-representable) points, with random cotangents v_o.
 * Step h = 1e-5 * max(1, |x_j|) (truncation ~1e-10, rounding ~1e-11 relative in double).
 * Pass: |g - fd| <= rtol * |fd| + atol * max(1, max |fd|) per element.
 */
import { expect } from 'vitest';
import type { Graph } from '../../compiler/src/ir/graph.ts';
import { sizeOf, type Shape } from '../../compiler/src/ir/shape.ts';
import type { InputSource } from '../../compiler/src/ir/ops.ts';
import { interpretStep } from '../../compiler/src/interp/interpret.ts';
import type { HostArray } from '../../compiler/src/primitives/types.ts';
import { Trace } from '../../compiler/src/trace/trace.ts';
import type { Tensor } from '../../compiler/src/trace/tensor.ts';
import { vjpGraph, type VjpResult } from '../../compiler/src/autodiff/vjp-graph.ts';
import { evalF64 } from './f64.ts';

export const RTOL = 1e-4;
export const ATOL = 1e-6;

/** The tests' seeded generator (tests/helpers/random.ts). */
export { mulberry32 as rng } from '../helpers/random.ts';
import { mulberry32 as rng } from '../helpers/random.ts';

export interface InputSpec { shape: Shape; gen: (r: () => number) => number }

export const uniform = (lo: number, hi: number) => (r: () => number): number => lo + (hi - lo) * r();
/** Uniform on [lo, hi] but at least `gap` away from 0. */
export const nonzero = (lo: number, hi: number, gap = 0.1) => (r: () => number): number => {
  for (;;) {
    const x = lo + (hi - lo) * r();
    if (Math.abs(x) >= gap) return x;
  }
};

export function traceGraph(shapes: readonly Shape[], build: (xs: Tensor[]) => Tensor | Tensor[]): Graph {
  const tr = new Trace('f');
  return tr.run(() => {
    const xs = shapes.map((shape, i) => tr.input({ kind: 'arg', index: i }, { dtype: 'f32', shape }));
    const out = build(xs);
    const g = tr.toGraph(Array.isArray(out) ? out : [out]);
    if (tr.captured.length) throw new Error('test graphs must not capture arrays');
    return g;
  });
}

export interface CheckResult { maxAbsErr: number; maxRelErr: number; vjp: VjpResult; grads: HostArray[]; fd: Float64Array[] }

export function gradCheck(
  inputs: readonly InputSpec[],
  build: (xs: Tensor[]) => Tensor | Tensor[],
  opts: { seed?: number; values?: (Float32Array | undefined)[]; cts?: number; rtol?: number; atol?: number; wrt?: number[] } = {},
): CheckResult {
  const r = rng(opts.seed ?? 1);
  const g = traceGraph(inputs.map((i) => i.shape), build);
  const xs = inputs.map((s, i) => opts.values?.[i] ?? Float32Array.from({ length: sizeOf(s.shape) }, () => s.gen(r)));
  const outs = g.outputs.map((o) => g.node(o.node));
  const cts = outs.map((n) => Float32Array.from({ length: sizeOf(n.shape) }, () => opts.cts ?? 2 * r() - 1));
  const wrt = opts.wrt ?? inputs.map((_, i) => i);
  const vjp = vjpGraph(g, wrt.map((i) => ({ kind: 'arg', index: i }) as InputSource), outs.map(() => 'input'));
  const ctIndex = new Map(vjp.cotangentInputs.map((c) => [c.source.index, c.output]));
  const bind = (s: InputSource): HostArray => {
    // arrays the adjoint rules captured (the forward graph has none)
    if (s.kind === 'captured') return vjp.captured[s.index] as HostArray;
    if (s.kind !== 'arg') throw new Error(`unexpected input ${s.kind}`);
    const o = ctIndex.get(s.index);
    if (o !== undefined) return { dtype: 'f32', shape: outs[o]!.shape, data: cts[o]! };
    return { dtype: 'f32', shape: inputs[s.index]!.shape, data: xs[s.index]! };
  };
  const grads = interpretStep(vjp.graph, bind).ys;

  const x64 = xs.map((x) => Float64Array.from(x));
  const loss = (): number => {
    const ys = evalF64(g, (s) => ({ shape: inputs[s.index]!.shape, data: x64[s.index]! }));
    let l = 0;
    ys.forEach((y, o) => y.data.forEach((v, j) => { l += v * cts[o]![j]!; }));
    return l;
  };
  let maxAbsErr = 0, maxRelErr = 0;
  const fds: Float64Array[] = [];
  wrt.forEach((i, k) => {
    const x = x64[i]!;
    const fd = new Float64Array(x.length);
    for (let j = 0; j < x.length; j++) {
      const x0 = x[j]!, h = 1e-5 * Math.max(1, Math.abs(x0));
      x[j] = x0 + h; const lp = loss();
      x[j] = x0 - h; const lm = loss();
      x[j] = x0;
      fd[j] = (lp - lm) / (2 * h);
    }
    fds.push(fd);
    const got = grads[k]!;
    expect(got.shape).toEqual(inputs[i]!.shape);
    const scale = Math.max(1, ...Array.from(fd, Math.abs));
    for (let j = 0; j < fd.length; j++) {
      const e = Math.abs(got.data[j]! - fd[j]!);
      maxAbsErr = Math.max(maxAbsErr, e / scale);
      maxRelErr = Math.max(maxRelErr, e / Math.max(Math.abs(fd[j]!), 1e-30));
      if (!(e <= (opts.rtol ?? RTOL) * Math.abs(fd[j]!) + (opts.atol ?? ATOL) * scale)) {
        throw new Error(`gradient of input ${i} element ${j}: vjp ${got.data[j]} vs finite difference ${fd[j]} (x = ${x[j]})`);
      }
    }
  });
  return { maxAbsErr, maxRelErr, vjp, grads, fd: fds };
}
