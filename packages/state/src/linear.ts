/**
 * brainstate.nn.Linear: y = x @ W (+ b), W [nIn, nOut] and b [nOut] trainable ParamStates (what
 * training selects), through the `matmul` primitive. KaimingNormal is its default initializer
 * (braintools.init re-exports it).
 */
import { ops, Tensor } from '@spiketrace/compiler';
import { isQuantity, Quantity, Unit } from '@spiketrace/units';
import { Module } from './module.ts';
import { Random } from './random.ts';
import { ParamState } from './state.ts';

/** `(shape) => value`: what initializer options take (braintools.init). */
export type Initializer = (shape: readonly number[]) => Quantity;

function asQuantity(w: Quantity | Tensor | number): Quantity {
  if (isQuantity(w)) return w;
  return new Quantity(typeof w === 'number' ? Tensor.scalar(w) : w, Unit.dimensionless);
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
export class Linear extends Module {
  readonly weight: ParamState<Quantity>;
  readonly bias: ParamState<Quantity> | undefined;

  constructor(readonly nIn: number, readonly nOut: number, opts: LinearOptions = {}) {
    super(opts.name);
    for (const [what, n] of [['nIn', nIn], ['nOut', nOut]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`${this.name}: ${what} must be a positive integer, got ${n}`);
    }
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
    const q = isQuantity(x) ? x : new Quantity(x, Unit.dimensionless);
    if (q.shape[q.shape.length - 1] !== this.nIn) {
      throw new RangeError(`${this.name}: the input's last axis has ${q.shape[q.shape.length - 1]} elements, the layer takes ${this.nIn}`);
    }
    const w = this.weight.value;
    const y = new Quantity(ops.matmul(q.mantissa, w.mantissa), q.unit.mul(w.unit));
    return this.bias ? y.add(this.bias.value) : y;
  }

  override call(x: Quantity | Tensor): Quantity {
    return super.call(x) as Quantity;
  }
}

