/**
 * Short-term plasticity (brainpy.state `_brainpy/stp.py`, Tsodyks & Markram). Called with the pre
 * spikes s (bool or 0/1), they return the efficacy of this step's spikes:
 *
 * - `STP(U = 0.15, tau_f = 1500 ms, tau_d = 200 ms)`: u (initially U) and x (initially 1). Each step
 *   1. u <- u e^{-dt/tau_f}, x <- 1 - (1 - x) e^{-dt/tau_d} (exponential Euler);
 *   2. u += s U (1 - u_old);
 *   3. x -= s u_new x_old;
 *   4. return u x s.
 * - `STD(tau = 200 ms, U = 0.07)`: x (initially 1); x <- relax(x); x -= s U x_old; return x s.
 *
 * u, x and the result are dimensionless; the result is a plain Tensor (as brainpy returns an array).
 */
import { Tensor } from '@spiketrace/compiler';
import { HiddenState, type nn } from '@spiketrace/state';
import { math, ms, Quantity } from '@spiketrace/units';
import { Dynamics } from './dynamics.ts';
import { initValue } from './init.ts';
import { expEulerStep } from './integrators.ts';
import { checkFraction, checkPositive } from './lif.ts';
import { checkSpikes, modelLabel } from './synapses-kinetic.ts';

export interface STPOptions {
  /** Baseline utilisation (default 0.15), in [0, 1]. */
  U?: number | Quantity;
  /** Facilitation time constant (default 1500 ms). */
  tau_f?: Quantity;
  /** Depression (recovery) time constant (default 200 ms). */
  tau_d?: Quantity;
  name?: string;
}

/** One exponential-Euler step of dx/dt = (1 - x) / tau (J = -1/tau). */
function relax(x: Quantity, tau: Quantity): Quantity {
  return expEulerStep(x, x.neg().add(1).div(tau), tau.pow(-1).neg());
}

function spikesAsQuantity(s: Tensor): Quantity {
  return new Quantity(s.dtype === 'f32' ? s : math.where(s, 1, 0));
}

export class STP extends Dynamics {
  readonly U: Quantity;
  readonly tau_f: Quantity;
  readonly tau_d: Quantity;
  readonly u = new HiddenState<Quantity>(undefined, { name: 'u' });
  readonly x = new HiddenState<Quantity>(undefined, { name: 'x' });

  constructor(inSize: number | readonly number[], opts: STPOptions = {}) {
    super(inSize, opts.name);
    const who = modelLabel(this, 'STP');
    this.U = checkFraction(who, 'U', opts.U ?? 0.15);
    this.tau_f = checkPositive(who, 'tau_f', opts.tau_f ?? ms(1500), ms(1));
    this.tau_d = checkPositive(who, 'tau_d', opts.tau_d ?? ms(200), ms(1));
  }

  override initState(opts: nn.InitOptions = {}): void {
    const shape = this.stateShape(opts.batchSize);
    this.u.reset(initValue(this.U, shape, `${this.name}.u`));
    this.x.reset(math.full(shape, 1));
  }

  override call(pre_spike: Tensor): Tensor {
    return super.call(pre_spike) as Tensor;
  }

  override update(pre_spike: Tensor): Tensor {
    const s = spikesAsQuantity(checkSpikes(modelLabel(this, 'STP'), this.varshape, pre_spike));
    const u0 = this.u.value, x0 = this.x.value;
    let u = expEulerStep(u0, u0.neg().div(this.tau_f), this.tau_f.pow(-1).neg());
    let x = relax(x0, this.tau_d);
    u = u.add(s.mul(this.U).mul(u0.neg().add(1)));
    x = x.sub(s.mul(u).mul(x0));
    this.u.value = u;
    this.x.value = x;
    return u.mul(x).mul(s).toDecimal();
  }
}

export interface STDOptions {
  /** Recovery time constant (default 200 ms). */
  tau?: Quantity;
  /** Utilisation per spike (default 0.07), in [0, 1]. */
  U?: number | Quantity;
  name?: string;
}

export class STD extends Dynamics {
  readonly tau: Quantity;
  readonly U: Quantity;
  readonly x = new HiddenState<Quantity>(undefined, { name: 'x' });

  constructor(inSize: number | readonly number[], opts: STDOptions = {}) {
    super(inSize, opts.name);
    const who = modelLabel(this, 'STD');
    this.tau = checkPositive(who, 'tau', opts.tau ?? ms(200), ms(1));
    this.U = checkFraction(who, 'U', opts.U ?? 0.07);
  }

  override initState(opts: nn.InitOptions = {}): void {
    this.x.reset(math.full(this.stateShape(opts.batchSize), 1));
  }

  override call(pre_spike: Tensor): Tensor {
    return super.call(pre_spike) as Tensor;
  }

  override update(pre_spike: Tensor): Tensor {
    const s = spikesAsQuantity(checkSpikes(modelLabel(this, 'STD'), this.varshape, pre_spike));
    const x0 = this.x.value;
    const x = relax(x0, this.tau).sub(s.mul(this.U).mul(x0));
    this.x.value = x;
    return x.mul(s).toDecimal();
  }
}
