/** Neuron base (brainpy.state.Neuron): a spike function and a reset mode. */
import type { Tensor } from '@spiketrace/compiler';
import { Dynamics } from './dynamics.ts';
import { InvSquareGrad, type SpikeFunction } from './spike.ts';

export type SpikeReset = 'soft' | 'hard';

export interface NeuronOptions {
  spkFun?: SpikeFunction;
  spkReset?: SpikeReset;
  name?: string;
}

export abstract class Neuron extends Dynamics {
  readonly spkFun: SpikeFunction;
  readonly spkReset: SpikeReset;

  constructor(inSize: number | readonly number[], opts: NeuronOptions = {}, defaultSpkFun: SpikeFunction = new InvSquareGrad()) {
    super(inSize, opts.name);
    this.spkFun = opts.spkFun ?? defaultSpkFun;
    const reset = opts.spkReset ?? 'soft';
    if (reset !== 'soft' && reset !== 'hard') throw new Error(`${this.name}: spkReset must be 'soft' or 'hard', got ${String(reset)}`);
    this.spkReset = reset;
  }

  abstract getSpike(...args: unknown[]): Tensor;
}
