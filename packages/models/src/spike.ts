/**
 * Spike functions: the forward pass of every braintools surrogate is the Heaviside step
 * `x >= 0 -> 1.0`. Surrogate derivatives arrive with gradients; the classes already carry their
 * parameters so models can name them.
 */
import { ops, type Tensor } from '@spiketrace/compiler';

export interface SpikeFunction {
  readonly name: string;
  /** Heaviside forward pass on the scaled membrane potential. */
  forward(x: Tensor): Tensor;
}

function heaviside(x: Tensor): Tensor {
  return ops.cast(ops.compare('ge', x, 0), 'f32');
}

/** braintools.surrogate.ReluGrad(alpha = 0.3, width = 1): the default of brainpy.state's neurons. */
export class ReluGrad implements SpikeFunction {
  readonly name = 'ReluGrad';
  constructor(readonly alpha = 0.3, readonly width = 1.0) {}
  forward(x: Tensor): Tensor {
    return heaviside(x);
  }
}

/** braintools.surrogate.InvSquareGrad(alpha = 100): the default of the Neuron base class. */
export class InvSquareGrad implements SpikeFunction {
  readonly name = 'InvSquareGrad';
  constructor(readonly alpha = 100) {}
  forward(x: Tensor): Tensor {
    return heaviside(x);
  }
}
