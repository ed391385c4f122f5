/**
 * brainpy.state.Izhikevich (`brainpy_state/_brainpy/izhikevich.py`):
 *   dV/dt = 0.04/(ms mV) V^2 + 5/ms V + 140 mV/ms - u + I
 *   du/dt = a (b V - u)
 * The input I is a rate of change of V (mV/ms), not a current, as in brainpy.state.
 * Each step: spike from the stored V on (V - V_th) / V_th; reset V -> c where it spiked and
 * u += d spk (always, whatever spkReset says: brainpy.state ignores it); one exponential-Euler
 * step of V (J = 0.08/(ms mV) V + 5/ms + dI/dV) from the reset V with the reset u; delta inputs;
 * then one of u (J = -a) using the *new* V; store; return the spike of the new V.
 */
import { ops, type Tensor } from '@spiketrace/compiler';
import { HiddenState, nn } from '@spiketrace/state';
import { isQuantity, math, mV, ms, Quantity, UnitMismatchError } from '@spiketrace/units';
import { initValue, type InitLike } from './init.ts';
import { expEulerStep } from './integrators.ts';
import { checkDim } from './lif.ts';
import { Neuron, type NeuronOptions } from './neuron.ts';
import { ReluGrad } from './spike.ts';

const perMs = (v: number) => ms(1).rdiv(v);
const mVperMs = (v: number) => mV(v).div(ms(1));

export interface IzhikevichOptions extends NeuronOptions {
  /** Time scale of u (default 0.02 / ms). */
  a?: Quantity;
  /** Sensitivity of u to V (default 0.2 / ms). */
  b?: Quantity;
  /** Reset value of V (default -65 mV). */
  c?: Quantity;
  /** Increment of u on a spike (default 8 mV/ms). */
  d?: Quantity;
  /** Spike threshold (default 30 mV; the spike is read on (V - V_th) / V_th). */
  V_th?: Quantity;
  /** Default -65 mV. */
  V_initializer?: InitLike;
  /** Default 0 mV/ms. */
  u_initializer?: InitLike;
}

export class Izhikevich extends Neuron {
  readonly a: Quantity;
  readonly b: Quantity;
  readonly c: Quantity;
  readonly d: Quantity;
  readonly V_th: Quantity;
  readonly p1: Quantity;
  readonly p2: Quantity;
  readonly p3: Quantity;
  readonly V_initializer: InitLike;
  readonly u_initializer: InitLike;
  readonly V = new HiddenState<Quantity>(undefined, { name: 'V' });
  readonly u = new HiddenState<Quantity>(undefined, { name: 'u' });

  constructor(inSize: number | readonly number[], opts: IzhikevichOptions = {}) {
    // brainpy.state's default spk_reset here is 'hard'; the update ignores it either way
    super(inSize, { ...opts, spkReset: opts.spkReset ?? 'hard' }, new ReluGrad());
    const o = this.name;
    this.a = checkDim(o, 'a', opts.a ?? perMs(0.02), perMs(1));
    this.b = checkDim(o, 'b', opts.b ?? perMs(0.2), perMs(1));
    this.c = checkDim(o, 'c', opts.c ?? mV(-65), mV(1));
    this.d = checkDim(o, 'd', opts.d ?? mVperMs(8), mVperMs(1));
    this.V_th = checkDim(o, 'V_th', opts.V_th ?? mV(30), mV(1));
    this.p1 = perMs(0.04).div(mV(1));
    this.p2 = perMs(5);
    this.p3 = mVperMs(140);
    this.V_initializer = opts.V_initializer ?? mV(-65);
    this.u_initializer = opts.u_initializer ?? mVperMs(0);
  }

  override initState(opts: nn.InitOptions = {}): void {
    const shape = this.stateShape(opts.batchSize);
    const V = initValue(this.V_initializer, shape, `${this.name}.V`);
    const u = initValue(this.u_initializer, shape, `${this.name}.u`);
    this.V.reset(checkDim(this.name, 'V_initializer', V, mV(1)).to(this.c.unit));
    this.u.reset(checkDim(this.name, 'u_initializer', u, mVperMs(1)).to(this.d.unit));
  }

  getSpike(V: Quantity = this.V.value): Tensor {
    return this.spkFun.forward(math.maybeDecimal(V.sub(this.V_th).div(this.V_th)) as Tensor);
  }

  /** One step with input x in mV/ms (Python's `neuron(x)`): hooks, update, hooks; returns the spike. */
  override call(x: Quantity = mVperMs(0)): Tensor {
    return super.call(x) as Tensor;
  }

  override update(x: Quantity = mVperMs(0)): Tensor {
    if (!isQuantity(x)) throw new TypeError(`${this.name}.update: the input must be a Quantity in mV/ms (for example u.mV(10).div(u.ms(1)))`);
    if (!x.unit.sameDim(this.p3.unit)) {
      throw new UnitMismatchError(`${this.name}.update: the input must be a rate of change of V (like mV/ms), got a quantity in ${x.unit.name}`, [x.unit.name, 'mV/ms']);
    }
    const lastV = this.V.value;
    const spk = this.getSpike(lastV);
    let V = math.where(ops.compare('gt', spk, 0), this.c, lastV);
    let u = this.u.value.add(this.d.mul(spk));
    const { I, slope } = this.sumCurrentInputsWithSlope(x, V);
    const drift = this.p1.mul(V).mul(V).add(this.p2.mul(V)).add(this.p3).sub(u).add(I);
    // J_V = 2 p1 V + p2 + dI/dV
    let J = this.p1.mul(V).mul(2).add(this.p2);
    if (slope) J = J.add(slope);
    V = this.sumDeltaInputs(expEulerStep(V, drift, J));
    // du/dt = a (b V_new - u), J_u = -a
    u = expEulerStep(u, this.a.mul(this.b.mul(V).sub(u)), this.a.neg());
    this.V.value = V;
    this.u.value = u;
    return this.getSpike(V);
  }
}
