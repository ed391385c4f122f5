/**
 * Dense connectivity (brainstate.nn `_linear.py`): `Linear` (y = x @ W + b, W and b trainable
 * ParamStates), `AllToAll` (a scalar or matrix weight, optionally without self-connections) and
 * `FixedProb` (the fixed out-degree connectivity of EventFixedProb for graded, non-spike inputs,
 * held as a dense matrix). All run through the `matmul` primitive: one kernel per step.
 */
import { ops, Tensor } from '@spiketrace/compiler';
import { nn, ParamState } from '@spiketrace/state';
import { isQuantity, Quantity, Unit } from '@spiketrace/units';
import type { Initializer } from './init.ts';
import { Random } from './random.ts';

type Weight = Quantity | Tensor | number;

function asQuantity(w: Weight): Quantity {
  if (isQuantity(w)) return w;
  return new Quantity(typeof w === 'number' ? Tensor.scalar(w) : w, Unit.dimensionless);
}

function checkSizes(owner: string, nIn: number, nOut: number): void {
  for (const [what, n] of [['nIn', nIn], ['nOut', nOut]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${owner}: ${what} must be a positive integer, got ${n}`);
  }
}

function checkInput(owner: string, x: Quantity | Tensor, nIn: number): Quantity {
  const q = isQuantity(x) ? x : new Quantity(x, Unit.dimensionless);
  if (q.shape[q.shape.length - 1] !== nIn) {
    throw new RangeError(`${owner}: the input's last axis has ${q.shape[q.shape.length - 1]} elements, the layer takes ${nIn}`);
  }
  return q;
}

/** Kaiming-normal initializer for a [nIn, nOut] matrix (std = sqrt(2 / nIn)), seeded. */
export function KaimingNormal(opts: { seed?: number } = {}): Initializer {
  return (shape) => {
    const rng = new Random(opts.seed ?? 0);
    const fanIn = shape[0] ?? 1;
    const sd = Math.sqrt(2 / fanIn);
    const n = shape.reduce((a, d) => a * d, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rng.normal() * sd;
    return new Quantity(Tensor.fromArray(data, [...shape]), Unit.dimensionless);
  };
}

export interface LinearOptions {
  /** Weight matrix [nIn, nOut] (Quantity/Tensor) or an initializer; default KaimingNormal. */
  weight?: Quantity | Tensor | Initializer;
  /** Bias [nOut] or scalar; false for none; default zeros in the weight's unit. */
  bias?: Quantity | Tensor | number | false;
  name?: string;
}

/** y = x @ W (+ b); W [nIn, nOut] and b [nOut] are ParamStates (what training selects). */
export class Linear extends nn.Module {
  readonly weight: ParamState<Quantity>;
  readonly bias: ParamState<Quantity> | undefined;

  constructor(readonly nIn: number, readonly nOut: number, opts: LinearOptions = {}) {
    super(opts.name);
    checkSizes(this.name, nIn, nOut);
    const w = typeof opts.weight === 'function' ? opts.weight([nIn, nOut]) : asQuantity(opts.weight ?? KaimingNormal()([nIn, nOut]));
    if (w.shape.join() !== `${nIn},${nOut}`) throw new RangeError(`${this.name}: weight has shape [${w.shape.join(', ')}], expected [${nIn}, ${nOut}]`);
    this.weight = new ParamState(w, { name: 'weight' });
    if (opts.bias !== false) {
      const b = opts.bias === undefined ? new Quantity(Tensor.full([nOut], 0), w.unit) : asQuantity(opts.bias);
      if (!b.unit.sameDim(w.unit)) throw new Error(`${this.name}: bias is in ${b.unit.name}, the weight in ${w.unit.name}`);
      this.bias = new ParamState(b.size === 1 ? new Quantity(Tensor.full([nOut], b.to(w.unit).item()), w.unit) : b.to(w.unit), { name: 'bias' });
    }
  }

  override update(x: Quantity | Tensor): Quantity {
    const q = checkInput(this.name, x, this.nIn);
    const w = this.weight.value;
    const y = new Quantity(ops.matmul(q.mantissa, w.mantissa), q.unit.mul(w.unit));
    return this.bias ? y.add(this.bias.value) : y;
  }

  override call(x: Quantity | Tensor): Quantity {
    return super.call(x) as Quantity;
  }
}

export interface AllToAllOptions {
  /** A scalar weight (every pair) or a matrix [nPre, nPost]. */
  weight: Weight;
  /** Keep the diagonal (pre i -> post i) when nPre == nPost (default true). */
  includeSelf?: boolean;
  name?: string;
}

/** Every pre neuron to every post neuron: y = x @ W, the diagonal zeroed without self-connections. */
export class AllToAll extends nn.Module {
  readonly weight: Quantity;

  constructor(readonly nPre: number, readonly nPost: number, opts: AllToAllOptions) {
    super(opts.name);
    checkSizes(this.name, nPre, nPost);
    const w = asQuantity(opts.weight);
    const dense = new Float32Array(nPre * nPost);
    if (w.size === 1) dense.fill(w.item());
    else if (w.shape.join() === `${nPre},${nPost}`) dense.set(w.mantissa.data);
    else throw new RangeError(`${this.name}: weight has shape [${w.shape.join(', ')}], expected a scalar or [${nPre}, ${nPost}]`);
    if (opts.includeSelf === false) {
      if (nPre !== nPost) throw new RangeError(`${this.name}: includeSelf: false needs nPre == nPost, got ${nPre} and ${nPost}`);
      for (let i = 0; i < nPre; i++) dense[i * nPost + i] = 0;
    }
    this.weight = new Quantity(Tensor.fromArray(dense, [nPre, nPost]), w.unit);
  }

  override update(x: Quantity | Tensor): Quantity {
    const q = checkInput(this.name, x, this.nPre);
    return new Quantity(ops.matmul(q.mantissa, this.weight.mantissa), q.unit.mul(this.weight.unit));
  }
}

export interface FixedProbOptions {
  prob: number;
  weight: Quantity | number;
  seed?: number;
  allowMultiConn?: boolean;
  name?: string;
}

/**
 * Fixed out-degree connectivity for graded inputs: each pre neuron gets floor(nPost * prob)
 * targets drawn with the same seeded generator as EventFixedProb (repeats add up), held densely.
 */
export class FixedProb extends AllToAll {
  constructor(nPre: number, nPost: number, opts: FixedProbOptions) {
    if (!(opts.prob >= 0 && opts.prob <= 1)) throw new RangeError(`${opts.name ?? 'FixedProb'}: prob must be in [0, 1], got ${opts.prob}`);
    const k = Math.floor(nPost * opts.prob);
    const rng = new Random(opts.seed ?? 0);
    const w = asQuantity(opts.weight);
    if (w.size !== 1) throw new RangeError(`${opts.name ?? 'FixedProb'}: only a scalar weight is supported so far`);
    const dense = new Float32Array(nPre * nPost);
    for (let p = 0; p < nPre; p++) {
      const chosen = new Set<number>();
      for (let j = 0; j < k; j++) {
        let q = rng.randint(nPost);
        if (opts.allowMultiConn === false) while (chosen.has(q)) q = rng.randint(nPost);
        chosen.add(q);
        dense[p * nPost + q] = (dense[p * nPost + q] as number) + w.item();
      }
    }
    super(nPre, nPost, { weight: new Quantity(Tensor.fromArray(dense, [nPre, nPost]), w.unit), ...(opts.name ? { name: opts.name } : {}) });
  }
}
