/**
 * Spike functions (braintools.surrogate): the forward pass of every surrogate is the Heaviside
 * step `x >= 0 -> 1.0`; under `grad` its derivative is the surrogate's g(x). Each class binds the
 * `heaviside` primitive with its name and parameters, and the primitive's adjoint rule evaluates
 * g (compiler/src/primitives/surrogate.ts holds the formulas, with braintools' defaults).
 */
import { ops, SURROGATES, type Tensor } from '@spiketrace/compiler';

export interface SpikeFunction {
  readonly name: string;
  /** Heaviside forward pass on the scaled membrane potential. */
  forward(x: Tensor): Tensor;
}

/** A braintools surrogate: spikes forward, g(x) backward. */
export class Surrogate implements SpikeFunction {
  readonly params: readonly number[];
  constructor(readonly name: string, params: Readonly<Record<string, number | undefined>> = {}) {
    const def = SURROGATES[name];
    if (!def) throw new RangeError(`unknown surrogate "${name}"; known: ${Object.keys(SURROGATES).join(', ')}`);
    for (const k of Object.keys(params)) {
      if (!def.params.some(([p]) => p === k)) throw new RangeError(`${name} has no parameter "${k}" (it takes ${def.params.map(([p]) => p).join(', ')})`);
    }
    this.params = def.params.map(([p, d]) => {
      const v = params[p] ?? d;
      if (!Number.isFinite(v)) throw new RangeError(`${name}: parameter ${p} must be a finite number, got ${v}`);
      return v;
    });
  }

  /** The spike of x: 1 where x >= 0, else 0. */
  forward(x: Tensor): Tensor {
    return ops.heaviside(x, this.name, this.params);
  }

  /** The surrogate derivative g(x) (what the backward pass multiplies by). */
  grad(x: Tensor): Tensor {
    return (SURROGATES[this.name] as (typeof SURROGATES)[string]).grad(x, this.params);
  }

  /** Python's `spk_fun(x)`. */
  call(x: Tensor): Tensor {
    return this.forward(x);
  }
}

export class Sigmoid extends Surrogate { constructor(alpha?: number) { super('Sigmoid', { alpha }); } }
export class SoftSign extends Surrogate { constructor(alpha?: number) { super('SoftSign', { alpha }); } }
export class Arctan extends Surrogate { constructor(alpha?: number) { super('Arctan', { alpha }); } }
export class ERF extends Surrogate { constructor(alpha?: number) { super('ERF', { alpha }); } }
export class PiecewiseQuadratic extends Surrogate { constructor(alpha?: number) { super('PiecewiseQuadratic', { alpha }); } }
export class PiecewiseExp extends Surrogate { constructor(alpha?: number) { super('PiecewiseExp', { alpha }); } }
export class PiecewiseLeakyRelu extends Surrogate { constructor(c?: number, w?: number) { super('PiecewiseLeakyRelu', { c, w }); } }
export class LeakyRelu extends Surrogate { constructor(alpha?: number, beta?: number) { super('LeakyRelu', { alpha, beta }); } }
export class LogTailedRelu extends Surrogate { constructor(alpha?: number) { super('LogTailedRelu', { alpha }); } }
/** braintools.surrogate.ReluGrad(alpha = 0.3, width = 1): the default of brainpy.state's neurons. */
export class ReluGrad extends Surrogate { constructor(alpha?: number, width?: number) { super('ReluGrad', { alpha, width }); } }
export class GaussianGrad extends Surrogate { constructor(sigma?: number, alpha?: number) { super('GaussianGrad', { sigma, alpha }); } }
export class MultiGaussianGrad extends Surrogate {
  constructor(h?: number, s?: number, sigma?: number, scale?: number) { super('MultiGaussianGrad', { h, s, sigma, scale }); }
}
/** braintools.surrogate.InvSquareGrad(alpha = 100): the default of the Neuron base class. */
export class InvSquareGrad extends Surrogate { constructor(alpha?: number) { super('InvSquareGrad', { alpha }); } }
export class SlayerGrad extends Surrogate { constructor(alpha?: number) { super('SlayerGrad', { alpha }); } }
export class QPseudoSpike extends Surrogate { constructor(alpha?: number) { super('QPseudoSpike', { alpha }); } }
export class S2NN extends Surrogate { constructor(alpha?: number, beta?: number, epsilon?: number) { super('S2NN', { alpha, beta, epsilon }); } }
export class NonzeroSignLog extends Surrogate { constructor(alpha?: number) { super('NonzeroSignLog', { alpha }); } }
export class SquarewaveFourierSeries extends Surrogate {
  constructor(n?: number, t_period?: number) { super('SquarewaveFourierSeries', { n, t_period }); }
}
