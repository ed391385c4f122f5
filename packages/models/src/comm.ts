/**
 * Connectivity layers (brainstate.nn `_event_fixedprob.py`). `EventFixedProb` is brainstate's
 * EventFixedNumConn with a probability: each pre neuron gets a fixed out-degree
 * k = floor(nPost * prob) of targets drawn on the host from a seeded generator (with replacement
 * when allowMultiConn, as numpy's randint; without replacement otherwise), stored as a concrete
 * i32 [nPre, k] array. `update(spikes)` is weight * eventCount(spikes): only spiking rows cost
 * work on the GPU.
 *
 * `preRange: [start, end)` lets the pre neurons be a contiguous part of a larger population whose
 * whole spike vector is passed (the tracer has no slice op yet): the indices array then has one
 * row per neuron of that population, rows outside the range are zeros, and the spikes are masked
 * to the range first, so rows outside it never count.
 */
import { ops, Tensor } from '@spiketrace/compiler';
import { nn } from '@spiketrace/state';
import { isQuantity, Quantity, Unit } from '@spiketrace/units';
import { eventCount } from './events.ts';
import { Random } from './random.ts';

export interface EventFixedProbOptions {
  /** Connection probability in [0, 1]: each pre neuron gets floor(nPost * prob) targets. */
  prob: number;
  /** Homogeneous synaptic weight: a scalar Quantity (for example u.nS(6)) or a plain number. */
  weight: Quantity | number;
  /** Seed of the host generator that draws the targets (default 0). */
  seed?: number;
  /** Draw targets with replacement (default true, as brainstate). */
  allowMultiConn?: boolean;
  /** The pre neurons are spikes[..., start:end) of a larger population (see the module doc). */
  preRange?: readonly [number, number];
  name?: string;
}

export class EventFixedProb extends nn.Module {
  readonly nPre: number;
  readonly nPost: number;
  readonly prob: number;
  /** Out-degree: targets per pre neuron. */
  readonly k: number;
  readonly weight: Quantity;
  readonly seed: number;
  readonly allowMultiConn: boolean;
  readonly preRange: readonly [number, number] | undefined;
  /** Targets of each pre neuron, row-major [nPre, k]. */
  readonly indices: Int32Array;
  #padded = new Map<number, { indices: Tensor; mask: Tensor | undefined }>();

  constructor(nPre: number, nPost: number, opts: EventFixedProbOptions) {
    super(opts?.name);
    const who = `${this.name} (EventFixedProb)`;
    for (const [what, n] of [['nPre', nPre], ['nPost', nPost]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`${who}: ${what} must be a positive integer, got ${n}`);
    }
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`${who}: options { prob, weight } are required`);
    const { prob } = opts;
    if (typeof prob !== 'number' || !(prob >= 0 && prob <= 1)) {
      throw new RangeError(`${who}: the connection probability must be in [0, 1], got ${String(prob)}`);
    }
    const w = isQuantity(opts.weight) ? opts.weight : typeof opts.weight === 'number' ? new Quantity(Tensor.scalar(opts.weight), Unit.dimensionless) : undefined;
    if (!w) throw new TypeError(`${who}: the weight must be a scalar Quantity (for example u.nS(6)) or a number`);
    if (w.size !== 1) {
      throw new RangeError(`${who}: a weight of shape [${w.shape.join(', ')}] is not supported yet; give a homogeneous scalar weight (for example u.nS(6))`);
    }
    if (opts.preRange !== undefined) {
      const [s, e] = opts.preRange;
      if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e - s !== nPre) {
        throw new RangeError(`${who}: preRange [${s}, ${e}) must be a range of nPre = ${nPre} non-negative neuron indices`);
      }
    }
    this.nPre = nPre;
    this.nPost = nPost;
    this.prob = prob;
    this.k = Math.floor(nPost * prob);
    this.weight = w.reshape([]);
    this.seed = opts.seed ?? 0;
    this.allowMultiConn = opts.allowMultiConn ?? true;
    this.preRange = opts.preRange;
    this.indices = drawTargets(nPre, nPost, this.k, this.seed, this.allowMultiConn);
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

  #operands(m: number): { indices: Tensor; mask: Tensor | undefined } {
    let p = this.#padded.get(m);
    if (p) return p;
    const k = this.k;
    if (!this.preRange) {
      p = { indices: Tensor.fromArray(this.indices, [this.nPre, k], 'i32'), mask: undefined };
    } else {
      const [s, e] = this.preRange;
      const full = new Int32Array(m * k);
      full.set(this.indices, s * k);
      const mask = new Float32Array(m);
      mask.fill(1, s, e);
      p = { indices: Tensor.fromArray(full, [m, k], 'i32'), mask: Tensor.fromArray(mask, [m]) };
    }
    this.#padded.set(m, p);
    return p;
  }

  /** weight * (number of spiking pre neurons targeting each post neuron), shape [..., nPost]. */
  override update(spikes: Tensor | Quantity): Quantity {
    let s: Tensor;
    if (isQuantity(spikes)) {
      if (!spikes.isDimensionless) throw new TypeError(`${this.name} (EventFixedProb): spikes must be a Tensor (bool or f32), got a Quantity in ${spikes.unit.name}`);
      s = spikes.mantissa;
    } else if (spikes instanceof Tensor) s = spikes;
    else throw new TypeError(`${this.name} (EventFixedProb): spikes must be a Tensor (bool or f32)`);
    const m = this.checkSpikes(s);
    const { indices, mask } = this.#operands(m);
    if (mask) s = s.dtype === 'bool' ? ops.binary('and', s, ops.compare('ne', mask, 0)) : ops.mul(s, mask);
    const counts = this.k === 0 ? Tensor.full([...s.shape.slice(0, -1), this.nPost], 0, 'i32') : eventCount(s, indices, this.nPost);
    return this.weight.mul(ops.cast(counts, 'f32'));
  }

  override call(spikes: Tensor | Quantity): Quantity {
    return this.update(spikes);
  }
}

function drawTargets(nPre: number, nPost: number, k: number, seed: number, multi: boolean): Int32Array {
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
