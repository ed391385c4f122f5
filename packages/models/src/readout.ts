/**
 * LeakyRateReadout (brainpy.state readout.py): a leaky integrator of weighted input,
 * `r <- exp(-dt / tau) * r + x @ W`, with W a trainable [nIn, nOut] ParamState. As in the
 * reference the decay is computed at construction, so dt must already be set
 * (`brainstate.environ.set({ dt })` or construct inside `environ.context({ dt }, ...)`).
 */
import { ops, Tensor } from '@spiketrace/compiler';
import { environ, HiddenState, nn, ParamState } from '@spiketrace/state';
import { isQuantity, ms, Quantity, Unit } from '@spiketrace/units';
import { KaimingNormal } from './comm-dense.ts';
import type { Initializer } from './init.ts';

export interface LeakyRateReadoutOptions {
  /** Time constant (default 5 ms). */
  tau?: Quantity;
  /** Weight [nIn, nOut] or an initializer (default KaimingNormal); its unit is the readout's. */
  wInit?: Quantity | Tensor | Initializer;
  name?: string;
}

export class LeakyRateReadout extends nn.Dynamics {
  readonly weight: ParamState<Quantity>;
  readonly r = new HiddenState<Quantity>(undefined, { name: 'r' });
  readonly decay: number;
  readonly tau: Quantity;

  constructor(readonly nIn: number, readonly nOut: number, opts: LeakyRateReadoutOptions = {}) {
    // checked before the Dynamics base class sees nOut, so the message names the readout's options
    for (const [what, n] of [['nIn', nIn], ['nOut', nOut]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`${opts.name ?? 'LeakyRateReadout'}: ${what} must be a positive integer, got ${n}`);
    }
    super(nOut, opts.name);
    this.tau = opts.tau ?? ms(5);
    if (!isQuantity(this.tau) || !this.tau.unit.sameDim(ms(1).unit)) throw new RangeError(`${this.name}: tau must be a time (like u.ms(5))`);
    const dt = environ.getDt();
    this.decay = Math.exp(-dt.div(this.tau).toDecimal().item());
    const w = typeof opts.wInit === 'function' ? opts.wInit([nIn, nOut])
      : opts.wInit === undefined ? KaimingNormal()([nIn, nOut])
        : isQuantity(opts.wInit) ? opts.wInit : new Quantity(opts.wInit, Unit.dimensionless);
    if (w.shape.join() !== `${nIn},${nOut}`) throw new RangeError(`${this.name}: weight has shape [${w.shape.join(', ')}], expected [${nIn}, ${nOut}]`);
    this.weight = new ParamState(w, { name: 'weight' });
  }

  override initState(opts: nn.InitOptions = {}): void {
    this.r.reset(new Quantity(Tensor.full(this.stateShape(opts.batchSize), 0), this.weight.value.unit));
  }

  /** One step with input x [..., nIn] (spikes or rates): returns r [..., nOut]. */
  override update(x: Quantity | Tensor): Quantity {
    const q = isQuantity(x) ? x : new Quantity(x, Unit.dimensionless);
    if (q.shape[q.shape.length - 1] !== this.nIn) {
      throw new RangeError(`${this.name}: the input's last axis has ${q.shape[q.shape.length - 1]} elements, the readout takes ${this.nIn}`);
    }
    if (!q.unit.isDimensionless) throw new RangeError(`${this.name}: the input must be dimensionless (spikes or rates), got ${q.unit.name}`);
    const w = this.weight.value;
    const drive = new Quantity(ops.matmul(q.toDecimal(), w.mantissa), w.unit);
    const r = this.r.value.mul(this.decay).add(drive);
    this.r.value = r;
    return r;
  }

  override call(x: Quantity | Tensor): Quantity {
    return super.call(x) as Quantity;
  }
}
