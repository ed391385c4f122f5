/**
 * MgBlock (brainpy.state `_brainpy/synouts.py`): a conductance output with the voltage-dependent
 * magnesium block of NMDA channels,
 *
 *   I = g (E - V) / N(V),   N(V) = 1 + (cc_Mg / beta) exp(alpha (V_offset - V)).
 *
 * brainpy.state takes unitless floats (E = 0, cc_Mg = 1.2, alpha = 0.062, beta = 3.57, V_offset = 0)
 * meant in mV, 1/mV and mM; here plain numbers mean exactly that, and Quantities are accepted.
 *
 * Its slope, for exponential Euler's J (derived by hand; brainpy gets it by autodiff). With
 * B = (cc_Mg / beta) exp(alpha (V_offset - V)), N = 1 + B and dN/dV = -alpha B:
 *
 *   dI/dV = g [ -N - (E - V) dN/dV ] / N^2 = (g / N) (alpha (E - V) B / N - 1).
 */
import { Tensor } from '@spiketrace/compiler';
import { math, mM, mV, Quantity, Unit } from '@spiketrace/units';
import { ParamDescriber } from './describe.ts';
import { checkDim } from './lif.ts';
import { SynOut } from './synouts.ts';

export interface MgBlockOptions {
  /** Reversal potential (default 0 mV; a number means mV). */
  E?: Quantity | number;
  /** Extracellular Mg2+ concentration (default 1.2; a number means mM). */
  cc_Mg?: Quantity | number;
  /** Voltage sensitivity (default 0.062; a number means 1/mV). */
  alpha?: Quantity | number;
  /** Concentration scale (default 3.57; a number means mM). */
  beta?: Quantity | number;
  /** Voltage offset (default 0 mV; a number means mV). */
  V_offset?: Quantity | number;
  name?: string;
}

const perMV = (v: number) => math.full([], v).div(mV);

function asQ(who: string, name: string, v: Quantity | number, like: Quantity, make: (x: number) => Quantity): Quantity {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`${who}: ${name} must be finite, got ${v}`);
    return make(v);
  }
  return checkDim(who, name, v, like);
}

function positive(who: string, name: string, q: Quantity): Quantity {
  if (!q.isTraced && Array.from(q.mantissa.data).some((x) => !(x > 0) || !Number.isFinite(x))) {
    throw new RangeError(`${who}: ${name} must be positive and finite, got ${String(q)}`);
  }
  return q;
}

export class MgBlock extends SynOut {
  readonly E: Quantity;
  readonly cc_Mg: Quantity;
  readonly alpha: Quantity;
  readonly beta: Quantity;
  readonly V_offset: Quantity;

  constructor(opts: MgBlockOptions = {}) {
    super(opts.name);
    const who = this.name.startsWith('MgBlock') ? this.name : `${this.name} (MgBlock)`;
    this.E = asQ(who, 'E', opts.E ?? 0, mV(1), mV);
    this.cc_Mg = asQ(who, 'cc_Mg', opts.cc_Mg ?? 1.2, mM(1), mM);
    if (this.cc_Mg.mantissa.data.some((x) => x < 0)) throw new RangeError(`${who}: cc_Mg must be non-negative, got ${String(this.cc_Mg)}`);
    this.alpha = asQ(who, 'alpha', opts.alpha ?? 0.062, perMV(1), perMV);
    this.beta = positive(who, 'beta', asQ(who, 'beta', opts.beta ?? 3.57, mM(1), mM));
    this.V_offset = asQ(who, 'V_offset', opts.V_offset ?? 0, mV(1), mV);
  }

  static desc(opts: MgBlockOptions = {}): ParamDescriber<MgBlock> {
    return new ParamDescriber(MgBlock, [opts]);
  }

  get factorUnit(): Unit {
    return this.E.unit;
  }

  /** B = (cc_Mg / beta) exp(alpha (V_offset - V)) as a plain Tensor. */
  private block(V: Quantity): Tensor {
    const ratio = this.cc_Mg.div(this.beta).toDecimal();
    return math.multiply(ratio, math.exp(this.alpha.mul(this.V_offset.sub(V))));
  }

  current(V: Quantity): Quantity {
    const N = math.add(this.block(V), 1);
    return this.cond.mul(this.E.sub(V)).div(N);
  }

  slope(V: Quantity): Quantity {
    const B = this.block(V);
    const N = math.add(B, 1);
    const aEV = this.alpha.mul(this.E.sub(V)).toDecimal(); // alpha (E - V), dimensionless
    const inner = math.subtract(math.divide(math.multiply(aEV, B), N), 1);
    return this.cond.div(N).mul(inner);
  }
}
