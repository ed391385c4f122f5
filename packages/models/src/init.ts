/** Initializers (braintools.init): a value for a state or parameter of a given shape. */
import { Tensor } from '@spiketrace/compiler';
import { Quantity, isQuantity, math, Unit, UnitMismatchError } from '@spiketrace/units';
import { Random } from './random.ts';

export interface Initializer {
  (shape: readonly number[]): Quantity;
}

/** Every element equal to `value`. */
export function Constant(value: Quantity | number): Initializer {
  return (shape) => math.full(shape, value);
}

/**
 * Normally distributed values (braintools.init.Normal): `mean + std * N(0, 1)`, drawn on the host
 * from a seeded generator, so the same seed gives the same values on every call and platform.
 * `mean` and `std` must have the same dimension; the result is in mean's unit.
 */
export function Normal(mean: Quantity | number, std: Quantity | number, opts: { seed?: number } = {}): Initializer {
  const m = isQuantity(mean) ? mean : new Quantity(Tensor.scalar(mean));
  const s = isQuantity(std) ? std : new Quantity(Tensor.scalar(std));
  if (m.size !== 1 || s.size !== 1) throw new RangeError('Normal: mean and std must be scalars');
  const unit: Unit = m.unit;
  const sd = s.to(unit).mantissa.data[0] as number; // throws a unit mismatch naming both units
  const mu = m.mantissa.data[0] as number;
  if (!(sd >= 0)) throw new RangeError(`Normal: std must be >= 0, got ${String(std)}`);
  const seed = seedOf('Normal', opts.seed);
  return (shape) => {
    const n = shape.reduce((a, d) => a * d, 1);
    const rng = new Random(seed);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = mu + sd * rng.normal();
    return new Quantity(Tensor.fromArray(data, shape), unit);
  };
}

/** A seed option: an integer in [0, 2^32) (default 0); 1.5 or '7' would be truncated or coerced unseen. */
export function seedOf(who: string, seed: unknown): number {
  if (seed === undefined) return 0;
  if (!(typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
    throw new RangeError(`${who}: seed must be an integer in [0, 2^32), got ${JSON.stringify(seed)}`);
  }
  return seed;
}

/** Something a model option accepts as an initial value: a Quantity (scalar broadcasts) or an initializer. */
export type InitLike = Quantity | number | Initializer;

export function initValue(init: InitLike, shape: readonly number[], what: string): Quantity {
  if (typeof init === 'function') {
    const v: unknown = init(shape);
    if (!isQuantity(v)) throw new TypeError(`${what}: the initializer must return a Quantity of shape [${shape.join(', ')}], got ${typeof v}`);
    if (v.shape.join() !== shape.join()) throw new RangeError(`${what}: initializer gave shape [${v.shape.join(', ')}], expected [${shape.join(', ')}]`);
    return v;
  }
  // a JS array or typed array would become one NaN scalar: say what to pass instead
  if (!isQuantity(init) && typeof init !== 'number') {
    throw new TypeError(`${what}: expected a Quantity, a number or an initializer function, got ${Array.isArray(init) || ArrayBuffer.isView(init) ? 'an array (wrap it in its unit: u.mV([...]), or u.dimensionless([...]) for a gate)' : typeof init}`);
  }
  const qv = isQuantity(init) ? init : new Quantity(Tensor.scalar(init));
  if (qv.size === 1) return math.full(shape, qv.reshape([]));
  // an array broadcasts over the leading batch axis (braintools.init.param)
  return new Quantity(Tensor.fromHost(broadcastHost(qv.mantissa, shape, what)), qv.unit);
}

function broadcastHost(t: Tensor, shape: readonly number[], what: string) {
  const n = shape.reduce((a, d) => a * d, 1);
  const src = t.data;
  if (n % src.length !== 0 || shape.slice(shape.length - t.shape.length).join() !== t.shape.join()) {
    throw new RangeError(`${what}: a value of shape [${t.shape.join(', ')}] does not broadcast to [${shape.join(', ')}]`);
  }
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = src[i % src.length] as number;
  return { dtype: 'f32' as const, shape, data };
}

/** The initial value of a dimensionless state `name` of `owner` (a gate, an adaptation variable), refusing a unit. */
export function dimensionlessInit(owner: string, name: string, init: InitLike, shape: readonly number[]): Quantity {
  const v = initValue(init, shape, `${owner}.${name}`);
  if (!v.unit.isDimensionless) {
    throw new UnitMismatchError(`${owner}: ${name}_initializer must be dimensionless, got a quantity in ${v.unit.name}`, [v.unit.name, '1']);
  }
  return v.to(Unit.dimensionless);
}
