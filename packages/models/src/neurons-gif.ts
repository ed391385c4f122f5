/**
 * brainpy.state's generalized integrate-and-fire neuron (Mihalas & Niebur 2009), `Gif` and
 * `GifRef` (`_brainpy/lif.py`): V, two internal currents I1, I2 and a dynamic threshold V_th.
 *   dI_j/dt = -k_j I_j
 *   dV_th/dt = a (V - V_rest) - b (V_th - V_th_inf)
 *   tau dV/dt = -(V - V_rest) + R (I1 + I2 + I)
 * Each step, as brainpy.state:
 *   1. spike from the stored V and V_th, on (V - V_th) / (V_th - V_reset);
 *   2. reset by it: V -= (V_th' - V_reset) spk (V_th' the stored threshold when soft, the stored V
 *      when hard, so V lands on V_reset), I_j <- I_j + spk (R_j I_j + A_j - I_j),
 *      V_th <- V_th + spk (max(V_th_reset, V_th) - V_th);
 *   3. one exponential-Euler step each: I_j (J = -k_j), V_th with the reset V (J = -b), then V
 *      (J = (-1 + R dI/dV) / tau). Gif drives V with the *integrated* I1 + I2, GifRef with the
 *      reset ones, as the two Python classes do;
 *   4. delta inputs onto V; GifRef then holds every state at its reset value while
 *      t - last_spike_time < tau_ref, and records t where V >= the new V_th;
 *   5. store, return the spike of the stored V and V_th.
 * brainpy.state's optional `ref_var` (a boolean `refractory` state) is not provided.
 */
import type { Tensor } from '@spiketrace/compiler';
import { HiddenState, type nn } from '@spiketrace/state';
import { mA, math, mV, ms, ohm, type Quantity } from '@spiketrace/units';
import { initValue, type InitLike } from './init.ts';
import { expEulerStep } from './integrators.ts';
import { checkCurrent, checkDim, checkDimensionless, checkPositive, leakJacobian, resetBySpike } from './lif.ts';
import { Neuron, type NeuronOptions } from './neuron.ts';
import { Refractory, refractoryStep } from './refractory.ts';
import { ReluGrad } from './spike.ts';

const perMs = (v: number) => ms(1).rdiv(v);

export interface GifOptions extends NeuronOptions {
  /** Membrane resistance (default 20 ohm). */
  R?: Quantity;
  /** Membrane time constant (default 20 ms). */
  tau?: Quantity;
  /** Default -70 mV. */
  V_rest?: Quantity;
  /** Default -70 mV. */
  V_reset?: Quantity;
  /** The threshold's resting value (default -50 mV). */
  V_th_inf?: Quantity;
  /** The least threshold after a spike (default -60 mV). */
  V_th_reset?: Quantity;
  /** Dependence of the threshold on V (default 0 / ms). */
  a?: Quantity;
  /** Relaxation rate of the threshold (default 0.01 / ms). */
  b?: Quantity;
  /** Decay rates of I1 and I2 (default 0.2 / ms and 0.02 / ms). */
  k1?: Quantity;
  k2?: Quantity;
  /** Kept fractions of I1 and I2 at a spike (dimensionless; default 0 and 1). */
  R1?: Quantity | number;
  R2?: Quantity | number;
  /** Jumps of I1 and I2 at a spike (default 0 mA). */
  A1?: Quantity;
  A2?: Quantity;
  /** Initial V (default -70 mV), I1 and I2 (default 0 mA), V_th (default -50 mV). */
  V_initializer?: InitLike;
  I1_initializer?: InitLike;
  I2_initializer?: InitLike;
  V_th_initializer?: InitLike;
}

/** The Gif state after one step's reset (step 2 above) and its exponential-Euler candidates (step 3). */
interface GifStep {
  reset: { V: Quantity; I1: Quantity; I2: Quantity; V_th: Quantity };
  next: { V: Quantity; I1: Quantity; I2: Quantity; V_th: Quantity };
}

export class Gif extends Neuron {
  readonly R: Quantity;
  readonly tau: Quantity;
  readonly V_rest: Quantity;
  readonly V_reset: Quantity;
  readonly V_th_inf: Quantity;
  readonly V_th_reset: Quantity;
  readonly a: Quantity;
  readonly b: Quantity;
  readonly k1: Quantity;
  readonly k2: Quantity;
  readonly R1: Quantity;
  readonly R2: Quantity;
  readonly A1: Quantity;
  readonly A2: Quantity;
  readonly V_initializer: InitLike;
  readonly I1_initializer: InitLike;
  readonly I2_initializer: InitLike;
  readonly V_th_initializer: InitLike;
  readonly V = new HiddenState<Quantity>(undefined, { name: 'V' });
  readonly I1 = new HiddenState<Quantity>(undefined, { name: 'I1' });
  readonly I2 = new HiddenState<Quantity>(undefined, { name: 'I2' });
  readonly V_th = new HiddenState<Quantity>(undefined, { name: 'V_th' });

  constructor(inSize: number | readonly number[], opts: GifOptions = {}) {
    super(inSize, opts, new ReluGrad());
    const o = this.name;
    this.R = checkDim(o, 'R', opts.R ?? ohm(20), ohm(1));
    this.tau = checkPositive(o, 'tau', opts.tau ?? ms(20), ms(1));
    this.V_rest = checkDim(o, 'V_rest', opts.V_rest ?? mV(-70), mV(1));
    this.V_reset = checkDim(o, 'V_reset', opts.V_reset ?? mV(-70), mV(1));
    this.V_th_inf = checkDim(o, 'V_th_inf', opts.V_th_inf ?? mV(-50), mV(1));
    this.V_th_reset = checkDim(o, 'V_th_reset', opts.V_th_reset ?? mV(-60), mV(1));
    this.a = checkDim(o, 'a', opts.a ?? perMs(0), perMs(1));
    this.b = checkPositive(o, 'b', opts.b ?? perMs(0.01), perMs(1), true);
    this.k1 = checkPositive(o, 'k1', opts.k1 ?? perMs(0.2), perMs(1), true);
    this.k2 = checkPositive(o, 'k2', opts.k2 ?? perMs(0.02), perMs(1), true);
    this.R1 = checkDimensionless(o, 'R1', opts.R1 ?? 0);
    this.R2 = checkDimensionless(o, 'R2', opts.R2 ?? 1);
    this.A1 = checkDim(o, 'A1', opts.A1 ?? mA(0), mA(1));
    this.A2 = checkDim(o, 'A2', opts.A2 ?? mA(0), mA(1));
    this.V_initializer = opts.V_initializer ?? mV(-70);
    this.I1_initializer = opts.I1_initializer ?? mA(0);
    this.I2_initializer = opts.I2_initializer ?? mA(0);
    this.V_th_initializer = opts.V_th_initializer ?? mV(-50);
  }

  override initState(opts: nn.InitOptions = {}): void {
    const shape = this.stateShape(opts.batchSize);
    const init = (name: string, v: InitLike, like: Quantity) => checkDim(this.name, `${name}_initializer`, initValue(v, shape, `${this.name}.${name}`), like).to(like.unit);
    this.V.reset(init('V', this.V_initializer, this.V_rest));
    this.I1.reset(init('I1', this.I1_initializer, this.A1));
    this.I2.reset(init('I2', this.I2_initializer, this.A2));
    this.V_th.reset(init('V_th', this.V_th_initializer, this.V_th_inf));
  }

  /** The spike of V against the dynamic threshold (the stored ones by default), on (V - V_th) / (V_th - V_reset). */
  getSpike(V: Quantity = this.V.value, V_th: Quantity = this.V_th.value): Tensor {
    return this.spkFun.forward(math.maybeDecimal(V.sub(V_th).div(V_th.sub(this.V_reset))) as Tensor);
  }

  /** One step with input current x (Python's `neuron(x)`): hooks, update, hooks; returns the spike. */
  override call(x: Quantity = mA(0)): Tensor {
    return super.call(x) as Tensor;
  }

  /** Steps 1-3 of the module doc; `drivenByIntegrated` picks which I1 + I2 drive V (Gif: the integrated ones). */
  protected step(x: Quantity, drivenByIntegrated: boolean): GifStep {
    checkCurrent(this.name, x);
    const V0 = this.V.value, I10 = this.I1.value, I20 = this.I2.value, Vth0 = this.V_th.value;
    const spk = this.getSpike(V0, Vth0);
    const jump = (I: Quantity, Rj: Quantity, Aj: Quantity) => I.add(Rj.mul(I).add(Aj).sub(I).mul(spk));
    const reset = {
      V: resetBySpike(this.spkReset, V0, Vth0, this.V_reset, spk),
      I1: jump(I10, this.R1, this.A1),
      I2: jump(I20, this.R2, this.A2),
      V_th: Vth0.add(math.maximum(this.V_th_reset, Vth0).sub(Vth0).mul(spk)),
    };
    const decay = (I: Quantity, k: Quantity) => expEulerStep(I, k.mul(I).neg(), k.neg());
    const I1 = decay(reset.I1, this.k1);
    const I2 = decay(reset.I2, this.k2);
    const thDrift = this.a.mul(reset.V.sub(this.V_rest)).sub(this.b.mul(reset.V_th.sub(this.V_th_inf)));
    const V_th = expEulerStep(reset.V_th, thDrift, this.b.neg());
    const { I, slope } = this.sumCurrentInputsWithSlope(x, reset.V);
    const internal = drivenByIntegrated ? I1.add(I2) : reset.I1.add(reset.I2);
    const dV = reset.V.sub(this.V_rest).neg().add(this.R.mul(internal.add(I))).div(this.tau);
    // the internal currents do not depend on V
    const V = this.sumDeltaInputs(expEulerStep(reset.V, dV, leakJacobian(this.R, this.tau, slope)));
    return { reset, next: { V, I1, I2, V_th } };
  }

  override update(x: Quantity = mA(0)): Tensor {
    const { next } = this.step(x, true);
    this.V.value = next.V;
    this.I1.value = next.I1;
    this.I2.value = next.I2;
    this.V_th.value = next.V_th;
    return this.getSpike(next.V, next.V_th);
  }
}

export interface GifRefOptions extends GifOptions {
  /** Refractory period (default 1.7 ms, as brainpy.state). */
  tau_ref?: Quantity;
}

/** brainpy.state.GifRef: Gif whose states all stay at their reset values for tau_ref after a spike. */
export class GifRef extends Refractory(Gif, 1.7) {
  constructor(inSize: number | readonly number[], opts: GifRefOptions = {}) {
    super(inSize, opts);
  }

  override update(x: Quantity = mA(0)): Tensor {
    const ref = refractoryStep(this);
    const { reset, next } = this.step(x, false);
    const hold = (r: Quantity, c: Quantity) => math.where(ref.held, r, c);
    const V = hold(reset.V, next.V);
    const V_th = hold(reset.V_th, next.V_th);
    this.V.value = V;
    this.I1.value = hold(reset.I1, next.I1);
    this.I2.value = hold(reset.I2, next.I2);
    this.V_th.value = V_th;
    ref.record(V, V_th);
    return this.getSpike(V, V_th);
  }
}
