/**
 * Dense connectivity: `AllToAll` (a scalar or matrix weight, optionally without self-connections)
 * and `FixedProb` (the fixed out-degree connectivity of EventFixedProb for graded, non-spike
 * inputs, held as a dense matrix), through the `matmul` primitive: one kernel per step. `Linear`
 * (brainstate.nn.Linear) lives in the state package and is re-exported here for brainpy.Linear.
 */
import { ops, Tensor } from '@spiketrace/compiler';
import { nn } from '@spiketrace/state';
import { isQuantity, Quantity, Unit } from '@spiketrace/units';
import { checkFiniteWeights, checkFixedProb, drawTargets } from './comm.ts';
import { initValue, seedOf, type Initializer } from './init.ts';

export { Linear, KaimingNormal, type LinearOptions } from '@spiketrace/state';

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
  /** A scalar, a Quantity broadcasting to [nPre, k] or an initializer of [nPre, k] (EventFixedProb's forms). */
  weight: Quantity | number | Initializer;
  seed?: number;
  allowMultiConn?: boolean;
  name?: string;
}

/**
 * Fixed out-degree connectivity for graded inputs: each pre neuron gets floor(nPost * prob)
 * targets drawn exactly as EventFixedProb draws them (same seed, same targets; repeats add up),
 * with the same weight forms (homogeneous or per synapse), held densely.
 */
export class FixedProb extends AllToAll {
  constructor(nPre: number, nPost: number, opts: FixedProbOptions) {
    const who = `${opts?.name ?? 'FixedProb'} (FixedProb)`;
    checkFixedProb(who, nPre, nPost, opts);
    const k = Math.floor(nPost * opts.prob);
    const w = initValue(opts.weight, [nPre, k], `${who}: weight`);
    checkFiniteWeights(who, w);
    const targets = drawTargets(nPre, nPost, k, seedOf(who, opts.seed), opts.allowMultiConn ?? true);
    const dense = new Float32Array(nPre * nPost);
    for (let s = 0; s < targets.length; s++) {
      const at = Math.floor(s / k) * nPost + (targets[s] as number);
      dense[at] = (dense[at] as number) + (w.mantissa.data[s] as number);
    }
    super(nPre, nPost, { weight: new Quantity(Tensor.fromArray(dense, [nPre, nPost]), w.unit), ...(opts.name ? { name: opts.name } : {}) });
  }
}
