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
import { environ, ShortTermState, type nn } from '@spiketrace/state';
import { isQuantity, mA, math, ms, Quantity, UnitMismatchError } from '@spiketrace/units';
import { checkDim, LIF, type LIFOptions } from './lif.ts';

export interface LIFRefOptions extends LIFOptions {
  /** Refractory period (default 5 ms, as brainpy.state). */
  tau_ref?: Quantity;
}

export class LIFRef extends LIF {
  readonly tau_ref: Quantity;
  readonly last_spike_time = new ShortTermState<Quantity>(undefined, { name: 'last_spike_time' });

  constructor(inSize: number | readonly number[], opts: LIFRefOptions = {}) {
    super(inSize, opts);
    this.tau_ref = checkDim(this.name, 'tau_ref', opts.tau_ref ?? ms(5), ms(1));
  }

  override initState(opts: nn.InitOptions = {}): void {
    super.initState(opts);
    this.last_spike_time.reset(math.full(this.stateShape(opts.batchSize), ms(-1e7)));
  }

  override update(x: Quantity = mA(0)): Tensor {
    this.checkCurrent(x);
    const t = environ.get<unknown>('t');
    if (!isQuantity(t)) throw new TypeError(`${this.name}.update: t in the environment must be a time Quantity, e.g. environ.context({ t: u.ms(1) }, ...)`);
    if (!t.unit.sameDim(ms(1).unit)) {
      throw new UnitMismatchError(`${this.name}.update: t in the environment is in ${t.unit.name}, expected a time`, [t.unit.name, 'ms']);
    }
    const last = this.last_spike_time.value;
    const vr = this.resetFromSpike(this.V.value);
    const Vc = this.integrate(vr, x);
    const refractory = t.sub(last).lt(this.tau_ref);
    const V = math.where(refractory, vr, Vc);
    this.last_spike_time.value = math.where(V.ge(this.V_th), t.to(last.unit), last);
    this.V.value = V;
    return this.getSpike(V);
  }
}
