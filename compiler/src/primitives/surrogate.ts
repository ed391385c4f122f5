/**
 * Spikes with surrogate gradients, and stop_gradient.
 *
 * `heaviside` is braintools' `heaviside_p`: the forward pass is the step `x >= 0 -> 1.0`, so spikes
 * are exactly 0 or 1; the adjoint is `ct * g(x)` where g is the derivative of the named surrogate
 * (the table below: formulas and defaults of braintools/surrogate/_impl.py's surrogate_grad, which
 * differ from the shared reference's table for PiecewiseLeakyRelu and SquarewaveFourierSeries). The derivative is
 * traced with ordinary ops inside the adjoint graph, so it fuses into the backward kernels like any
 * other elementwise work and the forward graph pays nothing for it.
 *
 * `stop_gradient` is the identity whose adjoint is a symbolic zero (the hard reset's detach).
 */
import { SpiketraceError } from '../errors.ts';
import type { Aval } from '../ir/node.ts';
import * as ops from '../trace/ops.ts';
import type { Tensor } from '../trace/tensor.ts';
import { mapBroadcast } from './elementwise.ts';
import type { Primitive } from './types.ts';

export interface SurrogateDef {
  /** Parameter names in the order `params` holds them, with braintools' defaults. */
  readonly params: readonly (readonly [string, number])[];
  /** g(x): the surrogate derivative, traced with ops. */
  grad(x: Tensor, p: readonly number[]): Tensor;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const abs = (x: Tensor): Tensor => ops.unary('abs', x);
const gaussian = (x: Tensor, mu: number, sigma: number): Tensor =>
  ops.div(ops.unary('exp', ops.div(ops.neg(ops.mul(ops.sub(x, mu), ops.sub(x, mu))), 2 * sigma * sigma)), SQRT_2PI * sigma);
const sigmoidGrad = (x: Tensor, alpha: number): Tensor => {
  const s = ops.unary('sigmoid', ops.mul(x, alpha));
  return ops.mul(alpha, ops.mul(s, ops.sub(1, s)));
};

export const SURROGATES: Readonly<Record<string, SurrogateDef>> = {
  Sigmoid: { params: [['alpha', 4]], grad: (x, [a]) => sigmoidGrad(x, a as number) },
  SoftSign: {
    params: [['alpha', 1]],
    grad: (x, [a]) => { const d = ops.add(1, abs(ops.mul(x, a as number))); return ops.div(a as number, ops.mul(2, ops.mul(d, d))); },
  },
  Arctan: {
    params: [['alpha', 1]],
    grad: (x, [a]) => { const z = ops.mul(x, Math.PI * (a as number) / 2); return ops.div(a as number, ops.mul(2, ops.add(1, ops.mul(z, z)))); },
  },
  ERF: {
    params: [['alpha', 1]],
    grad: (x, [a]) => ops.mul((a as number) / Math.sqrt(Math.PI), ops.unary('exp', ops.neg(ops.mul(ops.mul(x, x), (a as number) ** 2)))),
  },
  PiecewiseQuadratic: {
    params: [['alpha', 1]],
    grad: (x, [a]) => ops.where(ops.compare('le', abs(x), 1 / (a as number)), ops.sub(a as number, ops.mul(abs(x), (a as number) ** 2)), 0),
  },
  PiecewiseExp: { params: [['alpha', 1]], grad: (x, [a]) => ops.mul((a as number) / 2, ops.unary('exp', ops.mul(abs(x), -(a as number)))) },
  // 1/w inside the window, as braintools' surrogate_grad computes it (the shared reference's table
  // says 1/(2w), the slope of its surrogate_fun; users of brainpy.state get braintools' code)
  PiecewiseLeakyRelu: {
    params: [['c', 0.01], ['w', 1]],
    grad: (x, [c, w]) => ops.where(ops.compare('le', abs(x), w as number), 1 / (w as number), c as number),
  },
  LeakyRelu: { params: [['alpha', 0.1], ['beta', 1]], grad: (x, [a, b]) => ops.where(ops.compare('lt', x, 0), a as number, b as number) },
  LogTailedRelu: {
    params: [['alpha', 0]],
    grad: (x, [a]) => ops.where(ops.compare('le', x, 0), a as number,
      ops.where(ops.compare('le', x, 1), 1, ops.div(1, ops.binary('max', x, 1)))),
  },
  ReluGrad: {
    params: [['alpha', 0.3], ['width', 1]],
    grad: (x, [a, w]) => ops.binary('max', ops.sub((a as number) * (w as number), ops.mul(abs(x), a as number)), 0),
  },
  GaussianGrad: { params: [['sigma', 0.5], ['alpha', 0.5]], grad: (x, [s, a]) => ops.mul(a as number, gaussian(x, 0, s as number)) },
  MultiGaussianGrad: {
    params: [['h', 0.15], ['s', 6], ['sigma', 0.5], ['scale', 0.5]],
    grad: (x, [h, s, sigma, scale]) => {
      const [hh, ss, sg] = [h as number, s as number, sigma as number];
      const mix = ops.sub(ops.sub(ops.mul(1 + hh, gaussian(x, 0, sg)), ops.mul(hh, gaussian(x, sg, ss * sg))), ops.mul(hh, gaussian(x, -sg, ss * sg)));
      return ops.mul(scale as number, mix);
    },
  },
  InvSquareGrad: {
    params: [['alpha', 100]],
    grad: (x, [a]) => { const d = ops.add(ops.mul(abs(x), a as number), 1); return ops.div(1, ops.mul(d, d)); },
  },
  SlayerGrad: { params: [['alpha', 1]], grad: (x, [a]) => ops.unary('exp', ops.mul(abs(x), -(a as number))) },
  QPseudoSpike: {
    params: [['alpha', 2]],
    grad: (x, [a]) => ops.binary('pow', ops.add(1, ops.mul(abs(x), 2 / ((a as number) + 1))), -(a as number)),
  },
  S2NN: {
    params: [['alpha', 4], ['beta', 1], ['epsilon', 1e-8]],
    // the x >= 0 branch reads max(x, 0) so that the unused side stays finite at x = -1
    grad: (x, [a, b]) => ops.where(ops.compare('lt', x, 0), sigmoidGrad(x, a as number), ops.div(b as number, ops.add(ops.binary('max', x, 0), 1))),
  },
  NonzeroSignLog: { params: [['alpha', 1]], grad: (x, [a]) => ops.div(1, ops.add(abs(x), 1 / (a as number))) },
  // terms i = 1 .. n-1, as braintools' loop `for i in range(2, n)` after the first (its docstring
  // and the shared reference write the sum to n; with the default n = 2 that is cos(w x) alone)
  SquarewaveFourierSeries: {
    params: [['n', 2], ['t_period', 8]],
    grad: (x, [n, T]) => {
      const w = (2 * Math.PI) / (T as number);
      let sum: Tensor = ops.unary('cos', ops.mul(x, w));
      for (let i = 2; i < (n as number); i++) sum = ops.add(sum, ops.unary('cos', ops.mul(x, (2 * i - 1) * w)));
      return ops.mul(4 / (T as number), sum);
    },
  },
};

export class SurrogateError extends SpiketraceError {
  override name = 'SurrogateError';
}

export function surrogateDef(name: string): SurrogateDef {
  const d = SURROGATES[name];
  if (!d) throw new SurrogateError(`unknown surrogate "${name}"; known: ${Object.keys(SURROGATES).join(', ')}`);
  return d;
}

function f32Only(op: string, srcs: readonly Aval[]): Aval {
  const x = srcs[0] as Aval;
  if (x.dtype !== 'f32') throw new Error(`${op} needs f32 input, got ${x.dtype}`);
  return { dtype: 'f32', shape: x.shape };
}

export const heaviside: Primitive<'heaviside'> = {
  op: 'heaviside', kind: 'elementwise',
  vjp: ({ inputs: [x], ct, arg }) => [ops.mul(ct, surrogateDef(arg.surrogate).grad(x as Tensor, arg.params))],
  infer(srcs, arg) {
    const d = surrogateDef(arg.surrogate);
    if (arg.params.length !== d.params.length) {
      throw new Error(`heaviside: surrogate ${arg.surrogate} takes ${d.params.length} parameter(s) (${d.params.map((p) => p[0]).join(', ')}), got ${arg.params.length}`);
    }
    return f32Only('heaviside', srcs);
  },
  evalCpu(srcs, _arg, out) {
    return mapBroadcast(srcs, out, (x) => (x >= 0 ? 1 : 0));
  },
  emitWgsl([x]) {
    return `select(0.0, 1.0, ${x} >= 0.0)`;
  },
};

export const stopGradient: Primitive<'stop_gradient'> = {
  op: 'stop_gradient', kind: 'elementwise',
  vjp: () => [null],
  infer(srcs) {
    const x = srcs[0] as Aval;
    return { dtype: x.dtype, shape: x.shape };
  },
  evalCpu(srcs) {
    return srcs[0] as never;
  },
  emitWgsl([x]) {
    return x as string;
  },
};
