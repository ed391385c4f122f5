/**
 * brainpy.state's refractory variants ExpIFRef, AdExIFRef (`_brainpy/lif.py`) and IzhikevichRef
 * (`_brainpy/izhikevich.py`), built on ExpIF, AdExIF and Izhikevich by subclassing: parameters,
 * initial states, the reset and the drifts are theirs; only the update adds the refractory hold,
 * as LIFRef does. `t` comes from the environment (`environ.context({ t }, ...)`). Each step:
 *   1. reset from the stored V's spike, giving v_r (and, for AdExIFRef w_r = w + b spk,
 *      for IzhikevichRef u_r = u + d spk);
 *   2. integrate from the reset state and add the delta inputs to V, giving the candidates
 *      (the w / u step uses the candidate V);
 *   3. refractory = t - last_spike_time < tau_ref; every state is held at its reset value
 *      where refractory: V = where(refractory, v_r, V_c) (and w, u likewise);
 *   4. last_spike_time = where(V >= V_th, t, last_spike_time);
 *   5. store, return the spike of the stored V.
 * brainpy.state's optional `ref_var` (a boolean `refractory` state) is not provided.
 */
import type { Tensor } from '@spiketrace/compiler';
import { ops } from '@spiketrace/compiler';
import { isQuantity, mA, math, mV, ms, type Quantity, UnitMismatchError } from '@spiketrace/units';
import { expEulerStep } from './integrators.ts';
import { Refractory, refractoryStep } from './refractory.ts';
import { AdExIF, ExpIF, type AdExIFOptions, type ExpIFOptions } from './neurons-if.ts';
import { Izhikevich, type IzhikevichOptions } from './neurons-izhikevich.ts';

// ---------------------------------------------------------------------------------------------

export interface ExpIFRefOptions extends ExpIFOptions {
  /** Refractory period (default 1.7 ms, as brainpy.state). */
  tau_ref?: Quantity;
}

/** brainpy.state.ExpIFRef: ExpIF with V held at its reset value for tau_ref after a spike. */
export class ExpIFRef extends Refractory(ExpIF, 1.7) {
  constructor(inSize: number | readonly number[], opts: ExpIFRefOptions = {}) {
    super(inSize, opts);
  }

  override update(x: Quantity = mA(0)): Tensor {
    this.checkCurrent(x);
    const ref = refractoryStep(this);
    const lastV = this.V.value;
    const vr = this.resetV(lastV, this.getSpike(lastV));
    const Vc = this.sumDeltaInputs(this.stepV(vr, x));
    const V = math.where(ref.held, vr, Vc);
    ref.record(V, this.V_th);
    this.V.value = V;
    return this.getSpike(V);
  }
}

// ---------------------------------------------------------------------------------------------

export interface AdExIFRefOptions extends AdExIFOptions {
  /** Refractory period (default 1.7 ms, as brainpy.state). */
  tau_ref?: Quantity;
}

/** brainpy.state.AdExIFRef: AdExIF with V and w held at their reset values for tau_ref after a spike. */
export class AdExIFRef extends Refractory(AdExIF, 1.7) {
  constructor(inSize: number | readonly number[], opts: AdExIFRefOptions = {}) {
    super(inSize, opts);
  }

  override update(x: Quantity = mA(0)): Tensor {
    this.checkCurrent(x);
    const ref = refractoryStep(this);
    const lastV = this.V.value;
    const spk = this.getSpike(lastV);
    const vr = this.resetV(lastV, spk);
    const wr = this.w.value.add(this.b.mul(spk));
    const Vc = this.sumDeltaInputs(this.stepV(vr, x, wr));
    // the w step uses the candidate V
    const wc = expEulerStep(wr, this.a.mul(Vc.sub(this.V_rest)).sub(wr).div(this.tau_w), this.tau_w.pow(-1).neg());
    const V = math.where(ref.held, vr, Vc);
    const w = math.where(ref.held, wr, wc);
    ref.record(V, this.V_th);
    this.V.value = V;
    this.w.value = w.to(this.w.value.unit);
    return this.getSpike(V);
  }
}

// ---------------------------------------------------------------------------------------------

export interface IzhikevichRefOptions extends IzhikevichOptions {
  /** Refractory period (default 0 ms, as brainpy.state: no hold unless set). */
  tau_ref?: Quantity;
}

/** brainpy.state.IzhikevichRef: Izhikevich with V and u held at their reset values for tau_ref after a spike. */
export class IzhikevichRef extends Refractory(Izhikevich, 0) {
  constructor(inSize: number | readonly number[], opts: IzhikevichRefOptions = {}) {
    super(inSize, opts);
  }

  override update(x: Quantity = mV(0).div(ms(1))): Tensor {
    if (!isQuantity(x)) throw new TypeError(`${this.name}.update: the input must be a Quantity in mV/ms (for example u.mV(10).div(u.ms(1)))`);
    if (!x.unit.sameDim(this.p3.unit)) {
      throw new UnitMismatchError(`${this.name}.update: the input must be a rate of change of V (like mV/ms), got a quantity in ${x.unit.name}`, [x.unit.name, 'mV/ms']);
    }
    const ref = refractoryStep(this);
    const lastV = this.V.value;
    const spk = this.getSpike(lastV);
    // V -> c where it spiked, u += d spk (whatever spkReset says, as brainpy.state)
    const vr = math.where(ops.compare('gt', spk, 0), this.c, lastV);
    const ur = this.u.value.add(this.d.mul(spk));
    const { I, slope } = this.sumCurrentInputsWithSlope(x, vr);
    const drift = this.p1.mul(vr).mul(vr).add(this.p2.mul(vr)).add(this.p3).sub(ur).add(I);
    // J_V = 2 p1 V + p2 + dI/dV
    let J = this.p1.mul(vr).mul(2).add(this.p2);
    if (slope) J = J.add(slope);
    const Vc = this.sumDeltaInputs(expEulerStep(vr, drift, J));
    // du/dt = a (b V_c - u), J_u = -a
    const uc = expEulerStep(ur, this.a.mul(this.b.mul(Vc).sub(ur)), this.a.neg());
    const V = math.where(ref.held, vr, Vc);
    const u = math.where(ref.held, ur, uc);
    ref.record(V, this.V_th);
    this.V.value = V.to(lastV.unit);
    this.u.value = u.to(this.u.value.unit);
    return this.getSpike(V);
  }
}
