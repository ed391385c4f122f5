/**
 * What brainpy.state's refractory neurons (LIFRef, ExpIFRef, AdExIFRef, IzhikevichRef, GifRef)
 * share: `tau_ref`, a `last_spike_time` ShortTermState starting at -1e7 ms, `t` from the
 * environment, and the window of one step: the states are held at their reset values while
 * t - last_spike_time < tau_ref, and t is recorded where the new V reaches the threshold.
 * `Refractory(Base, tauRefMs)` adds the parameter and the State to a neuron class; each class's
 * update stays its own (what is reset and held differs).
 */
import type { Tensor } from '@spiketrace/compiler';
import { ShortTermState, type nn } from '@spiketrace/state';
import { math, ms, type Quantity } from '@spiketrace/units';
import { checkPositive } from './lif.ts';
import type { Neuron } from './neuron.ts';
import { timeNow } from './time.ts';

export interface RefractoryNeuron {
  readonly name: string;
  readonly tau_ref: Quantity;
  readonly last_spike_time: ShortTermState<Quantity>;
}

/**
 * The refractory window of one step: `held` is where the states keep their reset values;
 * `record(V, V_th)` stores the new last_spike_time (V_th: the threshold, fixed or, for GifRef,
 * the new dynamic one).
 */
export function refractoryStep(n: RefractoryNeuron): { held: Tensor; record(V: Quantity, V_th: Quantity): void } {
  const t = timeNow(`${n.name}.update`, undefined, false);
  const last = n.last_spike_time.value;
  return {
    held: t.sub(last).lt(n.tau_ref),
    record: (V, V_th) => { n.last_spike_time.value = math.where(V.ge(V_th), t.to(last.unit), last); },
  };
}

// TypeScript accepts a class expression extending a generic base only with this constructor shape
// (the mixin pattern); every subclass declares its own typed constructor
type NeuronClass = abstract new (...args: any[]) => Neuron;

/** `Base` with `tau_ref` (options' `tau_ref`, default `tauRefMs` ms) and `last_spike_time`. */
export function Refractory<B extends NeuronClass>(Base: B, tauRefMs: number) {
  abstract class WithRefractory extends Base implements RefractoryNeuron {
    readonly tau_ref: Quantity;
    readonly last_spike_time = new ShortTermState<Quantity>(undefined, { name: 'last_spike_time' });

    // the subclasses' constructors are (inSize, opts): opts.tau_ref is the second argument's
    constructor(...args: any[]) {
      super(...args);
      const opts = (args[1] ?? {}) as { tau_ref?: Quantity };
      this.tau_ref = checkPositive(this.name, 'tau_ref', opts.tau_ref ?? ms(tauRefMs), ms(1), true);
    }

    override initState(opts: nn.InitOptions = {}): void {
      super.initState(opts);
      // -1e7 ms: "never", as brainpy.state
      this.last_spike_time.reset(math.full(this.stateShape(opts.batchSize), ms(-1e7)));
    }
  }
  return WithRefractory;
}
