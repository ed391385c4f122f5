/**
 * brainpy.state's integrate-and-fire family beyond LIF/LIFRef: IF, ALIF, ExpIF, AdExIF, QuaIF
 * (`brainpy_state/_brainpy/lif.py`), with brainpy.state's parameter names, defaults and update
 * order. Every update:
 *   1. spike from the *stored* V (scaled as the reference does),
 *   2. reset (soft: subtract; hard: land on V_reset, V_th being replaced by the stored V),
 *      second states jump (ALIF a += spk, AdExIF w += b spk),
 *   3. one exponential-Euler step of each drift (J = d drift / d state in closed form; a
 *      V-dependent current input contributes R dI/dV through sumCurrentInputsWithSlope),
 *   4. delta inputs onto V, store, return the spike of the new V.
 * A second state (a, w) takes its own exponential-Euler step; AdExIF's w step uses the new V.
 */
import type { Tensor } from '@spiketrace/compiler';
import { HiddenState, nn } from '@spiketrace/state';
import { mA, math, mV, ms, ohm, Quantity, siemens } from '@spiketrace/units';
import { dimensionlessInit, initValue, type InitLike } from './init.ts';
import { expEulerStep } from './integrators.ts';
import { checkCurrent, checkDim, leakJacobian, resetBySpike } from './lif.ts';
import { Neuron, type NeuronOptions } from './neuron.ts';
import { ReluGrad } from './spike.ts';
import { detach } from './detach.ts';

const ONE_OVER_MV = mV(1).rdiv(1);

/** Shared by the IF family: V, its initializer, the current check and the reset from the stored V. */
abstract class IFBase extends Neuron {
  readonly V = new HiddenState<Quantity>(undefined, { name: 'V' });
  readonly V_initializer: InitLike;
  abstract readonly V_th: Quantity;

  constructor(inSize: number | readonly number[], opts: NeuronOptions & { V_initializer?: InitLike }, vInit: Quantity) {
    super(inSize, opts, new ReluGrad());
    this.V_initializer = opts.V_initializer ?? vInit;
  }

  override initState(opts: nn.InitOptions = {}): void {
    this.V.reset(initValue(this.V_initializer, this.stateShape(opts.batchSize), `${this.name}.V`).to(this.V_th.unit));
  }

  /** One step with input current x (Python's `neuron(x)`): hooks, update, hooks; returns the spike. */
  override call(x: Quantity = mA(0)): Tensor {
    return super.call(x) as Tensor;
  }

  /** The input current must be a Quantity of current (like mA). */
  protected checkCurrent(x: Quantity): void {
    checkCurrent(this.name, x);
  }
}

// ---------------------------------------------------------------------------------------------
// IF

export interface IFOptions extends NeuronOptions {
  /** Membrane resistance (default 1 ohm). */
  R?: Quantity;
  /** Membrane time constant (default 5 ms). */
  tau?: Quantity;
  /** Threshold (default 1 mV; should be positive: the spike is read on (V - V_th) / V_th). */
  V_th?: Quantity;
  /** Initial V (default 0 mV). */
  V_initializer?: InitLike;
}

/**
 * brainpy.state.IF: tau dV/dt = -V + R I. Spike on (V - V_th) / V_th; soft reset subtracts
 * V_th, hard reset lands on 0.
 */
export class IF extends IFBase {
  readonly R: Quantity;
  readonly tau: Quantity;
  readonly V_th: Quantity;

  constructor(inSize: number | readonly number[], opts: IFOptions = {}) {
    super(inSize, opts, mV(0));
    const o = this.name;
    this.R = checkDim(o, 'R', opts.R ?? ohm(1), ohm(1));
    this.tau = checkDim(o, 'tau', opts.tau ?? ms(5), ms(1));
    this.V_th = checkDim(o, 'V_th', opts.V_th ?? mV(1), mV(1));
  }

  getSpike(V: Quantity = this.V.value): Tensor {
    return this.spkFun.forward(math.maybeDecimal(V.sub(this.V_th).div(this.V_th)) as Tensor);
  }

  override update(x: Quantity = mA(0)): Tensor {
    this.checkCurrent(x);
    const last = this.V.value;
    const spk = this.getSpike(last);
    const Vth = this.spkReset === 'soft' ? this.V_th : detach(last);
    let V = last.sub(Vth.mul(spk));
    const { I, slope } = this.sumCurrentInputsWithSlope(x, V);
    const drift = V.neg().add(this.R.mul(I)).div(this.tau);
    V = this.sumDeltaInputs(expEulerStep(V, drift, leakJacobian(this.R, this.tau, slope)));
    this.V.value = V;
    return this.getSpike(V);
  }
}

// ---------------------------------------------------------------------------------------------
// The LIF-shaped ones: spike on (V - V_th) / (V_th - V_reset), reset V -= (V_th' - V_reset) spk

abstract class LIFShaped extends IFBase {
  abstract readonly V_reset: Quantity;

  getSpike(V: Quantity = this.V.value): Tensor {
    return this.spkFun.forward(math.maybeDecimal(V.sub(this.V_th).div(this.V_th.sub(this.V_reset))) as Tensor);
  }

  /** V after the reset by the stored V's spike `spk`: soft subtracts (V_th - V_reset), hard lands on V_reset. */
  protected resetV(last: Quantity, spk: Tensor): Quantity {
    return resetBySpike(this.spkReset, last, this.V_th, this.V_reset, spk);
  }
}

// ---------------------------------------------------------------------------------------------
// ALIF

export interface ALIFOptions extends NeuronOptions {
  R?: Quantity;
  /** Membrane time constant (default 5 ms). */
  tau?: Quantity;
  /** Adaptation time constant (default 100 ms). */
  tau_a?: Quantity;
  V_th?: Quantity;
  V_reset?: Quantity;
  V_rest?: Quantity;
  /** Threshold increase per unit of a (default 0.1 mV). */
  beta?: Quantity;
  V_initializer?: InitLike;
  /** Initial adaptation (dimensionless, default 0). */
  a_initializer?: InitLike;
}

/**
 * brainpy.state.ALIF: tau dV/dt = -V + V_rest + R I, tau_a da/dt = -a. Spike on
 * (V - V_th - beta a) / (V_th - V_reset); a spike resets V as LIF does and adds 1 to a.
 */
export class ALIF extends LIFShaped {
  readonly R: Quantity;
  readonly tau: Quantity;
  readonly tau_a: Quantity;
  readonly V_th: Quantity;
  readonly V_reset: Quantity;
  readonly V_rest: Quantity;
  readonly beta: Quantity;
  readonly a_initializer: InitLike;
  readonly a = new HiddenState<Quantity>(undefined, { name: 'a' });

  constructor(inSize: number | readonly number[], opts: ALIFOptions = {}) {
    super(inSize, opts, mV(0));
    const o = this.name;
    this.R = checkDim(o, 'R', opts.R ?? ohm(1), ohm(1));
    this.tau = checkDim(o, 'tau', opts.tau ?? ms(5), ms(1));
    this.tau_a = checkDim(o, 'tau_a', opts.tau_a ?? ms(100), ms(1));
    this.V_th = checkDim(o, 'V_th', opts.V_th ?? mV(1), mV(1));
    this.V_reset = checkDim(o, 'V_reset', opts.V_reset ?? mV(0), mV(1));
    this.V_rest = checkDim(o, 'V_rest', opts.V_rest ?? mV(0), mV(1));
    this.beta = checkDim(o, 'beta', opts.beta ?? mV(0.1), mV(1));
    this.a_initializer = opts.a_initializer ?? 0;
  }

  override initState(opts: nn.InitOptions = {}): void {
    super.initState(opts);
    this.a.reset(dimensionlessInit(this.name, 'a', this.a_initializer, this.stateShape(opts.batchSize)));
  }

  override getSpike(V: Quantity = this.V.value, a: Quantity = this.a.value): Tensor {
    const scaled = V.sub(this.V_th).sub(this.beta.mul(a)).div(this.V_th.sub(this.V_reset));
    return this.spkFun.forward(math.maybeDecimal(scaled) as Tensor);
  }

  override update(x: Quantity = mA(0)): Tensor {
    this.checkCurrent(x);
    const lastV = this.V.value, lastA = this.a.value;
    const spk = this.getSpike(lastV, lastA);
    let V = this.resetV(lastV, spk);
    let a = lastA.add(spk);
    const { I, slope } = this.sumCurrentInputsWithSlope(x, V);
    const dV = V.neg().add(this.V_rest).add(this.R.mul(I)).div(this.tau);
    // J_V = (-1 + R dI/dV) / tau; J_a = -1 / tau_a
    const JV = leakJacobian(this.R, this.tau, slope);
    V = expEulerStep(V, dV, JV);
    a = expEulerStep(a, a.neg().div(this.tau_a), this.tau_a.pow(-1).neg());
    V = this.sumDeltaInputs(V);
    this.V.value = V;
    this.a.value = a;
    return this.getSpike(V, a);
  }
}

// ---------------------------------------------------------------------------------------------
// ExpIF

export interface ExpIFOptions extends NeuronOptions {
  /** Membrane resistance (default 1 ohm). */
  R?: Quantity;
  /** Membrane time constant (default 10 ms). */
  tau?: Quantity;
  /** Numerical threshold (default -30 mV). */
  V_th?: Quantity;
  /** Default -68 mV. */
  V_reset?: Quantity;
  /** Default -65 mV. */
  V_rest?: Quantity;
  /** Threshold of the exponential term (default -59.9 mV). */
  V_T?: Quantity;
  /** Spike slope factor (default 3.48 mV). */
  delta_T?: Quantity;
  /** Default -65 mV. */
  V_initializer?: InitLike;
}

/**
 * brainpy.state.ExpIF: tau dV/dt = -(V - V_rest) + delta_T exp((V - V_T) / delta_T) + R I.
 * J = (-1 + exp((V - V_T) / delta_T) + R dI/dV) / tau.
 */
export class ExpIF extends LIFShaped {
  readonly R: Quantity;
  readonly tau: Quantity;
  readonly V_th: Quantity;
  readonly V_reset: Quantity;
  readonly V_rest: Quantity;
  readonly V_T: Quantity;
  readonly delta_T: Quantity;

  constructor(inSize: number | readonly number[], opts: ExpIFOptions = {}, defaults: { V_th: Quantity } = { V_th: mV(-30) }) {
    super(inSize, opts, mV(-65));
    const o = this.name;
    this.R = checkDim(o, 'R', opts.R ?? ohm(1), ohm(1));
    this.tau = checkDim(o, 'tau', opts.tau ?? ms(10), ms(1));
    this.V_th = checkDim(o, 'V_th', opts.V_th ?? defaults.V_th, mV(1));
    this.V_reset = checkDim(o, 'V_reset', opts.V_reset ?? mV(-68), mV(1));
    this.V_rest = checkDim(o, 'V_rest', opts.V_rest ?? mV(-65), mV(1));
    this.V_T = checkDim(o, 'V_T', opts.V_T ?? mV(-59.9), mV(1));
    this.delta_T = checkDim(o, 'delta_T', opts.delta_T ?? mV(3.48), mV(1));
  }

  override update(x: Quantity = mA(0)): Tensor {
    this.checkCurrent(x);
    const last = this.V.value;
    let V = this.resetV(last, this.getSpike(last));
    V = this.sumDeltaInputs(this.stepV(V, x));
    this.V.value = V;
    return this.getSpike(V);
  }

  /**
   * One exponential-Euler step of tau dV/dt = -(V - V_rest) + delta_T e^{(V - V_T)/delta_T}
   * - R w + R I(V), from V (w: an adaptation current, constant over the step).
   */
  protected stepV(V: Quantity, x: Quantity, w?: Quantity): Quantity {
    const { I, slope } = this.sumCurrentInputsWithSlope(x, V);
    const e = math.exp(V.sub(this.V_T).div(this.delta_T));
    let drive = V.sub(this.V_rest).neg().add(this.delta_T.mul(e));
    if (w) drive = drive.sub(this.R.mul(w));
    const drift = drive.add(this.R.mul(I)).div(this.tau);
    // J = (-1 + e^{(V - V_T)/delta_T} + R dI/dV) / tau
    let j = new Quantity(e).sub(1);
    if (slope) j = j.add(this.R.mul(slope));
    return expEulerStep(V, drift, j.div(this.tau));
  }
}

// ---------------------------------------------------------------------------------------------
// AdExIF

export interface AdExIFOptions extends ExpIFOptions {
  /** Adaptation time constant (default 30 ms). */
  tau_w?: Quantity;
  /** Subthreshold adaptation: a conductance (default 1 S). */
  a?: Quantity;
  /** Spike-triggered adaptation: a current (default 1 mA). */
  b?: Quantity;
  /** Initial adaptation current (default 0 mA). */
  w_initializer?: InitLike;
}

/**
 * brainpy.state.AdExIF: ExpIF minus R w, tau_w dw/dt = a (V - V_rest) - w; a spike adds b to w.
 * V_th defaults to -55 mV. The w step (J = -1/tau_w) uses the new V (after the delta inputs).
 */
export class AdExIF extends ExpIF {
  readonly tau_w: Quantity;
  readonly a: Quantity;
  readonly b: Quantity;
  readonly w_initializer: InitLike;
  readonly w = new HiddenState<Quantity>(undefined, { name: 'w' });

  constructor(inSize: number | readonly number[], opts: AdExIFOptions = {}) {
    super(inSize, opts, { V_th: mV(-55) });
    const o = this.name;
    this.tau_w = checkDim(o, 'tau_w', opts.tau_w ?? ms(30), ms(1));
    this.a = checkDim(o, 'a', opts.a ?? siemens(1), siemens(1));
    this.b = checkDim(o, 'b', opts.b ?? mA(1), mA(1));
    this.w_initializer = opts.w_initializer ?? mA(0);
  }

  override initState(opts: nn.InitOptions = {}): void {
    super.initState(opts);
    const w = initValue(this.w_initializer, this.stateShape(opts.batchSize), `${this.name}.w`);
    this.w.reset(checkDim(this.name, 'w_initializer', w, mA(1)).to(this.b.unit));
  }

  override update(x: Quantity = mA(0)): Tensor {
    this.checkCurrent(x);
    const lastV = this.V.value;
    const spk = this.getSpike(lastV);
    let V = this.resetV(lastV, spk);
    let w = this.w.value.add(this.b.mul(spk));
    V = this.sumDeltaInputs(this.stepV(V, x, w));
    const dw = this.a.mul(V.sub(this.V_rest)).sub(w).div(this.tau_w);
    w = expEulerStep(w, dw, this.tau_w.pow(-1).neg());
    this.V.value = V;
    this.w.value = w;
    return this.getSpike(V);
  }
}

// ---------------------------------------------------------------------------------------------
// QuaIF

export interface QuaIFOptions extends NeuronOptions {
  R?: Quantity;
  /** Default 10 ms. */
  tau?: Quantity;
  /** Default -30 mV. */
  V_th?: Quantity;
  /** Default -68 mV. */
  V_reset?: Quantity;
  /** Default -65 mV. */
  V_rest?: Quantity;
  /** Critical voltage (default -50 mV). */
  V_c?: Quantity;
  /** Quadratic coefficient (default 0.07 / mV). */
  c?: Quantity;
  /** Default -65 mV. */
  V_initializer?: InitLike;
}

/**
 * brainpy.state.QuaIF: tau dV/dt = c (V - V_rest)(V - V_c) + R I.
 * J = (c (2V - V_rest - V_c) + R dI/dV) / tau.
 */
export class QuaIF extends LIFShaped {
  readonly R: Quantity;
  readonly tau: Quantity;
  readonly V_th: Quantity;
  readonly V_reset: Quantity;
  readonly V_rest: Quantity;
  readonly V_c: Quantity;
  readonly c: Quantity;

  constructor(inSize: number | readonly number[], opts: QuaIFOptions = {}) {
    super(inSize, opts, mV(-65));
    const o = this.name;
    this.R = checkDim(o, 'R', opts.R ?? ohm(1), ohm(1));
    this.tau = checkDim(o, 'tau', opts.tau ?? ms(10), ms(1));
    this.V_th = checkDim(o, 'V_th', opts.V_th ?? mV(-30), mV(1));
    this.V_reset = checkDim(o, 'V_reset', opts.V_reset ?? mV(-68), mV(1));
    this.V_rest = checkDim(o, 'V_rest', opts.V_rest ?? mV(-65), mV(1));
    this.V_c = checkDim(o, 'V_c', opts.V_c ?? mV(-50), mV(1));
    this.c = checkDim(o, 'c', opts.c ?? ONE_OVER_MV.mul(0.07), ONE_OVER_MV);
  }

  override update(x: Quantity = mA(0)): Tensor {
    this.checkCurrent(x);
    const last = this.V.value;
    let V = this.resetV(last, this.getSpike(last));
    const { I, slope } = this.sumCurrentInputsWithSlope(x, V);
    const dv = V.sub(this.V_rest), dc = V.sub(this.V_c);
    const drift = this.c.mul(dv).mul(dc).add(this.R.mul(I)).div(this.tau);
    // d/dV [c (V - V_rest)(V - V_c)] = c ((V - V_rest) + (V - V_c))
    let j = this.c.mul(dv.add(dc));
    if (slope) j = j.add(this.R.mul(slope));
    V = this.sumDeltaInputs(expEulerStep(V, drift, j.div(this.tau)));
    this.V.value = V;
    return this.getSpike(V);
  }
}
