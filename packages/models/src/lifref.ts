/**
 * brainpy.state.LIFRef: LIF with an absolute refractory period. The membrane potential is held at
 * its reset value while `t - last_spike_time < tau_ref`; `t` comes from the environment
 * (`environ.context({ t }, ...)`). Update order, as brainpy.state:
 *   1. reset from the stored V's spike (as LIF), giving v_r;
 *   2. integrate from v_r and add the delta inputs, giving V_c;
 *   3. V = where(t - last_spike_time < tau_ref, v_r, V_c);
 *   4. last_spike_time = where(V >= V_th, t, last_spike_time);
 *   5. store V, return the spike of V.
 */
import type { Tensor } from '@spiketrace/compiler';
import { mA, math, type Quantity } from '@spiketrace/units';
import { LIF, type LIFOptions } from './lif.ts';
import { Refractory, refractoryStep } from './refractory.ts';

export interface LIFRefOptions extends LIFOptions {
  /** Refractory period (default 5 ms, as brainpy.state). */
  tau_ref?: Quantity;
}

export class LIFRef extends Refractory(LIF, 5) {
  constructor(inSize: number | readonly number[], opts: LIFRefOptions = {}) {
    super(inSize, opts);
  }

  override update(x: Quantity = mA(0)): Tensor {
    this.checkCurrent(x);
    const ref = refractoryStep(this);
    const vr = this.resetFromSpike(this.V.value);
    const Vc = this.integrate(vr, x);
    const V = math.where(ref.held, vr, Vc);
    ref.record(V, this.V_th);
    this.V.value = V;
    return this.getSpike(V);
  }
}
