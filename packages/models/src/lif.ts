/**
 * brainpy.state.LIF: leaky integrate-and-fire with exponential-Euler integration.
 *   dV/dt = (-V + V_rest + R * I) / tau
 * Each step: spike from the stored V, reset (soft: V -= (V_th - V_reset) * spk; hard: V lands on
 * V_reset), integrate, add delta inputs, store, return the spike of the new V.
 */
import { Tensor } from '@spiketrace/compiler';
import { HiddenState, nn } from '@spiketrace/state';
import { Quantity, isQuantity, mA, math, mV, ms, ohm, Unit, UnitMismatchError } from '@spiketrace/units';
import { initValue, type InitLike } from './init.ts';
import { expEulerStep } from './integrators.ts';
import { Neuron, type NeuronOptions, type SpikeReset } from './neuron.ts';
import { ReluGrad } from './spike.ts';
import { detach } from './detach.ts';

export interface LIFOptions extends NeuronOptions {
  R?: Quantity;
  tau?: Quantity;
  V_th?: Quantity;
  V_reset?: Quantity;
  V_rest?: Quantity;
  V_initializer?: InitLike;
}

export function checkDim(owner: string, name: string, v: Quantity, like: Quantity): Quantity {
  if (!isQuantity(v)) throw new TypeError(`${owner}: ${name} must be a Quantity (for example ${String(like)})`);
  if (!v.unit.sameDim(like.unit)) {
    throw new UnitMismatchError(`${owner}: ${name} is in ${v.unit.name}, expected a quantity like ${like.unit.name}`, [v.unit.name, like.unit.name]);
  }
  return v;
}

/** A parameter's values when known on the host (not while tracing). */
function hostValues(q: Quantity): ArrayLike<number> | undefined {
  return q.isTraced ? undefined : q.mantissa.data;
}

/**
 * A parameter with the dimension of `like`, every element finite and positive (or non-negative
 * with `allowZero`). Plain numbers are refused for dimensional parameters.
 */
export function checkPositive(who: string, name: string, v: unknown, like: Quantity, allowZero = false): Quantity {
  const q = checkDim(who, name, v as Quantity, like);
  const d = hostValues(q);
  if (d) {
    for (let i = 0; i < d.length; i++) {
      const x = d[i]!;
      if (!Number.isFinite(x) || x < 0 || (!allowZero && x === 0)) {
        throw new RangeError(`${who}: ${name} must be ${allowZero ? 'non-negative' : 'positive'} and finite, got ${String(q)}`);
      }
    }
  }
  return q;
}

/** A dimensionless parameter (a number or a dimensionless Quantity) within [lo, hi]. */
export function checkFraction(who: string, name: string, v: unknown, lo = 0, hi = 1): Quantity {
  let q: Quantity;
  if (typeof v === 'number') q = math.full([], v);
  else if (isQuantity(v)) {
    if (!v.unit.isDimensionless) throw new UnitMismatchError(`${who}: ${name} must be dimensionless, got a quantity in ${v.unit.name}`, [v.unit.name, '1']);
    q = v.to(Unit.dimensionless);
  } else throw new TypeError(`${who}: ${name} must be a number, got ${typeof v}`);
  const d = hostValues(q);
  if (d) {
    for (let i = 0; i < d.length; i++) {
      const x = d[i]!;
      if (!(x >= lo && x <= hi)) throw new RangeError(`${who}: ${name} must be in [${lo}, ${hi}], got ${String(q)}`);
    }
  }
  return q;
}

/** A dimensionless parameter given as a number or a dimensionless Quantity, in '1'. */
export function checkDimensionless(owner: string, name: string, v: Quantity | number): Quantity {
  if (typeof v === 'number') return new Quantity(Tensor.scalar(v));
  if (!isQuantity(v)) throw new TypeError(`${owner}: ${name} must be a number or a dimensionless Quantity`);
  if (!v.unit.isDimensionless) {
    throw new UnitMismatchError(`${owner}: ${name} is in ${v.unit.name}, expected a dimensionless number`, [v.unit.name, '1']);
  }
  return v.to(Unit.dimensionless);
}

/**
 * A neuron's input must be a current Quantity (like `example`, which also shows in the message):
 * `owner.update` is named as the culprit.
 */
export function checkCurrent(owner: string, x: unknown, example: Quantity = mA(20)): asserts x is Quantity {
  const u = example.unit.name;
  if (!isQuantity(x)) throw new TypeError(`${owner}.update: the input current must be a Quantity (for example u.${u}(${example.item()}))`);
  if (!x.unit.sameDim(example.unit)) {
    throw new UnitMismatchError(`${owner}.update: the input must be a current (like ${u}), got a quantity in ${x.unit.name}`, [x.unit.name, u]);
  }
}

/**
 * V after the reset by the stored V's spike `spk`: soft subtracts (V_th - V_reset), hard lands on
 * V_reset. A hard reset takes the stored V itself as the threshold, detached, so the amount
 * subtracted carries no gradient (brainpy.state's `jax.lax.stop_gradient(last_v)`).
 */
export function resetBySpike(mode: SpikeReset, last: Quantity, V_th: Quantity, V_reset: Quantity, spk: Tensor): Quantity {
  const Vth = mode === 'soft' ? V_th : detach(last);
  return last.sub(Vth.sub(V_reset).mul(spk));
}

/**
 * The exponential-Euler Jacobian of dV/dt = (-V + ... + R I(V)) / tau: (-1 + R dI/dV) / tau, where
 * `slope` is dI/dV of the conductance inputs (COBA: -sum g), or -1/tau when no input depends on V.
 */
export function leakJacobian(R: Quantity, tau: Quantity, slope: Quantity | undefined): Quantity {
  return slope ? R.mul(slope).sub(1).div(tau) : tau.pow(-1).neg();
}

export class LIF extends Neuron {
  readonly R: Quantity;
  readonly tau: Quantity;
  readonly V_th: Quantity;
  readonly V_reset: Quantity;
  readonly V_rest: Quantity;
  readonly V_initializer: InitLike;
  readonly V = new HiddenState<Quantity>(undefined, { name: 'V' });

  constructor(inSize: number | readonly number[], opts: LIFOptions = {}) {
    super(inSize, opts, new ReluGrad());
    const o = this.name;
    this.R = checkDim(o, 'R', opts.R ?? ohm(1), ohm(1));
    this.tau = checkDim(o, 'tau', opts.tau ?? ms(5), ms(1));
    this.V_th = checkDim(o, 'V_th', opts.V_th ?? mV(1), mV(1));
    this.V_reset = checkDim(o, 'V_reset', opts.V_reset ?? mV(0), mV(1));
    this.V_rest = checkDim(o, 'V_rest', opts.V_rest ?? mV(0), mV(1));
    this.V_initializer = opts.V_initializer ?? mV(0);
  }

  override initState(opts: nn.InitOptions = {}): void {
    this.V.reset(initValue(this.V_initializer, this.stateShape(opts.batchSize), `${this.name}.V`).to(this.V_rest.unit));
  }

  /** The spike of V (the stored one by default), on V scaled by (V - V_th) / (V_th - V_reset). */
  getSpike(V: Quantity = this.V.value): Tensor {
    const scaled = V.sub(this.V_th).div(this.V_th.sub(this.V_reset));
    return this.spkFun.forward(math.maybeDecimal(scaled) as Tensor);
  }

  /** One step with input current x (Python's `neuron(x)`): hooks, update, hooks; returns the spike. */
  override call(x: Quantity = mA(0)): Tensor {
    return super.call(x) as Tensor;
  }

  override update(x: Quantity = mA(0)): Tensor {
    this.checkCurrent(x);
    const V = this.integrate(this.resetFromSpike(this.V.value), x);
    this.V.value = V;
    return this.getSpike(V);
  }

  /** The input current must be a Quantity of current (like mA). */
  protected checkCurrent(x: Quantity): void {
    checkCurrent(this.name, x);
  }

  /** Reset by the spike of the stored V `last`: soft subtracts (V_th - V_reset), hard lands on V_reset. */
  protected resetFromSpike(last: Quantity): Quantity {
    return resetBySpike(this.spkReset, last, this.V_th, this.V_reset, this.getSpike(last));
  }

  /** One exponential-Euler step of dV/dt = (-V + V_rest + R I(V)) / tau from V, then the delta inputs. */
  protected integrate(V: Quantity, x: Quantity): Quantity {
    const { I, slope } = this.sumCurrentInputsWithSlope(x, V);
    const drift = V.neg().add(this.V_rest).add(this.R.mul(I)).div(this.tau);
    return this.sumDeltaInputs(expEulerStep(V, drift, leakJacobian(this.R, this.tau, slope)));
  }
}
