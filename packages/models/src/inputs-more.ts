/**
 * More input generators of braintools (`braintools.input`: ramp_input, sinusoidal_input,
 * square_input, ou_process, wiener_process) and brainpy.state's spike sources `SpikeTime` and
 * `PoissonEncoder`, as modules evaluated each step from the time t (environment or `update(t)`)
 * instead of arrays precomputed for a duration. A window `[tStart, tEnd)` (default: always) gives
 * braintools' t_start / t_end: outside it the value is 0.
 *
 * - `RampInput`: from `start` at tStart to `end` at the last step before tEnd, linearly (braintools'
 *   linspace over the window's steps: slope (end - start) / (tEnd - tStart - dt)).
 * - `SinusoidalInput`: amplitude sin(2 pi f (t - tStart)), plus the amplitude with `bias`.
 * - `SquareInput`: amplitude for the first `duty` of each period from tStart, -amplitude for the
 *   rest (plus the amplitude with `bias`).
 * - `WienerProcess`: sigma N(0, 1) sqrt(dt) each step, independent across steps and elements.
 * - `OUProcess`: x <- x + dt (mean - x) / tau + sigma sqrt(dt) N(0, 1), starting from the mean,
 *   advancing only inside the window. braintools' code draws the increment from `rng.rand` (uniform
 *   on [0, 1), whose mean shifts the process) although its docstring says dW; the documented
 *   Wiener increment is what this does.
 * - `SpikeTime`: spikes of neuron `indices[k]` at `times[k]` (on step round(times[k] / dt)), from a
 *   host table of the steps up to the last event: one row read per step (`take_row`).
 * - `PoissonEncoder`: spikes with probability freqs * dt per step, for rates given at each call.
 * Random draws come from the counter-based generator (`randUniform`, `randNormal`): reproducible for
 * a seed, the same uniform bits on the CPU reference and the GPU.
 */
import { ops, roundHalfEven, Tensor } from '@spiketrace/compiler';
import { environ, HiddenState, type nn } from '@spiketrace/state';
import { Hz, isQuantity, math, ms, Quantity, Unit, UnitMismatchError } from '@spiketrace/units';
import { Dynamics } from './dynamics.ts';
import { seedOf } from './init.ts';
import { broadcasts, checkHost, CurrentGenerator } from './inputs.ts';
import { timeNow } from './time.ts';

interface Window {
  /** Start of the window (default 0 ms). */
  tStart?: Quantity;
  /** End of the window, exclusive (default: none). */
  tEnd?: Quantity;
  /** Shape to broadcast the value to (default: the parameters' own shape). */
  size?: number | readonly number[];
  name?: string;
}

function checkTime(who: string, what: string, t: Quantity | undefined): Quantity | undefined {
  if (t === undefined) return undefined;
  if (!isQuantity(t) || !t.unit.sameDim(ms(1).unit)) {
    throw new UnitMismatchError(`${who}: ${what} must be a time (like ms), got ${isQuantity(t) ? `a quantity in ${t.unit.name}` : typeof t}`, [isQuantity(t) ? t.unit.name : '?', 'ms']);
  }
  if (t.size !== 1) throw new RangeError(`${who}: ${what} must be a scalar time`);
  checkHost(who, what, t);
  return t.reshape([]);
}

function checkQuantity(who: string, what: string, v: unknown, example: string): Quantity {
  if (!isQuantity(v)) throw new TypeError(`${who}: ${what} must be a Quantity (for example ${example})`);
  checkHost(who, what, v);
  return v;
}

/** A generator with a window [tStart, tEnd); `inside(t)` is where t lies in it. */
abstract class WindowedGenerator extends CurrentGenerator {
  readonly tStart: Quantity;
  readonly tEnd: Quantity | undefined;

  constructor(opts: Window, kind: string) {
    super(opts.name, opts.size, kind);
    const who = this.who;
    this.tStart = checkTime(who, 'tStart', opts.tStart) ?? ms(0);
    this.tEnd = checkTime(who, 'tEnd', opts.tEnd);
    if (this.tEnd && !(this.tEnd.to(this.tStart.unit).item() > this.tStart.item())) {
      throw new RangeError(`${who}: tEnd (${String(this.tEnd)}) must be after tStart (${String(this.tStart)})`);
    }
  }

  get who(): string {
    return `${this.name} (${this.constructor.name})`;
  }

  protected inside(t: Quantity): Tensor {
    const after = t.ge(this.tStart);
    return this.tEnd ? ops.binary('and', after, t.lt(this.tEnd)) : after;
  }

  /** The parameters' common shape so far, when no size is given. */
  #shape: number[] = [];

  /** A parameter broadcasts to `size`, or, without one, with the parameters checked before it. */
  protected checkShape(what: string, v: Quantity): void {
    if (this.size) {
      if (!broadcasts(v.shape, this.size)) {
        throw new RangeError(`${this.who}: ${what} of shape [${v.shape.join(', ')}] does not broadcast to size [${this.size.join(', ')}]`);
      }
      return;
    }
    const [a, b] = [this.#shape, v.shape];
    const r = Math.max(a.length, b.length);
    const both = Array.from({ length: r }, (_, i) => [a[a.length - r + i] ?? 1, b[b.length - r + i] ?? 1] as const);
    if (both.some(([x, y]) => x !== y && x !== 1 && y !== 1)) {
      throw new RangeError(`${this.who}: ${what} of shape [${b.join(', ')}] does not broadcast with the parameters before it (shape [${a.join(', ')}])`);
    }
    this.#shape = both.map(([x, y]) => (x === 1 ? y : x));
  }
}

// ---- deterministic functions of t

export interface RampInputOptions extends Window {
  /** Value at tStart. */
  start: Quantity;
  /** Value at the last step before tEnd (same dimension as start). */
  end: Quantity;
  /** Required: the ramp's end. */
  tEnd: Quantity;
}

export class RampInput extends WindowedGenerator {
  readonly start: Quantity;
  readonly end: Quantity;

  constructor(opts: RampInputOptions) {
    super(opts, 'RampInput');
    const who = this.who;
    if (opts.tEnd === undefined) throw new TypeError(`${who}: tEnd is required (where the ramp ends)`);
    this.start = checkQuantity(who, 'start', opts.start, 'u.pA(0)');
    const end = checkQuantity(who, 'end', opts.end, 'u.pA(100)');
    if (!end.unit.sameDim(this.start.unit)) {
      throw new UnitMismatchError(`${who}: end is in ${end.unit.name} but start in ${this.start.unit.name}; give both in one dimension`, [end.unit.name, this.start.unit.name]);
    }
    this.end = end.to(this.start.unit);
    this.checkShape('start', this.start);
    this.checkShape('end', this.end);
  }

  get unit(): Unit {
    return this.start.unit;
  }

  override update(t?: Quantity): Quantity {
    const now = timeNow(this.who, t);
    const dt = environ.getDt();
    // the window's steps are linspace(start, end, steps): the last one lands on `end`
    const span = (this.tEnd as Quantity).sub(this.tStart).sub(dt);
    const slope = span.item() > 0 ? this.end.sub(this.start).div(span) : this.end.sub(this.start).mul(0).div(dt);
    const v = this.start.add(slope.mul(now.sub(this.tStart)));
    return this.broadcast(math.where(this.inside(now), v, math.zeros([], this.unit)));
  }
}

export interface SinusoidalInputOptions extends Window {
  amplitude: Quantity;
  /** Frequency (Hz or any frequency unit). */
  frequency: Quantity;
  /** Oscillate around the amplitude instead of 0 (never negative). */
  bias?: boolean;
}

function checkFrequency(who: string, f: unknown): Quantity {
  const q = checkQuantity(who, 'frequency', f, 'u.Hz(10)');
  if (!q.unit.sameDim(Hz(1).unit)) throw new UnitMismatchError(`${who}: frequency is in ${q.unit.name}, expected a frequency (like Hz)`, [q.unit.name, 'Hz']);
  return q;
}

/**
 * A periodic input: amplitude times a waveform of the cycles elapsed since tStart, f (t - tStart),
 * plus the amplitude with `bias`.
 */
abstract class PeriodicInput extends WindowedGenerator {
  readonly amplitude: Quantity;
  readonly frequency: Quantity;
  readonly bias: boolean;

  constructor(opts: SinusoidalInputOptions, kind: string) {
    super(opts, kind);
    this.amplitude = checkQuantity(this.who, 'amplitude', opts.amplitude, 'u.pA(50)');
    this.frequency = checkFrequency(this.who, opts.frequency);
    if (opts.bias !== undefined && typeof opts.bias !== 'boolean') throw new TypeError(`${this.who}: bias must be true or false, got ${JSON.stringify(opts.bias)}`);
    this.bias = opts.bias ?? false;
    this.checkShape('amplitude', this.amplitude);
    this.checkShape('frequency', this.frequency);
  }

  get unit(): Unit {
    return this.amplitude.unit;
  }

  /** The waveform, in [-1, 1], of the (dimensionless) cycles elapsed. */
  protected abstract wave(cycles: Tensor): Tensor;

  override update(t?: Quantity): Quantity {
    const now = timeNow(this.who, t);
    let v = this.amplitude.mul(this.wave(math.maybeDecimal(this.frequency.mul(now.sub(this.tStart))) as Tensor));
    if (this.bias) v = v.add(this.amplitude);
    return this.broadcast(math.where(this.inside(now), v, math.zeros([], this.unit)));
  }
}

export class SinusoidalInput extends PeriodicInput {
  constructor(opts: SinusoidalInputOptions) {
    super(opts, 'SinusoidalInput');
  }

  protected wave(cycles: Tensor): Tensor {
    return ops.unary('sin', ops.mul(cycles, 2 * Math.PI));
  }
}

export interface SquareInputOptions extends SinusoidalInputOptions {
  /** Fraction of each period at +amplitude (default 0.5). */
  duty?: number;
}

export class SquareInput extends PeriodicInput {
  readonly duty: number;

  constructor(opts: SquareInputOptions) {
    super(opts, 'SquareInput');
    const duty = opts.duty ?? 0.5;
    if (typeof duty !== 'number' || !(duty >= 0 && duty <= 1)) throw new RangeError(`${this.who}: duty must be in [0, 1], got ${String(duty)}`);
    this.duty = duty;
  }

  protected wave(cycles: Tensor): Tensor {
    // the fraction of the period elapsed, in [0, 1)
    const frac = ops.sub(cycles, ops.unary('floor', cycles));
    return ops.where(ops.compare('lt', frac, this.duty), 1, -1);
  }
}

// ---- noise processes

export interface WienerProcessOptions extends Window {
  /** Scale of the increments (default 1, dimensionless: then the value is in sqrt(time)). */
  sigma?: Quantity | number;
  /** Shape of the process (one independent increment per element). */
  size: number | readonly number[];
  seed?: number;
}

export class WienerProcess extends WindowedGenerator {
  readonly sigma: Quantity;
  readonly seed: number;

  constructor(opts: WienerProcessOptions) {
    super(opts, 'WienerProcess');
    if (!this.size) throw new TypeError(`${this.who}: size is required`);
    const s = opts.sigma ?? 1;
    if (typeof s === 'number' && !Number.isFinite(s)) throw new RangeError(`${this.who}: sigma must be finite, got ${s}`);
    this.sigma = typeof s === 'number' ? math.full([], s) : checkQuantity(this.who, 'sigma', s, 'u.pA(10)');
    this.checkShape('sigma', this.sigma);
    this.seed = seedOf(this.who, opts.seed);
  }

  get unit(): Unit {
    return this.sigma.unit.mul(ms(1).unit.pow(0.5));
  }

  override update(t?: Quantity): Quantity {
    const now = timeNow(this.who, t);
    const v = this.sigma.mul(environ.getDt().sqrt()).mul(ops.randNormal(this.size as number[], this.seed));
    return math.where(this.inside(now), v, math.zeros([], v.unit));
  }
}

export interface OUProcessOptions extends Window {
  /** The mean the process relaxes to, and its start. */
  mean: Quantity;
  /** Noise strength: mean's unit per sqrt(time) (for example u.pA(20).div(u.ms(1).sqrt())). */
  sigma: Quantity;
  /** Relaxation time. */
  tau: Quantity;
  size: number | readonly number[];
  seed?: number;
}

export class OUProcess extends WindowedGenerator {
  readonly mean: Quantity;
  readonly sigma: Quantity;
  readonly tau: Quantity;
  readonly seed: number;
  readonly x = new HiddenState<Quantity>(undefined, { name: 'x' });

  constructor(opts: OUProcessOptions) {
    super(opts, 'OUProcess');
    const who = this.who;
    if (!this.size) throw new TypeError(`${who}: size is required`);
    this.mean = checkQuantity(who, 'mean', opts.mean, 'u.pA(100)');
    this.sigma = checkQuantity(who, 'sigma', opts.sigma, 'u.pA(20).div(u.ms(1).sqrt())');
    this.tau = checkTime(who, 'tau', checkQuantity(who, 'tau', opts.tau, 'u.ms(10)')) as Quantity;
    if (!(this.tau.item() > 0)) throw new RangeError(`${who}: tau must be positive, got ${String(this.tau)}`);
    const step = this.sigma.mul(ms(1).sqrt());
    if (!step.unit.sameDim(this.mean.unit)) {
      throw new UnitMismatchError(`${who}: sigma sqrt(dt) is in ${step.unit.name}, but the mean is in ${this.mean.unit.name}; give sigma in the mean's unit per sqrt(time)`, [step.unit.name, this.mean.unit.name]);
    }
    this.checkShape('mean', this.mean);
    this.checkShape('sigma', this.sigma);
    this.seed = seedOf(this.who, opts.seed);
  }

  get unit(): Unit {
    return this.mean.unit;
  }

  override initState(_opts: nn.InitOptions = {}): void {
    this.x.reset(this.mean.add(math.zeros(this.size as number[], this.mean.unit)));
  }

  override update(t?: Quantity): Quantity {
    const now = timeNow(this.who, t);
    const dt = environ.getDt();
    // Euler's relaxation x += dt (mean - x) / tau overshoots and grows when dt > 2 tau
    if (dt.to(this.tau.unit).item() > 2 * this.tau.item()) {
      throw new RangeError(`${this.who}: dt (${String(dt)}) is more than twice tau (${String(this.tau)}): the Euler step would diverge; use a smaller dt or a longer tau`);
    }
    const x0 = this.x.value;
    const kick = this.sigma.mul(dt.sqrt()).mul(ops.randNormal(x0.shape, this.seed));
    const x1 = x0.add(dt.mul(this.mean.sub(x0).div(this.tau))).add(kick).to(x0.unit);
    const inside = this.inside(now);
    this.x.value = math.where(inside, x1, x0);
    return math.where(inside, x1, math.zeros([], x0.unit));
  }
}

// ---- spike sources

export interface SpikeTimeOptions {
  /** The neuron (flat index into inSize) of each event. */
  indices: readonly number[];
  /** The time of each event (same length as indices). */
  times: Quantity;
  name?: string;
}

/**
 * brainpy.state.SpikeTime: given spikes. An event at time t lands on step round(t / dt) (in f32,
 * half to even, as brainpy.state). The events are binned on the host into a dense table with one
 * row per step up to the last event (bool, [steps, ...inSize], 4 bytes per element on the GPU:
 * 20 MB for 1000 neurons over 0.5 s at dt = 0.1 ms); each step reads its row, so the cost per step
 * is O(n) whatever the number of events, and a long stimulus costs memory (brainpy.state keeps a
 * sparse matrix instead).
 */
/** Most bytes of a SpikeTime's event table on the GPU (WebGPU's default maxStorageBufferBindingSize). */
const SPIKE_TABLE_MAX_BYTES = 128 * 2 ** 20;

export class SpikeTime extends Dynamics {
  readonly indices: readonly number[];
  readonly times: Quantity;
  #table = new Map<string, { rows: Tensor; last: number }>();

  constructor(inSize: number | readonly number[], opts: SpikeTimeOptions) {
    super(inSize, opts?.name);
    const who = `${this.name} (SpikeTime)`;
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`${who}: options { indices, times } are required`);
    const n = this.varshape.reduce((a, d) => a * d, 1);
    const times = checkQuantity(who, 'times', opts.times, 'u.ms([1, 5])');
    if (!times.unit.sameDim(ms(1).unit)) throw new UnitMismatchError(`${who}: times are in ${times.unit.name}, expected a time (like ms)`, [times.unit.name, 'ms']);
    if (!Array.isArray(opts.indices) || opts.indices.length !== times.size) {
      throw new RangeError(`${who}: indices (${Array.isArray(opts.indices) ? opts.indices.length : typeof opts.indices}) and times (${times.size}) must have one entry per event`);
    }
    opts.indices.forEach((i, k) => {
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`${who}: indices[${k}] = ${i} is not a neuron of a population of ${n}`);
    });
    times.mantissa.data.forEach((v, k) => {
      if (!(v >= 0)) throw new RangeError(`${who}: times[${k}] = ${v} ${times.unit.name} must be >= 0`);
    });
    this.indices = [...opts.indices];
    this.times = times.reshape([times.size]);
  }

  /** The event table for this dt: row s holds the spikes of step s (t = s dt). */
  #rowsFor(dt: Quantity): { rows: Tensor; last: number } {
    const key = `${dt.to(ms(1).unit).item()}`;
    let tab = this.#table.get(key);
    if (tab) return tab;
    const n = this.varshape.reduce((a, d) => a * d, 1);
    // brainpy.state: round(times / dt) in f32, half to even
    const d = Math.fround(dt.item());
    const steps = Array.from(this.times.to(dt.unit).mantissa.data, (v) => roundHalfEven(Math.fround(Math.fround(v) / d)));
    const last = steps.reduce((a, b) => Math.max(a, b), -1);
    // one row per step up to the last event, 4 bytes per element on the GPU: stay within WebGPU's
    // default storage binding (128 MiB) rather than fail in an allocation or on the device
    if ((last + 1) * n * 4 > SPIKE_TABLE_MAX_BYTES) {
      throw new RangeError(
        `${this.name} (SpikeTime): the event table would hold ${last + 1} steps x ${n} neurons (${(((last + 1) * n * 4) / 2 ** 20).toFixed(0)} MiB), ` +
          `over ${SPIKE_TABLE_MAX_BYTES / 2 ** 20} MiB; the last event is at step ${last}: split the stimulus or use fewer neurons per SpikeTime`,
      );
    }
    const data = new Uint8Array((last + 1) * n);
    steps.forEach((s, k) => { data[s * n + (this.indices[k] as number)] = 1; });
    tab = { rows: Tensor.fromArray(data, [Math.max(last + 1, 1), ...this.varshape], 'bool'), last };
    this.#table.set(key, tab);
    return tab;
  }

  /** This step's spikes (f32 0/1 of inSize) at t (default: t from the environment). */
  override update(t?: Quantity): Tensor {
    const who = `${this.name} (SpikeTime)`;
    const dt = environ.getDt();
    const now = timeNow(who, t);
    const { rows, last } = this.#rowsFor(dt);
    if (last < 0) return Tensor.full(this.varshape, 0);
    const step = ops.cast(ops.unary('round', math.maybeDecimal(now.div(dt)) as Tensor), 'i32');
    const valid = ops.binary('and', ops.compare('ge', step, 0), ops.compare('le', step, last));
    return ops.cast(ops.binary('and', ops.takeRow(rows, step), valid), 'f32');
  }

  override call(t?: Quantity): Tensor {
    return super.call(t) as Tensor;
  }
}

export interface PoissonEncoderOptions {
  seed?: number;
  name?: string;
}

/** brainpy.state.PoissonEncoder: spikes (f32 0/1) with probability freqs * dt, for the rates of each call. */
export class PoissonEncoder extends Dynamics {
  readonly seed: number;

  constructor(inSize: number | readonly number[], opts: PoissonEncoderOptions = {}) {
    super(inSize, opts.name);
    this.seed = seedOf(`${this.name} (PoissonEncoder)`, opts.seed);
  }

  override update(freqs: Quantity): Tensor {
    const who = `${this.name} (PoissonEncoder)`;
    if (!isQuantity(freqs) || !freqs.unit.sameDim(Hz(1).unit)) {
      throw new UnitMismatchError(`${who}: the rates must be a frequency (like Hz), got ${isQuantity(freqs) ? `a quantity in ${freqs.unit.name}` : typeof freqs}`, [isQuantity(freqs) ? freqs.unit.name : '?', 'Hz']);
    }
    const p = math.maybeDecimal(freqs.mul(environ.getDt())) as Tensor;
    // rates per neuron (or one for all), with leading batch axes allowed: [..., *size]
    const lead = p.shape.length - this.varshape.length;
    const tail = lead >= 0 ? p.shape.slice(lead) : p.shape;
    if (p.size !== 1 && !(lead >= 0 && tail.every((d, i) => d === this.varshape[i] || d === 1))) {
      throw new RangeError(`${who}: rates of shape [${p.shape.join(', ')}] do not fit the encoder's size [${this.varshape.join(', ')}] (give [..., ${this.varshape.join(', ')}] or a scalar)`);
    }
    const shape = lead > 0 ? [...p.shape.slice(0, lead), ...this.varshape] : this.varshape;
    return ops.cast(ops.compare('lt', ops.randUniform(shape, this.seed), p), 'f32');
  }

  override call(freqs: Quantity): Tensor {
    return super.call(freqs) as Tensor;
  }
}
