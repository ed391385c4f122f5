/**
 * brainpy.state.HH (`brainpy_state/_brainpy/hh.py`): the Hodgkin-Huxley neuron.
 *   C dV/dt = -(gNa m^3 h (V - ENa) + gK n^4 (V - EK) + gL (V - EL)) + I
 *   dx/dt = alpha_x(V) (1 - x) - beta_x(V) x,   x in {m, h, n}
 * with the rates (V in mV, rates per ms):
 *   alpha_m = 1 / exprel(-(V + 40)/10)          beta_m = 4 e^{-(V + 65)/18}
 *   alpha_h = 0.07 e^{-(V + 65)/20}             beta_h = 1 / (1 + e^{-(V + 35)/10})
 *   alpha_n = 0.1 / exprel(-(V + 55)/10)        beta_n = 0.125 e^{-(V + 65)/80}
 * Each step, as brainpy.state: the ionic currents and the summed input current (V-dependent
 * inputs called with the stored V) are taken from the *previous* step, so the V drift does not
 * depend on the V being integrated (J_V = 0) and exponential Euler is a forward-Euler step
 * V' = V + dt dV; then the delta inputs. Each gating variable takes an exponential-Euler step with
 * its rates at the previous V (J = -(alpha + beta)), which is its exact exponential relaxation
 * towards alpha / (alpha + beta). The spike is a level test on (V - V_th) / V_th >= 0 (not a
 * crossing test: it stays on while V stays above V_th); there is no reset.
 * Gating variables start at their steady states x_inf(V) for the initial V unless an
 * initializer is given.
 */
import { Tensor } from '@spiketrace/compiler';
import { HiddenState, type nn } from '@spiketrace/state';
import { isQuantity, mS, mV, Quantity, uA, uF, type Unit } from '@spiketrace/units';
import { HHGated, type GateRates } from './conductance-base.ts';
import { dimensionlessInit, type Initializer, type InitLike } from './init.ts';
import { checkDim } from './lif.ts';
import type { NeuronOptions } from './neuron.ts';
import { Random } from './random.ts';
import { ReluGrad } from './spike.ts';

/**
 * Uniformly distributed values in [low, high) (braintools.init.Uniform), drawn on the host from a
 * seeded generator, so the same seed gives the same values on every call and platform. `low`
 * and `high` must have the same dimension; the result is in low's unit.
 */
export function Uniform(low: Quantity | number, high: Quantity | number, opts: { seed?: number } = {}): Initializer {
  const lo = isQuantity(low) ? low : new Quantity(Tensor.scalar(low));
  const hi = isQuantity(high) ? high : new Quantity(Tensor.scalar(high));
  if (lo.size !== 1 || hi.size !== 1) throw new RangeError('Uniform: low and high must be scalars');
  const unit: Unit = lo.unit;
  const b = hi.to(unit).mantissa.data[0] as number; // throws a unit mismatch naming both units
  const a = lo.mantissa.data[0] as number;
  if (!(b >= a)) throw new RangeError(`Uniform: high must be >= low, got low ${String(low)}, high ${String(high)}`);
  const seed = opts.seed ?? 0;
  return (shape) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const rng = new Random(seed);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = a + (b - a) * rng.uniform();
    return new Quantity(Tensor.fromArray(data, shape), unit);
  };
}

export interface HHOptions extends NeuronOptions {
  /** Sodium reversal potential (default 50 mV). */
  ENa?: Quantity;
  /** Maximal sodium conductance (default 120 mS). */
  gNa?: Quantity;
  /** Potassium reversal potential (default -77 mV). */
  EK?: Quantity;
  /** Maximal potassium conductance (default 36 mS). */
  gK?: Quantity;
  /** Leak reversal potential (default -54.387 mV). */
  EL?: Quantity;
  /** Leak conductance (default 0.03 mS). */
  gL?: Quantity;
  /** Spike threshold (default 20 mV; the spike is read on (V - V_th) / V_th). */
  V_th?: Quantity;
  /** Membrane capacitance (default 1 uF). */
  C?: Quantity;
  /** Initial V (default Uniform(-70 mV, -60 mV), seed 0). */
  V_initializer?: InitLike;
  /** Initial m, h, n (dimensionless; default: the steady state at the initial V). */
  m_initializer?: InitLike;
  h_initializer?: InitLike;
  n_initializer?: InitLike;
}

/** brainpy.state.HH's rates (V in mV, per ms): see the module doc. */
const HH_RATES: GateRates = {
  m_alpha: { form: 'exprel', A: 1, shift: 40, scale: -10 },
  m_beta: { form: 'exp', A: 4, shift: 65, scale: -18 },
  h_alpha: { form: 'exp', A: 0.07, shift: 65, scale: -20 },
  h_beta: { form: 'logistic', A: 1, shift: 35, scale: -10 },
  n_alpha: { form: 'exprel', A: 0.1, shift: 55, scale: -10 },
  n_beta: { form: 'exp', A: 0.125, shift: 65, scale: -80 },
};

export class HH extends HHGated {
  protected readonly rates = HH_RATES;
  readonly ENa: Quantity;
  readonly gNa: Quantity;
  readonly EK: Quantity;
  readonly gK: Quantity;
  readonly EL: Quantity;
  readonly gL: Quantity;
  readonly V_th: Quantity;
  readonly C: Quantity;
  readonly V_initializer: InitLike;
  readonly m_initializer: InitLike | undefined;
  readonly h_initializer: InitLike | undefined;
  readonly n_initializer: InitLike | undefined;
  readonly m = new HiddenState<Quantity>(undefined, { name: 'm' });
  readonly h = new HiddenState<Quantity>(undefined, { name: 'h' });
  readonly n = new HiddenState<Quantity>(undefined, { name: 'n' });

  constructor(inSize: number | readonly number[], opts: HHOptions = {}) {
    super(inSize, opts, new ReluGrad());
    const o = this.name;
    this.ENa = checkDim(o, 'ENa', opts.ENa ?? mV(50), mV(1));
    this.gNa = checkDim(o, 'gNa', opts.gNa ?? mS(120), mS(1));
    this.EK = checkDim(o, 'EK', opts.EK ?? mV(-77), mV(1));
    this.gK = checkDim(o, 'gK', opts.gK ?? mS(36), mS(1));
    this.EL = checkDim(o, 'EL', opts.EL ?? mV(-54.387), mV(1));
    this.gL = checkDim(o, 'gL', opts.gL ?? mS(0.03), mS(1));
    this.V_th = checkDim(o, 'V_th', opts.V_th ?? mV(20), mV(1));
    this.C = checkDim(o, 'C', opts.C ?? uF(1), uF(1));
    this.V_initializer = opts.V_initializer ?? Uniform(mV(-70), mV(-60));
    this.m_initializer = opts.m_initializer;
    this.h_initializer = opts.h_initializer;
    this.n_initializer = opts.n_initializer;
  }

  override initState(opts: nn.InitOptions = {}): void {
    const shape = this.stateShape(opts.batchSize);
    const V = this.initV(shape);
    const gate = (name: 'm' | 'h' | 'n', init: InitLike | undefined, inf: (v: Quantity) => Quantity): Quantity =>
      init === undefined ? inf(V) : dimensionlessInit(this.name, name, init, shape);
    this.m.reset(gate('m', this.m_initializer, (v) => this.m_inf(v)));
    this.h.reset(gate('h', this.h_initializer, (v) => this.h_inf(v)));
    this.n.reset(gate('n', this.n_initializer, (v) => this.n_inf(v)));
  }

  override update(x: Quantity = uA(0)): Tensor {
    const V0 = this.V.value, m0 = this.m.value, h0 = this.h.value, n0 = this.n.value;
    // ionic currents at the previous step (uA with the default units)
    const INa = this.gNa.mul(m0.mul(m0).mul(m0).mul(h0)).mul(V0.sub(this.ENa));
    const n2 = n0.mul(n0);
    const IK = this.gK.mul(n2.mul(n2)).mul(V0.sub(this.EK));
    const IL = this.gL.mul(V0.sub(this.EL));
    const V = this.stepV(x, V0, [INa, IK, IL]);
    this.m.value = this.gateStep(m0, this.m_alpha(V0), this.m_beta(V0));
    this.h.value = this.gateStep(h0, this.h_alpha(V0), this.h_beta(V0));
    this.n.value = this.gateStep(n0, this.n_alpha(V0), this.n_beta(V0));
    this.V.value = V;
    return this.getSpike(V);
  }
}
