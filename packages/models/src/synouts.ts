/**
 * Synaptic outputs (brainpy.state `_brainpy/synouts.py`): turn a bound conductance g into a
 * current at the post neuron's V. `bindCond(g)` must come first (the AlignPost hook does it each
 * step). Each output also states its slope dI/dV, which exponential Euler needs for J.
 */
import { nn } from '@spiketrace/state';
import { ampere, isQuantity, mV, Quantity, Unit, volt } from '@spiketrace/units';
import { ParamDescriber } from './describe.ts';
import { checkDim } from './lif.ts';

export abstract class SynOut extends nn.Module {
  #g: Quantity | undefined;

  /** Bind the conductance the next call uses. */
  bindCond(g: Quantity): void {
    if (!isQuantity(g)) throw new TypeError(`${this.name}.bindCond: the conductance must be a Quantity`);
    this.#g = g;
  }

  /** The bound conductance; throws when none is bound. */
  get cond(): Quantity {
    if (this.#g === undefined) throw new Error(`${this.name}: no conductance bound; call bindCond(g) before using the output`);
    return this.#g;
  }

  /** The current at membrane potential V. */
  abstract current(V: Quantity): Quantity;
  /** dI/dV at V (undefined when the current does not depend on V). */
  abstract slope(V: Quantity): Quantity | undefined;
  /** The unit the output multiplies g by (to check that g times it is a current). */
  abstract get factorUnit(): Unit;

  override update(V: Quantity): Quantity {
    return this.current(V);
  }

  override call(V: Quantity): Quantity {
    return this.current(V);
  }
}

export interface COBAOptions {
  /** Reversal potential (default 0 mV). */
  E?: Quantity;
  name?: string;
}

/** Conductance-based output: I = g (E - V), slope -g. */
export class COBA extends SynOut {
  readonly E: Quantity;

  constructor(opts: COBAOptions = {}) {
    super(opts.name);
    this.E = checkDim(this.name, 'E', opts.E ?? mV(0), mV(1));
  }

  static desc(opts: COBAOptions = {}): ParamDescriber<COBA> {
    return new ParamDescriber(COBA, [opts]);
  }

  get factorUnit(): Unit {
    return this.E.unit;
  }

  current(V: Quantity): Quantity {
    return this.cond.mul(this.E.sub(V));
  }

  slope(_V: Quantity): Quantity {
    return this.cond.neg();
  }
}

export interface CUBAOptions {
  /** What g is multiplied by (default 1 V, so a conductance gives a current). */
  scale?: Quantity;
  name?: string;
}

/** Current-based output: I = g * scale, independent of V. */
export class CUBA extends SynOut {
  readonly scale: Quantity;

  constructor(opts: CUBAOptions = {}) {
    super(opts.name);
    const s = opts.scale ?? volt(1);
    if (!isQuantity(s) || s.size !== 1) throw new TypeError(`${this.name}: scale must be a scalar Quantity (for example u.volt(1))`);
    this.scale = s;
  }

  static desc(opts: CUBAOptions = {}): ParamDescriber<CUBA> {
    return new ParamDescriber(CUBA, [opts]);
  }

  get factorUnit(): Unit {
    return this.scale.unit;
  }

  current(_V: Quantity): Quantity {
    return this.cond.mul(this.scale);
  }

  slope(_V: Quantity): undefined {
    return undefined;
  }
}

/** Whether g in `gUnit` times `factor` is a current. */
export function givesCurrent(gUnit: Unit, factor: Unit): boolean {
  return gUnit.mul(factor).sameDim(ampere);
}
