/**
 * PoissonSpike (brainpy.state): independent Poisson spike trains, spike = (u < freq * dt) with u
 * from the counter-based generator (compiler ops.randUniform), so a run is reproducible for a seed
 * and the GPU and the CPU reference give the same trains.
 */
import { ops, type Tensor } from '@spiketrace/compiler';
import { environ } from '@spiketrace/state';
import { Hz, isQuantity, math, type Quantity, UnitMismatchError } from '@spiketrace/units';
import { Dynamics } from './dynamics.ts';
import { seedOf } from './init.ts';

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
    this.seed = seedOf(this.name, opts.seed);
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

export interface PoissonInputOptions {
  /** Independent Poisson sources per target neuron. */
  numInput: number;
  /** Rate of each source (Hz or any frequency unit). */
  freq: Quantity;
  /** Jump per input spike, in the target's delta-input unit (e.g. mV for a neuron's V). */
  weight: Quantity;
  seed?: number;
  name?: string;
}

/**
 * PoissonInput (brainpy.state): every step, each target neuron receives weight x (number of its
 * `numInput` Poisson sources that fired), as a delta input added before the target's update. The
 * count is an exact Binomial(numInput, freq * dt) draw: numInput uniform draws per neuron from the
 * counter-based generator, compared and summed (a reduction, so it runs as a dispatch chain or a
 * persistent workgroup).
 */
export class PoissonInput extends Dynamics {
  readonly numInput: number;
  readonly freq: Quantity;
  readonly weight: Quantity;
  readonly seed: number;

  constructor(readonly target: Dynamics, opts: PoissonInputOptions) {
    super(target.varshape, opts.name);
    if (!Number.isInteger(opts.numInput) || opts.numInput < 1) throw new RangeError(`${this.name}: numInput must be a positive integer, got ${opts.numInput}`);
    if (!isQuantity(opts.freq) || !opts.freq.unit.sameDim(Hz(1).unit) || opts.freq.size !== 1) {
      throw new UnitMismatchError(`${this.name}: freq must be a scalar frequency (like Hz)`, []);
    }
    if (!isQuantity(opts.weight) || opts.weight.size !== 1) throw new TypeError(`${this.name}: weight must be a scalar Quantity`);
    this.numInput = opts.numInput;
    this.freq = opts.freq;
    this.weight = opts.weight;
    this.seed = seedOf(this.name, opts.seed);
    target.addBeforeUpdate(`${this.name}-poisson`, () => {
      target.addDeltaInput(this.name, this.update());
    });
  }

  /** This step's input: weight x Binomial(numInput, freq * dt), shape of the target. */
  override update(): Quantity {
    const p = math.maybeDecimal(this.freq.mul(environ.getDt())) as Tensor;
    const fired = ops.cast(ops.compare('lt', ops.randUniform([this.numInput, ...this.varshape], this.seed), p), 'f32');
    return this.weight.mul(ops.reduce('sum', fired, 0));
  }
}
