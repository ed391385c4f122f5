/**
 * Connectivity layers (brainstate.nn `_event_fixedprob.py`). `EventFixedProb` is brainstate's
 * EventFixedNumConn with a probability: each pre neuron gets a fixed out-degree
 * k = floor(nPost * prob) of targets drawn on the host from a seeded generator (with replacement
 * when allowMultiConn, as numpy's randint; without replacement otherwise), stored as a concrete
 * i32 [nPre, k] array. `update(spikes)` is weight * eventCount(spikes): only spiking rows cost
 * work on the GPU.
 *
 * The weight is homogeneous (a scalar: the counts are multiplied by it) or per synapse, as
 * brainstate's `init.param(conn_weight, (n_pre, k))`: a Quantity that broadcasts to [nPre, k] or an
 * initializer called with that shape (for example `Normal(u.nS(6), u.nS(1))`), row p holding the
 * weights of pre neuron p's k synapses in the order of `indices`. Constant per-synapse weights
 * travel as 32-bit fixed point (fixed-point.ts): each delivered spike adds its synapse's integer
 * weight, and the sums are scaled back.
 *
 * `trainable: true` keeps the weight in a ParamState (`weightState`, named 'weight', as brainstate's
 * param_type=ParamState), so `grad` reaches it. A per-synapse one stays f32 and event_count
 * quantizes it in the kernel (`quantizeWeight`): the exponent is fixed at construction, leaving 16x
 * room above the largest initial |w|, so the quantum is about 16 max|w| fan-in / 2^31 (2^-20 of
 * max|w| at a fan-in of 80, 2^-13 at 10^4), and a weight that grows past the room is clipped, never
 * wrapped. Its gradient is the outer product of the pre spikes and the targets' cotangents on the
 * synapses (`event_outer`), straight through the rounding and the clip (a clipped weight keeps
 * receiving gradient although its forward value no longer changes).
 *
 * `preRange: [start, end)` lets the pre neurons be a contiguous part of a larger population whose
 * whole spike vector is passed: the indices array then has one row per neuron of that population,
 * rows outside the range are zeros, and the spikes are masked to the range first, so rows outside
 * it never count. That keeps the spike operand element-aligned with the population (event_count
 * can compute it itself, no extra phase); trainable per-synapse weights slice the spikes instead
 * (`ops.sliceAxis`), since their traced rows cannot be padded on the host.
 */
import { ops, Tensor, type QuantizeArg } from '@spiketrace/compiler';
import { nn, ParamState } from '@spiketrace/state';
import { isQuantity, Quantity, Unit } from '@spiketrace/units';
import { eventCount } from './events.ts';
import { toFixedPoint, trainableQuantization, type FixedPointWeights } from './fixed-point.ts';
import { initValue, seedOf, type Initializer } from './init.ts';
import { Random } from './random.ts';

export interface EventFixedProbOptions {
  /** Connection probability in [0, 1]: each pre neuron gets floor(nPost * prob) targets. */
  prob: number;
  /**
   * Synaptic weight: homogeneous (a scalar Quantity such as u.nS(6), or a plain number) or per
   * synapse (a Quantity broadcasting to [nPre, k], or an initializer called with [nPre, k]).
   */
  weight: Quantity | number | Initializer;
  /** Seed of the host generator that draws the targets (default 0). */
  seed?: number;
  /** Draw targets with replacement (default true, as brainstate). */
  allowMultiConn?: boolean;
  /** The pre neurons are spikes[..., start:end) of a larger population (see the module doc). */
  preRange?: readonly [number, number];
  /** Keep the weight in a ParamState that gradients reach (see the module doc). */
  trainable?: boolean;
  name?: string;
}


export class EventFixedProb extends nn.Module {
  readonly nPre: number;
  readonly nPost: number;
  readonly prob: number;
  /** Out-degree: targets per pre neuron. */
  readonly k: number;
  /** The trainable weight (undefined unless `trainable`). */
  readonly weightState: ParamState<Quantity> | undefined;
  /** How event_count quantizes trainable per-synapse weights (undefined otherwise). */
  readonly quantize: QuantizeArg | undefined;
  readonly #weight: Quantity;
  readonly seed: number;
  readonly allowMultiConn: boolean;
  readonly preRange: readonly [number, number] | undefined;
  /** Targets of each pre neuron, row-major [nPre, k]. */
  readonly indices: Int32Array;
  /** Per-synapse weights as fixed point (undefined when the weight is homogeneous). */
  readonly fixedWeights: FixedPointWeights | undefined;
  #padded = new Map<number, { indices: Tensor; weights: Tensor | undefined; mask: Tensor | undefined }>();

  constructor(nPre: number, nPost: number, opts: EventFixedProbOptions) {
    super(opts?.name);
    const who = `${this.name} (EventFixedProb)`;
    checkFixedProb(who, nPre, nPost, opts);
    if (opts.trainable !== undefined && typeof opts.trainable !== 'boolean') throw new TypeError(`${who}: trainable must be true or false, got ${JSON.stringify(opts.trainable)}`);
    const { prob } = opts;
    const raw = opts.weight;
    if (opts.preRange !== undefined) {
      const r: unknown = opts.preRange;
      const [s, e] = Array.isArray(r) ? r as number[] : [NaN, NaN];
      if (!Number.isInteger(s) || !Number.isInteger(e) || (s as number) < 0 || (e as number) - (s as number) !== nPre) {
        throw new RangeError(`${who}: preRange must be [start, end), a range of nPre = ${nPre} non-negative neuron indices, got ${JSON.stringify(r)}`);
      }
    }
    this.nPre = nPre;
    this.nPost = nPost;
    this.prob = prob;
    this.k = Math.floor(nPost * prob);
    this.seed = seedOf(who, opts.seed);
    this.allowMultiConn = opts.allowMultiConn ?? true;
    this.preRange = opts.preRange;
    this.indices = drawTargets(nPre, nPost, this.k, this.seed, this.allowMultiConn);
    const homogeneous = typeof raw !== 'function' && (typeof raw === 'number' || raw.size === 1);
    const w = homogeneous
      ? (isQuantity(raw) ? raw : new Quantity(Tensor.scalar(raw as number), Unit.dimensionless)).reshape([])
      : initValue(raw, [nPre, this.k], `${who}: weight`);
    checkFiniteWeights(who, w);
    this.#weight = w;
    this.fixedWeights = undefined;
    this.quantize = undefined;
    this.weightState = undefined;
    if (opts.trainable) {
      this.weightState = new ParamState(w, { name: 'weight' });
      if (!homogeneous) this.quantize = trainableQuantization(w.mantissa.data, this.indices, nPost);
    } else if (!homogeneous) {
      this.fixedWeights = toFixedPoint(w.mantissa.data, this.indices, nPost);
    }
  }

  /** The weight now: a scalar when homogeneous, else [nPre, k] (one per synapse, aligned with `indices`). */
  get weight(): Quantity {
    return this.weightState ? this.weightState.value : this.#weight;
  }

  /** The unit of the output (the weight's). */
  get outUnit(): Unit {
    return this.weight.unit;
  }

  /** The size of the spike vector's last axis this layer expects (nPre, or at least preRange's end). */
  private checkSpikes(spikes: Tensor): number {
    const who = `${this.name} (EventFixedProb)`;
    const m = spikes.shape[spikes.shape.length - 1];
    if (m === undefined) throw new RangeError(`${who}: spikes must have a neuron axis, got a scalar`);
    if (this.preRange) {
      if (m < this.preRange[1]) {
        throw new RangeError(`${who}: spikes have ${m} neurons on their last axis, fewer than the end of preRange [${this.preRange[0]}, ${this.preRange[1]})`);
      }
    } else if (m !== this.nPre) {
      throw new RangeError(`${who}: spikes have ${m} neurons on their last axis, but the connectivity has nPre = ${this.nPre} pre neurons`);
    }
    return m;
  }

  /** The connectivity operands for spikes of `m` neurons (padded to m rows under a pre range, unless `padded` is false). */
  #operands(m: number, padded = true): { indices: Tensor; weights: Tensor | undefined; mask: Tensor | undefined } {
    const key = padded ? m : -m;
    let p = this.#padded.get(key);
    if (p) return p;
    const k = this.k;
    const ints = this.fixedWeights?.ints;
    if (!this.preRange || !padded) {
      p = {
        indices: Tensor.fromArray(this.indices, [this.nPre, k], 'i32'),
        weights: ints && Tensor.fromArray(ints, [this.nPre, k], 'i32'),
        mask: undefined,
      };
    } else {
      // rows outside the range: target 0 with weight 0, and masked spikes, so they never add
      const [s, e] = this.preRange;
      const pad = (rows: Int32Array): Tensor => {
        const full = new Int32Array(m * k);
        full.set(rows, s * k);
        return Tensor.fromArray(full, [m, k], 'i32');
      };
      const mask = new Float32Array(m);
      mask.fill(1, s, e);
      p = { indices: pad(this.indices), weights: ints && pad(ints), mask: Tensor.fromArray(mask, [m]) };
    }
    this.#padded.set(key, p);
    return p;
  }

  /**
   * The input each post neuron receives, shape [..., nPost]: weight * (number of spiking pre
   * neurons targeting it), or the sum of the weights of its synapses whose pre neuron spiked.
   */
  override update(spikes: Tensor | Quantity): Quantity {
    let s: Tensor;
    if (isQuantity(spikes)) {
      if (!spikes.isDimensionless) throw new TypeError(`${this.name} (EventFixedProb): spikes must be a Tensor (bool or f32), got a Quantity in ${spikes.unit.name}`);
      s = spikes.mantissa;
    } else if (spikes instanceof Tensor) s = spikes;
    else throw new TypeError(`${this.name} (EventFixedProb): spikes must be a Tensor (bool or f32)`);
    const m = this.checkSpikes(s);
    const empty = () => Tensor.full([...s.shape.slice(0, -1), this.nPost], 0, 'i32');
    const q = this.quantize;
    if (q) {
      // trainable per-synapse weights: f32, quantized by event_count itself; a pre range slices the
      // spikes (the weights, a traced ParamState, are not padded)
      if (this.preRange) s = ops.sliceAxis(s, this.preRange[0], this.preRange[1]);
      const w = this.weight;
      const sums = this.k === 0 ? empty() : eventCount(s, this.#operands(this.nPre, false).indices, this.nPost, { weights: w.mantissa, quantize: q });
      return new Quantity(ops.mul(ops.cast(sums, 'f32'), 2 ** -q.exponent), w.unit);
    }
    const { indices, weights, mask } = this.#operands(m);
    if (mask) s = s.dtype === 'bool' ? ops.binary('and', s, ops.compare('ne', mask, 0)) : ops.mul(s, mask);
    // a pre range: only its rows are scanned (event_count's rows), the rest are masked too
    const counts = this.k === 0 ? empty() : eventCount(s, indices, this.nPost, { ...(weights ? { weights } : {}), ...(this.preRange ? { rows: this.preRange } : {}) });
    const fixed = this.fixedWeights;
    if (fixed) return new Quantity(ops.mul(ops.cast(counts, 'f32'), fixed.scale), this.weight.unit);
    return this.weight.mul(ops.cast(counts, 'f32'));
  }

  override call(spikes: Tensor | Quantity): Quantity {
    return this.update(spikes);
  }
}

/** k targets in [0, nPost) per pre neuron, row-major [nPre, k], from a seeded generator. */
/**
 * What fixed out-degree connectivity (EventFixedProb, FixedProb) checks before drawing anything:
 * positive integer sizes, a probability in [0, 1] and a weight given in one of the accepted forms.
 */
export function checkFixedProb(who: string, nPre: number, nPost: number, opts: { prob: unknown; weight: unknown } | undefined): void {
  for (const [what, n] of [['nPre', nPre], ['nPost', nPost]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${who}: ${what} must be a positive integer, got ${n}`);
  }
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${who}: options { prob, weight } are required`);
  const { prob, weight } = opts;
  if (typeof prob !== 'number' || !(prob >= 0 && prob <= 1)) {
    throw new RangeError(`${who}: the connection probability must be in [0, 1], got ${String(prob)}`);
  }
  if (!isQuantity(weight) && typeof weight !== 'number' && typeof weight !== 'function') {
    throw new TypeError(`${who}: the weight must be a Quantity (for example u.nS(6)), a number or an initializer`);
  }
}

/** Every weight finite (a NaN weight would poison every target it reaches). */
export function checkFiniteWeights(who: string, w: Quantity): void {
  if (!w.mantissa.data.every(Number.isFinite)) throw new RangeError(`${who}: the weights must be finite`);
}

export function drawTargets(nPre: number, nPost: number, k: number, seed: number, multi: boolean): Int32Array {
  const rng = new Random(seed);
  const out = new Int32Array(nPre * k);
  if (multi) {
    for (let i = 0; i < out.length; i++) out[i] = rng.randint(nPost);
    return out;
  }
  // without replacement: a partial Fisher-Yates shuffle per row
  const perm = new Int32Array(nPost);
  for (let i = 0; i < nPre; i++) {
    for (let j = 0; j < nPost; j++) perm[j] = j;
    for (let j = 0; j < k; j++) {
      const r = j + rng.randint(nPost - j);
      const tmp = perm[j]!;
      perm[j] = perm[r]!;
      perm[r] = tmp;
      out[i * k + j] = perm[j]!;
    }
  }
  return out;
}
