/**
 * brainpy.state's MorrisLecar and WangBuzsakiHH (`brainpy_state/_brainpy/hh.py`), stepped as HH
 * (neurons-hh.ts): the ionic currents and the summed input current (V-dependent inputs called
 * with the stored V) are taken from the *previous* step, so the V drift does not depend on the V
 * being integrated (J_V = 0) and exponential Euler is a forward-Euler step V' = V + dt dV; then
 * the delta inputs. Each gating variable takes an exponential-Euler step with its rates at the
 * previous V, which is its exact exponential relaxation. The spike is a level test on
 * (V - V_th) / V_th >= 0 of the new V (it stays on while V stays above V_th); there is no reset.
 */
import { ops, type Tensor } from '@spiketrace/compiler';
import { HiddenState, type nn } from '@spiketrace/state';
import { math, mS, mV, ms, Quantity, uA, uF, Unit } from '@spiketrace/units';
import { ConductanceNeuron, HHGated, type GateRates, type HHChannelOptions } from './conductance-base.ts';
import { Constant, dimensionlessInit, type InitLike } from './init.ts';
import { expEulerStep } from './integrators.ts';
import { checkDim, checkDimensionless, checkPositive } from './lif.ts';
import type { NeuronOptions } from './neuron.ts';
import { Uniform } from './neurons-hh.ts';
import { ReluGrad } from './spike.ts';

const perMs = (v: number) => ms(1).rdiv(v);

/** (V - shift) / scale as a dimensionless Tensor (V, shift and scale of one dimension). */
function ratio(V: Quantity, shift: Quantity, scale: Quantity): Tensor {
  return math.maybeDecimal(V.sub(shift).div(scale)) as Tensor;
}

export interface MorrisLecarOptions extends NeuronOptions {
  /** Calcium reversal potential (default 130 mV). */
  V_Ca?: Quantity;
  /** Maximal calcium conductance (default 4.4 mS). */
  g_Ca?: Quantity;
  /** Potassium reversal potential (default -84 mV). */
  V_K?: Quantity;
  /** Maximal potassium conductance (default 8 mS). */
  g_K?: Quantity;
  /** Leak reversal potential (default -60 mV). */
  V_leak?: Quantity;
  /** Leak conductance (default 2 mS). */
  g_leak?: Quantity;
  /** Membrane capacitance (default 20 uF). */
  C?: Quantity;
  /** V at which M_inf = 0.5 (default -1.2 mV). */
  V1?: Quantity;
  /** Slope scale of M_inf (default 18 mV). */
  V2?: Quantity;
  /** V at which W_inf = 0.5 (default 2 mV). */
  V3?: Quantity;
  /** Slope scale of W_inf and tau_W (default 30 mV). */
  V4?: Quantity;
  /** Temperature factor, a rate (default 0.04 / ms). */
  phi?: Quantity;
  /** Spike threshold (default 10 mV; the spike is read on (V - V_th) / V_th). */
  V_th?: Quantity;
  /** Initial V (default Uniform(-70 mV, -60 mV), seed 0). */
  V_initializer?: InitLike;
  /** Initial W (dimensionless; default Constant(0.02)). */
  W_initializer?: InitLike;
}

/**
 * brainpy.state.MorrisLecar:
 *   C dV/dt = -g_Ca M_inf(V) (V - V_Ca) - g_K W (V - V_K) - g_leak (V - V_leak) + I
 *   dW/dt = (W_inf(V) - W) / tau_W(V)
 *   M_inf = (1 + tanh((V - V1)/V2)) / 2,  W_inf = (1 + tanh((V - V3)/V4)) / 2,
 *   tau_W = 1 / (phi cosh((V - V3)/(2 V4)))
 * W relaxes exactly towards W_inf(V_prev) with the rate 1/tau_W(V_prev) (J = -1/tau_W).
 */
export class MorrisLecar extends ConductanceNeuron {
  readonly V_Ca: Quantity;
  readonly g_Ca: Quantity;
  readonly V_K: Quantity;
  readonly g_K: Quantity;
  readonly V_leak: Quantity;
  readonly g_leak: Quantity;
  readonly C: Quantity;
  readonly V1: Quantity;
  readonly V2: Quantity;
  readonly V3: Quantity;
  readonly V4: Quantity;
  readonly phi: Quantity;
  readonly V_th: Quantity;
  readonly V_initializer: InitLike;
  readonly W_initializer: InitLike;
  readonly W = new HiddenState<Quantity>(undefined, { name: 'W' });

  constructor(inSize: number | readonly number[], opts: MorrisLecarOptions = {}) {
    super(inSize, opts, new ReluGrad());
    const o = this.name;
    this.V_Ca = checkDim(o, 'V_Ca', opts.V_Ca ?? mV(130), mV(1));
    this.g_Ca = checkPositive(o, 'g_Ca', opts.g_Ca ?? mS(4.4), mS(1), true);
    this.V_K = checkDim(o, 'V_K', opts.V_K ?? mV(-84), mV(1));
    this.g_K = checkPositive(o, 'g_K', opts.g_K ?? mS(8), mS(1), true);
    this.V_leak = checkDim(o, 'V_leak', opts.V_leak ?? mV(-60), mV(1));
    this.g_leak = checkPositive(o, 'g_leak', opts.g_leak ?? mS(2), mS(1), true);
    this.C = checkPositive(o, 'C', opts.C ?? uF(20), uF(1));
    this.V1 = checkDim(o, 'V1', opts.V1 ?? mV(-1.2), mV(1));
    this.V2 = checkPositive(o, 'V2', opts.V2 ?? mV(18), mV(1));
    this.V3 = checkDim(o, 'V3', opts.V3 ?? mV(2), mV(1));
    this.V4 = checkPositive(o, 'V4', opts.V4 ?? mV(30), mV(1));
    this.phi = checkPositive(o, 'phi', opts.phi ?? perMs(0.04), perMs(1));
    this.V_th = checkDim(o, 'V_th', opts.V_th ?? mV(10), mV(1));
    this.V_initializer = opts.V_initializer ?? Uniform(mV(-70), mV(-60));
    this.W_initializer = opts.W_initializer ?? Constant(0.02);
  }

  /** The steady calcium activation at V (dimensionless). */
  M_inf(V: Quantity): Tensor {
    return ops.mul(ops.add(math.tanh(ratio(V, this.V1, this.V2)), 1), 0.5);
  }

  /** The steady W at V (dimensionless). */
  W_inf(V: Quantity): Tensor {
    return ops.mul(ops.add(math.tanh(ratio(V, this.V3, this.V4)), 1), 0.5);
  }

  /**
   * 1 / tau_W = phi cosh((V - V3) / (2 V4)). The units math and the compiler have no cosh, so it
   * is (e^z + e^-z) / 2; |z| stays small (V4 = 30 mV: |z| < 3 for |V| < 180 mV), so no overflow.
   */
  W_rate(V: Quantity): Quantity {
    const z = ratio(V, this.V3, this.V4.mul(2));
    return this.phi.mul(ops.mul(ops.add(math.exp(z), math.exp(ops.neg(z))), 0.5));
  }

  /** The time constant of W at V. */
  tau_W(V: Quantity): Quantity {
    return this.W_rate(V).rdiv(1);
  }

  override initState(opts: nn.InitOptions = {}): void {
    const shape = this.stateShape(opts.batchSize);
    this.initV(shape);
    this.W.reset(dimensionlessInit(this.name, 'W', this.W_initializer, shape));
  }

  override update(x: Quantity = uA(0)): Tensor {
    const V0 = this.V.value, W0 = this.W.value;
    // ionic currents at the previous step (uA with the default units)
    const ICa = this.g_Ca.mul(this.M_inf(V0)).mul(V0.sub(this.V_Ca));
    const IK = this.g_K.mul(W0).mul(V0.sub(this.V_K));
    const IL = this.g_leak.mul(V0.sub(this.V_leak));
    const V = this.stepV(x, V0, [ICa, IK, IL]);
    const rate = this.W_rate(V0);
    const W = expEulerStep(W0, rate.mul(W0.neg().add(this.W_inf(V0))), rate.neg()).to(Unit.dimensionless);
    this.V.value = V;
    this.W.value = W;
    return this.getSpike(V);
  }
}

/**
 * WangBuzsakiHH's options; defaults ENa 55 mV, gNa 35 mS, EK -90 mV, gK 9 mS, EL -65 mV,
 * gL 0.1 mS, V_th 20 mV, C 1 uF, V_initializer -65 mV.
 */
export interface WangBuzsakiHHOptions extends HHChannelOptions {
  /** Temperature factor of the h and n kinetics, a dimensionless number (default 5). */
  phi?: Quantity | number;
  /** Initial h and n (dimensionless; defaults 0.6 and 0.32). */
  h_initializer?: InitLike;
  n_initializer?: InitLike;
}

/** WangBuzsakiHH's rates (V in mV, per ms): see the class doc. */
const WB_RATES: GateRates = {
  m_alpha: { form: 'exprel', A: 1, shift: 35, scale: -10 },
  m_beta: { form: 'exp', A: 4, shift: 60, scale: -18 },
  h_alpha: { form: 'exp', A: 0.07, shift: 58, scale: -20 },
  h_beta: { form: 'logistic', A: 1, shift: 28, scale: -10 },
  n_alpha: { form: 'exprel', A: 0.1, shift: 34, scale: -10 },
  n_beta: { form: 'exp', A: 0.125, shift: 44, scale: -80 },
};

/**
 * brainpy.state.WangBuzsakiHH (Wang & Buzsaki 1996), a Hodgkin-Huxley model with instantaneous
 * sodium activation m = m_inf(V):
 *   C dV/dt = -gNa m_inf^3 h (V - ENa) - gK n^4 (V - EK) - gL (V - EL) + I
 *   dx/dt = phi (alpha_x(V) (1 - x) - beta_x(V) x),   x in {h, n}
 * with the rates (V in mV, rates per ms):
 *   alpha_m = 1 / exprel(-0.1 (V + 35))          beta_m = 4 e^{-(V + 60)/18}
 *   alpha_h = 0.07 e^{-(V + 58)/20}              beta_h = 1 / (e^{-0.1 (V + 28)} + 1)
 *   alpha_n = 0.1 / exprel(-0.1 (V + 34))        beta_n = 0.125 e^{-(V + 44)/80}
 * alpha_n is the published one, -0.01 (V + 34) / (e^{-0.1 (V + 34)} - 1) (Wang & Buzsaki 1996,
 * BrainPy 2.x and brainpy.state's own docstring); a stored version of brainpy.state's code writes
 * 1 / exprel(...) there, ten times that, contradicting its docstring, which is not followed here.
 * h and n relax exactly towards alpha / (alpha + beta) with the rate phi (alpha + beta).
 */
export class WangBuzsakiHH extends HHGated {
  protected readonly rates = WB_RATES;
  readonly phi: Quantity;
  readonly h_initializer: InitLike;
  readonly n_initializer: InitLike;
  readonly h = new HiddenState<Quantity>(undefined, { name: 'h' });
  readonly n = new HiddenState<Quantity>(undefined, { name: 'n' });

  constructor(inSize: number | readonly number[], opts: WangBuzsakiHHOptions = {}) {
    super(inSize, opts, { ENa: 55, gNa: 35, EK: -90, gK: 9, EL: -65, gL: 0.1, V_th: 20, C: 1, V_initializer: Constant(mV(-65)) });
    this.phi = checkPositive(this.name, 'phi', checkDimensionless(this.name, 'phi', opts.phi ?? 5), math.full([], 1));
    this.h_initializer = opts.h_initializer ?? Constant(0.6);
    this.n_initializer = opts.n_initializer ?? Constant(0.32);
  }

  override initState(opts: nn.InitOptions = {}): void {
    const shape = this.stateShape(opts.batchSize);
    this.initV(shape);
    this.h.reset(dimensionlessInit(this.name, 'h', this.h_initializer, shape));
    this.n.reset(dimensionlessInit(this.name, 'n', this.n_initializer, shape));
  }

  override update(x: Quantity = uA(0)): Tensor {
    const V0 = this.V.value, h0 = this.h.value, n0 = this.n.value;
    // ionic currents at the previous step (uA with the default units)
    const V = this.stepV(x, V0, this.channelCurrents(V0, this.m_inf(V0), h0, n0));
    this.h.value = this.gateStep(h0, this.h_alpha(V0), this.h_beta(V0), this.phi);
    this.n.value = this.gateStep(n0, this.n_alpha(V0), this.n_beta(V0), this.phi);
    this.V.value = V;
    return this.getSpike(V);
  }
}
