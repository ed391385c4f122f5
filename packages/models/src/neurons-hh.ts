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
import { isQuantity, mV, Quantity, uA, type Unit } from '@spiketrace/units';
import { HHGated, type GateRates, type HHChannelOptions } from './conductance-base.ts';
import { dimensionlessInit, seedOf, type Initializer, type InitLike } from './init.ts';
import { Random } from './random.ts';

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
  const seed = seedOf('Uniform', opts.seed);
  return (shape) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const rng = new Random(seed);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = a + (b - a) * rng.uniform();
    return new Quantity(Tensor.fromArray(data, shape), unit);
  };
}

/**
 * HH's options; defaults ENa 50 mV, gNa 120 mS, EK -77 mV, gK 36 mS, EL -54.387 mV, gL 0.03 mS,
 * V_th 20 mV, C 1 uF, V_initializer Uniform(-70 mV, -60 mV) (seed 0).
 */
export interface HHOptions extends HHChannelOptions {
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
  readonly m_initializer: InitLike | undefined;
  readonly h_initializer: InitLike | undefined;
  readonly n_initializer: InitLike | undefined;
  readonly m = new HiddenState<Quantity>(undefined, { name: 'm' });
  readonly h = new HiddenState<Quantity>(undefined, { name: 'h' });
  readonly n = new HiddenState<Quantity>(undefined, { name: 'n' });

  constructor(inSize: number | readonly number[], opts: HHOptions = {}) {
    super(inSize, opts, { ENa: 50, gNa: 120, EK: -77, gK: 36, EL: -54.387, gL: 0.03, V_th: 20, C: 1, V_initializer: Uniform(mV(-70), mV(-60)) });
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
    const V = this.stepV(x, V0, this.channelCurrents(V0, m0, h0, n0));
    this.m.value = this.gateStep(m0, this.m_alpha(V0), this.m_beta(V0));
    this.h.value = this.gateStep(h0, this.h_alpha(V0), this.h_beta(V0));
    this.n.value = this.gateStep(n0, this.n_alpha(V0), this.n_beta(V0));
    this.V.value = V;
    return this.getSpike(V);
  }
}
