/**
 * PoissonSpike (brainpy.state): independent Poisson spike trains, spike = (u < freq * dt) with u
 * from the counter-based generator (compiler ops.randUniform), so a run is reproducible for a seed
 * and the GPU and the CPU reference give the same trains.
 */
import { ops, type Tensor } from '@spiketrace/compiler';
import { environ } from '@spiketrace/state';
import { Hz, isQuantity, math, type Quantity, UnitMismatchError } from '@spiketrace/units';
import { Dynamics } from './dynamics.ts';

export interface PoissonSpikeOptions {
  /** Firing rate: a scalar or one per neuron (shape of inSize), in Hz or any frequency unit. */
  freqs: Quantity;
  seed?: number;
  name?: string;
}

export class PoissonSpike extends Dynamics {
  readonly freqs: Quantity;
  readonly seed: number;

  constructor(inSize: number | readonly number[], opts: PoissonSpikeOptions) {
    super(inSize, opts.name);
    if (!isQuantity(opts.freqs) || !opts.freqs.unit.sameDim(Hz(1).unit)) {
      throw new UnitMismatchError(`${this.name}: freqs must be a frequency (like Hz), got ${isQuantity(opts.freqs) ? opts.freqs.unit.name : typeof opts.freqs}`, []);
    }
    if (opts.freqs.size !== 1 && opts.freqs.shape.join() !== this.varshape.join()) {
      throw new RangeError(`${this.name}: freqs has shape [${opts.freqs.shape.join(', ')}], expected a scalar or [${this.varshape.join(', ')}]`);
    }
    this.freqs = opts.freqs;
    this.seed = opts.seed ?? 0;
  }

  /** This step's spikes (f32 0/1, shape inSize). */
  override update(): Tensor {
    const p = math.maybeDecimal(this.freqs.mul(environ.getDt())) as Tensor;
    return ops.cast(ops.compare('lt', ops.randUniform(this.varshape, this.seed), p), 'f32');
  }

  override call(): Tensor {
    return super.call() as Tensor;
  }
}
