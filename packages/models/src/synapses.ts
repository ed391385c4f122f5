/**
 * Synapses (brainpy.state `_brainpy/exponential.py`). `Expon` is an AlignPost synapse: a
 * conductance per post neuron that decays and takes one-shot delta inputs (the projections' comm
 * outputs), so an input arriving at step n is visible in the output of step n.
 */
import { HiddenState, type nn } from '@spiketrace/state';
import { isQuantity, mS, ms, Quantity, Unit } from '@spiketrace/units';
import { Dynamics } from './dynamics.ts';
import { ParamDescriber } from './describe.ts';
import { initValue, type InitLike } from './init.ts';
import { expEulerStep } from './integrators.ts';
import { checkDim } from './lif.ts';

export interface ExponOptions {
  /** Decay time constant (default 8 ms). */
  tau?: Quantity;
  /** Initial conductance (default 0 mS, as brainpy.state); its unit is the unit of g. */
  g_initializer?: InitLike;
  name?: string;
}

/**
 * g <- expEuler(-g / tau) (= g e^{-dt/tau}), then g += the delta inputs (and x when given); returns g.
 */
export class Expon extends Dynamics {
  readonly tau: Quantity;
  readonly g_initializer: InitLike;
  readonly g = new HiddenState<Quantity>(undefined, { name: 'g' });
  /** Marks AlignPost synapses (brainpy's AlignPost mixin). */
  readonly alignPost = true;

  constructor(inSize: number | readonly number[], opts: ExponOptions = {}) {
    super(inSize, opts.name);
    this.tau = checkDim(this.name, 'tau', opts.tau ?? ms(8), ms(1));
    this.g_initializer = opts.g_initializer ?? mS(0);
  }

  /** A descriptor for AlignPostProj's merging mode: `Expon.desc(nPost, { tau: u.ms(5) })`. */
  static desc(inSize: number | readonly number[], opts: ExponOptions = {}): ParamDescriber<Expon> {
    return new ParamDescriber(Expon, [inSize, opts]);
  }

  /** The unit of g (that of the initializer), known before initState. */
  get gUnit(): Unit {
    const init = this.g_initializer;
    if (typeof init === 'function') return init([1]).unit;
    return isQuantity(init) ? init.unit : Unit.dimensionless;
  }

  override initState(opts: nn.InitOptions = {}): void {
    this.g.reset(initValue(this.g_initializer, this.stateShape(opts.batchSize), `${this.name}.g`));
  }

  override call(x?: Quantity): Quantity {
    return super.call(...(x === undefined ? [] : [x])) as Quantity;
  }

  override update(x?: Quantity): Quantity {
    const g0 = this.g.value;
    let g = expEulerStep(g0, g0.neg().div(this.tau), this.tau.pow(-1).neg());
    g = this.sumDeltaInputs(g);
    if (x !== undefined) g = g.add(x);
    this.g.value = g;
    return g;
  }
}
