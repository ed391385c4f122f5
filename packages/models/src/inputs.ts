/**
 * Current generators (the constant and step currents of braintools' `constant_input` /
 * `step_input`, as modules evaluated each step instead of precomputed arrays):
 *
 * - `ConstantInput(amplitude, { size })`: the amplitude every step (broadcast to `size`).
 * - `StepInput({ amplitudes, times, size })`: a step function of the time t from the environment
 *   (or given to `update(t)`): 0 before `times[0]`, then `amplitudes[k]` for
 *   `times[k] <= t < times[k + 1]`, and the last amplitude after the last onset. A pulse of
 *   amplitude a on [t0, t1) is `{ amplitudes: [a, 0], times: [t0, t1] }`. Amplitudes are a
 *   Quantity of shape [K] (one value per onset, the same for every neuron) or [K, ...shape] (a
 *   row per onset); times a time Quantity of K strictly increasing onsets.
 *
 * The comparison `t >= times[k]` happens in the kernel's f32 arithmetic on t in its own unit, so
 * an onset on the step grid switches exactly at the step whose f32 time reaches it.
 *
 * `asCurrentInput()` gives a callable for `post.addCurrentInput(key, ...)` (it does not depend on
 * V, so its slope is undefined). Ramps, oscillations and noise processes are in inputs-more.ts,
 * Poisson inputs in poisson.ts.
 */
import { Tensor } from '@spiketrace/compiler';
import { nn } from '@spiketrace/state';
import { isQuantity, math, ms, Quantity, type Unit, UnitMismatchError } from '@spiketrace/units';
import type { InputFn } from './dynamics.ts';
import { timeNow } from './time.ts';

function normSize(who: string, size: number | readonly number[] | undefined): number[] | undefined {
  if (size === undefined) return undefined;
  const s = typeof size === 'number' ? [size] : [...size];
  for (const d of s) if (!Number.isInteger(d) || d < 1) throw new RangeError(`${who}: size must be positive integers, got [${s.join(', ')}]`);
  return s;
}

export function checkHost(who: string, what: string, q: Quantity): void {
  if (q.isTraced) throw new TypeError(`${who}: ${what} must be concrete (known before tracing), not a traced value`);
  const d = q.mantissa.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i] as number)) throw new RangeError(`${who}: ${what} must be finite, got ${String(q)}`);
}

/** Whether `shape` broadcasts to `target` (trailing axes equal or 1). */
export function broadcasts(shape: readonly number[], target: readonly number[]): boolean {
  if (shape.length > target.length) return false;
  for (let i = 1; i <= shape.length; i++) {
    const a = shape[shape.length - i]!, b = target[target.length - i]!;
    if (a !== b && a !== 1) return false;
  }
  return true;
}

export abstract class CurrentGenerator extends nn.Module {
  readonly size: number[] | undefined;
  /** The unit of the values. */
  abstract readonly unit: Unit;

  constructor(name: string | undefined, size: number | readonly number[] | undefined, kind: string) {
    super(name);
    this.size = normSize(`${this.name} (${kind})`, size);
  }

  /** The value this step. */
  abstract override update(t?: Quantity): Quantity;

  override call(t?: Quantity): Quantity {
    return this.update(t);
  }

  /** A callable current input (independent of V: slope undefined) for `post.addCurrentInput`. */
  asCurrentInput(): InputFn {
    const fn = (() => this.update()) as InputFn;
    fn.slope = () => undefined;
    return fn;
  }

  protected broadcast(v: Quantity): Quantity {
    return this.size && v.shape.join() !== this.size.join() ? v.add(math.zeros(this.size, v.unit)) : v;
  }

}

export interface ConstantInputOptions {
  /** Shape to broadcast the amplitude to (default: the amplitude's own shape). */
  size?: number | readonly number[];
  name?: string;
}

/** The same value every step. */
export class ConstantInput extends CurrentGenerator {
  readonly amplitude: Quantity;

  constructor(amplitude: Quantity, opts: ConstantInputOptions = {}) {
    super(opts.name, opts.size, 'ConstantInput');
    const who = `${this.name} (ConstantInput)`;
    if (!isQuantity(amplitude)) throw new TypeError(`${who}: the amplitude must be a Quantity (for example u.pA(200))`);
    checkHost(who, 'the amplitude', amplitude);
    if (this.size && !broadcasts(amplitude.shape, this.size)) {
      throw new RangeError(`${who}: an amplitude of shape [${amplitude.shape.join(', ')}] does not broadcast to size [${this.size.join(', ')}]`);
    }
    this.amplitude = amplitude;
  }

  get unit(): Unit {
    return this.amplitude.unit;
  }

  override update(_t?: Quantity): Quantity {
    return this.broadcast(this.amplitude);
  }
}

export interface StepInputOptions {
  /** Amplitude from each onset on: shape [K] or [K, ...shape]. */
  amplitudes: Quantity;
  /** The K onset times, strictly increasing. */
  times: Quantity;
  /** Shape to broadcast the values to (default: the amplitudes' row shape). */
  size?: number | readonly number[];
  name?: string;
}

/** A piecewise-constant current of t: 0 before times[0], amplitudes[k] from times[k] on. */
export class StepInput extends CurrentGenerator {
  readonly amplitudes: Quantity;
  readonly times: Quantity;
  /** One row per onset. */
  readonly rows: Quantity[];
  readonly onsets: Quantity[];

  constructor(opts: StepInputOptions) {
    super(opts?.name, opts?.size, 'StepInput');
    const who = `${this.name} (StepInput)`;
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`${who}: options { amplitudes, times } are required`);
    const { amplitudes, times } = opts;
    if (!isQuantity(amplitudes)) throw new TypeError(`${who}: amplitudes must be a Quantity (for example u.pA([100, 0]))`);
    if (!isQuantity(times)) throw new TypeError(`${who}: times must be a time Quantity (for example u.ms([10, 20]))`);
    if (!times.unit.sameDim(ms(1).unit)) throw new UnitMismatchError(`${who}: times are in ${times.unit.name}, expected a time (like ms)`, [times.unit.name, 'ms']);
    checkHost(who, 'amplitudes', amplitudes);
    checkHost(who, 'times', times);
    if (times.ndim > 1) throw new RangeError(`${who}: times must be a list of onsets (shape [K]), got shape [${times.shape.join(', ')}]`);
    const K = times.size;
    if (K === 0) throw new RangeError(`${who}: at least one onset time is needed`);
    if (amplitudes.ndim === 0 || amplitudes.shape[0] !== K) {
      throw new RangeError(`${who}: amplitudes of shape [${amplitudes.shape.join(', ')}] must have one row per onset time (${K})`);
    }
    const td = times.mantissa.data;
    for (let k = 1; k < K; k++) {
      if (!((td[k] as number) > (td[k - 1] as number))) throw new RangeError(`${who}: times must be strictly increasing, got ${String(times)}`);
    }
    const rowShape = amplitudes.shape.slice(1);
    if (this.size && !broadcasts(rowShape, this.size)) {
      throw new RangeError(`${who}: amplitude rows of shape [${rowShape.join(', ')}] do not broadcast to size [${this.size.join(', ')}]`);
    }
    const rowLen = rowShape.reduce((a, d) => a * d, 1);
    const ad = amplitudes.mantissa.data;
    this.rows = Array.from({ length: K }, (_, k) =>
      new Quantity(Tensor.fromArray(Float32Array.from(ad.slice(k * rowLen, (k + 1) * rowLen) as ArrayLike<number>), rowShape), amplitudes.unit));
    this.onsets = Array.from({ length: K }, (_, k) => new Quantity(Tensor.scalar(td[k] as number), times.unit));
    this.amplitudes = amplitudes;
    this.times = times;
  }

  get unit(): Unit {
    return this.amplitudes.unit;
  }

  /** The value at t (default: t from the environment). */
  override update(t?: Quantity): Quantity {
    const now = timeNow(`${this.name} (StepInput)`, t);
    // the latest onset reached wins: fold from the first onset to the last
    let v = math.zeros(this.rows[0]!.shape, this.unit);
    for (let k = 0; k < this.rows.length; k++) v = math.where(now.ge(this.onsets[k]!), this.rows[k]!, v);
    return this.broadcast(v);
  }
}
