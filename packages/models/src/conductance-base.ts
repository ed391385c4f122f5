/**
 * What brainpy.state's conductance-based neurons (HH, WangBuzsakiHH, MorrisLecar: `hh.py`) share:
 * V with its initializer, a level-test spike on (V - V_th) / V_th, an input current in uA by
 * default, and the V step: the ionic currents and the summed input current (V-dependent inputs
 * called with the stored V) are those of the *previous* step, so the V drift does not depend on
 * the V being integrated (J_V = 0) and exponential Euler is forward Euler V' = V + dt dV; then the
 * delta inputs. `HHGated` adds Hodgkin-Huxley rate functions from a table of constants.
 */
import { ops, type Tensor } from '@spiketrace/compiler';
import { environ, HiddenState } from '@spiketrace/state';
import { math, mS, mV, ms, type Quantity, uA, uF, Unit } from '@spiketrace/units';
import { initValue, type InitLike } from './init.ts';
import { expEulerStep } from './integrators.ts';
import { checkCurrent, checkDim, checkPositive } from './lif.ts';
import { Neuron, type NeuronOptions } from './neuron.ts';
import { ReluGrad } from './spike.ts';

export abstract class ConductanceNeuron extends Neuron {
  abstract readonly V_th: Quantity;
  abstract readonly C: Quantity;
  abstract readonly V_initializer: InitLike;
  readonly V = new HiddenState<Quantity>(undefined, { name: 'V' });

  /** V's initial value of `shape`, checked to be a voltage, in V_th's unit. */
  protected initV(shape: readonly number[]): Quantity {
    const V = checkDim(this.name, 'V_initializer', initValue(this.V_initializer, shape, `${this.name}.V`), mV(1)).to(this.V_th.unit);
    this.V.reset(V);
    return V;
  }

  /** The spike of V (the stored one by default): a level test on (V - V_th) / V_th. */
  getSpike(V: Quantity = this.V.value): Tensor {
    return this.spkFun.forward(math.maybeDecimal(V.sub(this.V_th).div(this.V_th)) as Tensor);
  }

  /** One step with input current x (Python's `neuron(x)`): hooks, update, hooks; returns the spike. */
  override call(x: Quantity = uA(0)): Tensor {
    return super.call(x) as Tensor;
  }

  /** V after one step from V0 with input x and the ionic currents at V0, subtracted in order (see the module doc). */
  protected stepV(x: Quantity, V0: Quantity, ionic: readonly Quantity[]): Quantity {
    checkCurrent(this.name, x, uA(10));
    const dV = ionic.reduce((I, c) => I.sub(c), this.sumCurrentInputs(x, V0)).div(this.C);
    // J_V = 0 (the drift is constant over the step): exp-Euler is forward Euler, exprel(0) = 1
    return this.sumDeltaInputs(V0.add(environ.getDt().mul(dV)).to(V0.unit));
  }
}

/** A rate in 1/ms of z = (V + shift) / scale (V in mV): A / exprel(z), A e^z or A / (e^z + 1). */
export interface RateForm {
  readonly form: 'exprel' | 'exp' | 'logistic';
  readonly A: number;
  readonly shift: number;
  readonly scale: number;
}

export type GateRates = Readonly<Record<'m_alpha' | 'm_beta' | 'h_alpha' | 'h_beta' | 'n_alpha' | 'n_beta', RateForm>>;

const perMs = (v: number) => ms(1).rdiv(v);

function rateAt(V: Quantity, r: RateForm): Quantity {
  const z = math.maybeDecimal(V.add(mV(r.shift)).div(mV(r.scale))) as Tensor;
  if (r.form === 'exprel') return perMs(r.A).div(math.exprel(z));
  if (r.form === 'exp') return perMs(r.A).mul(math.exp(z));
  return perMs(r.A).div(ops.add(math.exp(z), 1));
}

/** The parameters every Hodgkin-Huxley-type model has (each model documents its defaults). */
export interface HHChannelOptions extends NeuronOptions {
  /** Sodium reversal potential. */
  ENa?: Quantity;
  /** Maximal sodium conductance. */
  gNa?: Quantity;
  /** Potassium reversal potential. */
  EK?: Quantity;
  /** Maximal potassium conductance. */
  gK?: Quantity;
  /** Leak reversal potential. */
  EL?: Quantity;
  /** Leak conductance. */
  gL?: Quantity;
  /** Spike threshold (the spike is read on (V - V_th) / V_th). */
  V_th?: Quantity;
  /** Membrane capacitance. */
  C?: Quantity;
  /** Initial V. */
  V_initializer?: InitLike;
}

/** A model's defaults of HHChannelOptions (mV, mS, uF). */
export interface HHChannelDefaults {
  ENa: number; gNa: number; EK: number; gK: number; EL: number; gL: number; V_th: number; C: number;
  V_initializer: InitLike;
}

/**
 * A Hodgkin-Huxley-type neuron: sodium, potassium and leak channels, the m, h, n rates of its
 * table, their steady states and the gate step.
 */
export abstract class HHGated extends ConductanceNeuron {
  protected abstract readonly rates: GateRates;
  readonly ENa: Quantity;
  readonly gNa: Quantity;
  readonly EK: Quantity;
  readonly gK: Quantity;
  readonly EL: Quantity;
  readonly gL: Quantity;
  readonly V_th: Quantity;
  readonly C: Quantity;
  readonly V_initializer: InitLike;

  constructor(inSize: number | readonly number[], opts: HHChannelOptions, d: HHChannelDefaults) {
    super(inSize, opts, new ReluGrad());
    const o = this.name;
    this.ENa = checkDim(o, 'ENa', opts.ENa ?? mV(d.ENa), mV(1));
    this.gNa = checkPositive(o, 'gNa', opts.gNa ?? mS(d.gNa), mS(1), true);
    this.EK = checkDim(o, 'EK', opts.EK ?? mV(d.EK), mV(1));
    this.gK = checkPositive(o, 'gK', opts.gK ?? mS(d.gK), mS(1), true);
    this.EL = checkDim(o, 'EL', opts.EL ?? mV(d.EL), mV(1));
    this.gL = checkPositive(o, 'gL', opts.gL ?? mS(d.gL), mS(1), true);
    this.V_th = checkDim(o, 'V_th', opts.V_th ?? mV(d.V_th), mV(1));
    this.C = checkPositive(o, 'C', opts.C ?? uF(d.C), uF(1));
    this.V_initializer = opts.V_initializer ?? d.V_initializer;
  }

  /** The sodium, potassium and leak currents at V0 for a sodium activation m and gates h, n. */
  protected channelCurrents(V0: Quantity, m: Quantity, h: Quantity, n: Quantity): Quantity[] {
    const INa = this.gNa.mul(m.mul(m).mul(m).mul(h)).mul(V0.sub(this.ENa));
    const n2 = n.mul(n);
    const IK = this.gK.mul(n2.mul(n2)).mul(V0.sub(this.EK));
    return [INa, IK, this.gL.mul(V0.sub(this.EL))];
  }

  m_alpha(V: Quantity): Quantity { return rateAt(V, this.rates.m_alpha); }
  m_beta(V: Quantity): Quantity { return rateAt(V, this.rates.m_beta); }
  h_alpha(V: Quantity): Quantity { return rateAt(V, this.rates.h_alpha); }
  h_beta(V: Quantity): Quantity { return rateAt(V, this.rates.h_beta); }
  n_alpha(V: Quantity): Quantity { return rateAt(V, this.rates.n_alpha); }
  n_beta(V: Quantity): Quantity { return rateAt(V, this.rates.n_beta); }

  /** alpha / (alpha + beta) of a gate at V (dimensionless). */
  m_inf(V: Quantity): Quantity { return steady(this.m_alpha(V), this.m_beta(V)); }
  h_inf(V: Quantity): Quantity { return steady(this.h_alpha(V), this.h_beta(V)); }
  n_inf(V: Quantity): Quantity { return steady(this.n_alpha(V), this.n_beta(V)); }

  /**
   * One exponential-Euler step of dx/dt = phi (alpha (1 - x) - beta x) with J = -phi (alpha + beta):
   * the exact relaxation towards alpha / (alpha + beta) over dt.
   */
  protected gateStep(x0: Quantity, a: Quantity, b: Quantity, phi?: Quantity): Quantity {
    const drift = a.mul(x0.neg().add(1)).sub(b.mul(x0));
    const J = a.add(b).neg();
    return expEulerStep(x0, phi ? phi.mul(drift) : drift, phi ? phi.mul(J) : J).to(Unit.dimensionless);
  }
}

function steady(a: Quantity, b: Quantity): Quantity {
  return a.div(a.add(b)).to(Unit.dimensionless);
}
