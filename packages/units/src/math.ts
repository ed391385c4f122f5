/**
 * `u.math`: unit-aware functions. Plain Tensors and numbers count as dimensionless; a function
 * given only plain values returns a plain Tensor, otherwise a Quantity (or a Tensor for functions
 * that remove units: comparisons, sign, exp and friends).
 */
import { ops, Tensor, type DType, type TensorLike } from '@spiketrace/compiler';
import { mismatch, needsDimensionless } from './errors.ts';
import { shortestF32 } from './format.ts';
import { alignAll, convertTo, isQuantityLike, scaleTensor, unitOf, type Operand } from './operands.ts';
import { normalized, powTensor, Quantity, toQuantity, type Axis } from './quantity.ts';
import { Unit } from './unit.ts';

export type { Operand };
type Out<T> = T extends Quantity ? Quantity : Tensor;

const asTensor = (x: TensorLike): Tensor => (typeof x === 'number' ? Tensor.scalar(x) : x);

function wrap(m: Tensor, unit: Unit, quantity: boolean): Quantity | Tensor {
  return quantity ? normalized(m, unit) : m;
}

// ---- accessors

export function getUnit(x: unknown): Unit {
  return isQuantityLike(x) ? x.unit : Unit.dimensionless;
}

export function getMantissa(x: Operand): Tensor | number {
  return isQuantityLike(x) ? x.mantissa : x;
}

/** A plain Tensor when `x` is dimensionless, otherwise `x` unchanged. */
export function maybeDecimal(x: Quantity): Quantity | Tensor;
export function maybeDecimal<T extends Tensor | number>(x: T): T;
export function maybeDecimal(x: Operand): Operand {
  return x instanceof Quantity && x.isDimensionless ? x.toDecimal() : x;
}

// ---- same-unit binary ops

function binarySame(verb: string, f: (a: TensorLike, b: TensorLike) => Tensor, a: Operand, b: Operand): Quantity | Tensor {
  const { values, unit, quantity } = alignAll(verb, [a, b]);
  const [x, y] = values as [TensorLike, TensorLike];
  return wrap(asTensor(f(x, y)), unit, quantity);
}

export function add(a: Quantity, b: Operand): Quantity;
export function add(a: Operand, b: Quantity): Quantity;
export function add(a: Tensor | number, b: Tensor | number): Tensor;
export function add(a: Operand, b: Operand): Quantity | Tensor {
  return binarySame('add', ops.add, a, b);
}

export function subtract(a: Quantity, b: Operand): Quantity;
export function subtract(a: Operand, b: Quantity): Quantity;
export function subtract(a: Tensor | number, b: Tensor | number): Tensor;
export function subtract(a: Operand, b: Operand): Quantity | Tensor {
  return binarySame('subtract', ops.sub, a, b);
}

export function maximum(a: Quantity, b: Operand): Quantity;
export function maximum(a: Operand, b: Quantity): Quantity;
export function maximum(a: Tensor | number, b: Tensor | number): Tensor;
export function maximum(a: Operand, b: Operand): Quantity | Tensor {
  return binarySame('take the maximum of', ops.maximum, a, b);
}

export function minimum(a: Quantity, b: Operand): Quantity;
export function minimum(a: Operand, b: Quantity): Quantity;
export function minimum(a: Tensor | number, b: Tensor | number): Tensor;
export function minimum(a: Operand, b: Operand): Quantity | Tensor {
  return binarySame('take the minimum of', ops.minimum, a, b);
}

/** Elementwise clip of `x` into [lo, hi]; the bounds are converted into x's unit. */
export function clip(x: Quantity, lo: Operand, hi: Operand): Quantity;
export function clip(x: Tensor | number, lo: Operand, hi: Operand): Tensor;
export function clip(x: Operand, lo: Operand, hi: Operand): Quantity | Tensor {
  const unit = unitOf(x);
  const m = isQuantityLike(x) ? x.mantissa : asTensor(x);
  const l = convertTo(lo, unit, 'clip', 'to bounds in');
  const h = convertTo(hi, unit, 'clip', 'to bounds in');
  return wrap(ops.minimum(ops.maximum(m, l), h), unit, isQuantityLike(x));
}

/** Elementwise select; `a` and `b` must share a dimension (b is converted into a's unit). */
export function where(cond: Tensor | Quantity | boolean, a: Quantity, b: Operand): Quantity;
export function where(cond: Tensor | Quantity | boolean, a: Operand, b: Quantity): Quantity;
export function where(cond: Tensor | Quantity | boolean, a: Tensor | number, b: Tensor | number): Tensor;
export function where(cond: Tensor | Quantity | boolean, a: Operand, b: Operand): Quantity | Tensor;
export function where(cond: Tensor | Quantity | boolean, a: Operand, b: Operand): Quantity | Tensor {
  let c: Tensor;
  if (cond instanceof Quantity) {
    if (!cond.isDimensionless) throw needsDimensionless('where (condition)', cond.unit);
    c = cond.mantissa;
  } else if (typeof cond === 'boolean') c = Tensor.scalar(cond ? 1 : 0, 'bool');
  else c = cond;
  const { values, unit, quantity } = alignAll('select (where) between', [a, b]);
  const [x, y] = values as [TensorLike, TensorLike];
  return wrap(ops.where(c, x, y), unit, quantity);
}

// ---- unit-combining ops

export function multiply(a: Quantity, b: Operand | Unit): Quantity;
export function multiply(a: Operand, b: Quantity): Quantity;
export function multiply(a: Tensor | number, b: Tensor | number): Tensor;
export function multiply(a: Operand, b: Operand | Unit): Quantity | Tensor {
  if (isQuantityLike(a)) return toQuantity(a).mul(b as Quantity);
  if (isQuantityLike(b)) return toQuantity(b).mul(a);
  if (b instanceof Unit) return toQuantity(a).mul(b);
  return asTensor(ops.mul(a, b as TensorLike));
}

export function divide(a: Quantity, b: Operand | Unit): Quantity;
export function divide(a: Operand, b: Quantity): Quantity;
export function divide(a: Tensor | number, b: Tensor | number): Tensor;
export function divide(a: Operand, b: Operand | Unit): Quantity | Tensor {
  if (isQuantityLike(a)) return toQuantity(a).div(b as Quantity);
  if (isQuantityLike(b)) return toQuantity(b).rdiv(a);
  if (b instanceof Unit) return toQuantity(a).div(b);
  return asTensor(ops.div(a, b as TensorLike));
}

export function power<T extends Operand>(x: T, n: number): Out<T>;
export function power(x: Operand, n: number): Quantity | Tensor {
  if (isQuantityLike(x)) return toQuantity(x).pow(n);
  return powTensor(asTensor(x), n);
}

export function square<T extends Operand>(x: T): Out<T>;
export function square(x: Operand): Quantity | Tensor {
  return power(x, 2);
}

/** Square root; halves the dimension of a Quantity. */
export function sqrt<T extends Operand>(x: T): Out<T>;
export function sqrt(x: Operand): Quantity | Tensor {
  return power(x, 0.5);
}

// ---- unit-keeping unary ops

export function abs<T extends Operand>(x: T): Out<T>;
export function abs(x: Operand): Quantity | Tensor {
  return isQuantityLike(x) ? toQuantity(x).abs() : ops.unary('abs', x);
}

export function negative<T extends Operand>(x: T): Out<T>;
export function negative(x: Operand): Quantity | Tensor {
  return isQuantityLike(x) ? toQuantity(x).neg() : ops.neg(x);
}

/** -1, 0 or 1 per element: unitless. */
export function sign(x: Operand): Tensor {
  return ops.unary('sign', isQuantityLike(x) ? x.mantissa : x);
}

export function reshape<T extends Quantity | Tensor>(x: T, shape: readonly number[]): Out<T>;
export function reshape(x: Quantity | Tensor, shape: readonly number[]): Quantity | Tensor {
  return x instanceof Quantity ? x.reshape(shape) : ops.reshape(x, shape);
}

type Reducer = 'sum' | 'mean' | 'max' | 'min';
function reduceWith(r: Reducer, x: Operand, axis?: Axis, keepdims = false): Quantity | Tensor {
  const qx = toQuantity(x);
  const out = qx[r](axis, keepdims);
  return isQuantityLike(x) ? out : out.mantissa;
}

export function sum<T extends Operand>(x: T, axis?: Axis, keepdims?: boolean): Out<T>;
export function sum(x: Operand, axis?: Axis, keepdims = false): Quantity | Tensor {
  return reduceWith('sum', x, axis, keepdims);
}
export function mean<T extends Operand>(x: T, axis?: Axis, keepdims?: boolean): Out<T>;
export function mean(x: Operand, axis?: Axis, keepdims = false): Quantity | Tensor {
  return reduceWith('mean', x, axis, keepdims);
}
export function max<T extends Operand>(x: T, axis?: Axis, keepdims?: boolean): Out<T>;
export function max(x: Operand, axis?: Axis, keepdims = false): Quantity | Tensor {
  return reduceWith('max', x, axis, keepdims);
}
export function min<T extends Operand>(x: T, axis?: Axis, keepdims?: boolean): Out<T>;
export function min(x: Operand, axis?: Axis, keepdims = false): Quantity | Tensor {
  return reduceWith('min', x, axis, keepdims);
}

// ---- unitless-only functions (return plain Tensors)

/** The mantissa of a dimensionless operand expressed in '1'; throws for a dimensional one. */
function decimal(fn: string, x: Operand): Tensor {
  if (isQuantityLike(x)) {
    if (!x.unit.isDimensionless) throw needsDimensionless(fn, x.unit);
    return scaleTensor(x.mantissa, x.unit.conversionTo(Unit.dimensionless));
  }
  return asTensor(x);
}

const unitless = (fn: 'exp' | 'log' | 'log1p' | 'expm1' | 'exprel' | 'sin' | 'cos' | 'tanh' | 'sigmoid') =>
  (x: Operand): Tensor => ops.unary(fn, decimal(fn, x));

export const exp = unitless('exp');
export const log = unitless('log');
export const log1p = unitless('log1p');
export const expm1 = unitless('expm1');
/** (exp(x) - 1) / x, 1 at x = 0. */
export const exprel = unitless('exprel');
export const sin = unitless('sin');
export const cos = unitless('cos');
export const tanh = unitless('tanh');
export const sigmoid = unitless('sigmoid');

// ---- creation

export function zeros(shape: readonly number[], unit: Unit = Unit.dimensionless, dtype: DType = 'f32'): Quantity {
  return new Quantity(Tensor.full(shape, 0, dtype), unit);
}

export function ones(shape: readonly number[], unit: Unit = Unit.dimensionless, dtype: DType = 'f32'): Quantity {
  return new Quantity(Tensor.full(shape, 1, dtype), unit);
}

/** An array of `shape` filled with `value` (a scalar Quantity or number; traced values broadcast). */
export function full(shape: readonly number[], value: Operand): Quantity {
  if (typeof value === 'number') return new Quantity(Tensor.full(shape, value), Unit.dimensionless);
  const qv = toQuantity(value);
  // a concrete scalar fills directly (no broadcast pass over a fresh array)
  if (!qv.isTraced && qv.size === 1) return new Quantity(Tensor.full(shape, qv.mantissa.data[0] as number, qv.dtype), qv.unit);
  return new Quantity(ops.broadcastTo(qv.mantissa, shape), qv.unit);
}

export function zerosLike(x: Quantity | Tensor, unit?: Unit): Quantity {
  return zeros(x.shape, unit ?? getUnit(x), x.dtype === 'bool' ? 'f32' : x.dtype);
}

export function onesLike(x: Quantity | Tensor, unit?: Unit): Quantity {
  return ones(x.shape, unit ?? getUnit(x), x.dtype === 'bool' ? 'f32' : x.dtype);
}

export function fullLike(x: Quantity | Tensor, value: Operand): Quantity {
  return full(x.shape, value);
}

/** A concrete scalar as a double (a float32 is read back as its shortest decimal: 0.1f -> 0.1). */
function concreteScalar(x: Operand, what: string): number {
  if (typeof x === 'number') return x;
  const t = isQuantityLike(x) ? x.mantissa : x;
  if (t.isTraced) throw new TypeError(`arange needs concrete values, but its ${what} is traced`);
  if (t.size !== 1) throw new RangeError(`arange needs a scalar ${what}, got shape [${t.shape.join(', ')}]`);
  const v = t.item();
  return t.dtype === 'f32' ? shortestF32(v) : v;
}

/**
 * Evenly spaced values in [start, stop): ceil((stop - start) / step) of them, computed in double
 * and stored as f32 in start's unit. arange(u.ms(0), u.ms(200), u.ms(0.1)) has 2000 elements.
 */
export function arange(start: Operand, stop?: Operand, step: Operand = 1): Quantity {
  if (stop === undefined) return arange(0, start, step);
  const args: Operand[] = [start, stop, step];
  const unit = args.some(isQuantityLike) ? unitOf(args.find((a) => a !== 0)!) : Unit.dimensionless;
  const names = ['start', 'stop', 'step'];
  const [a, b, d] = args.map((x, i) => {
    const xu = unitOf(x);
    if (x === 0) return 0;
    if (!xu.sameDim(unit)) throw mismatch('arange with', unit, xu, 'and', ` (${names[i]})`);
    return concreteScalar(x, names[i] as string) * xu.conversionTo(unit);
  }) as [number, number, number];
  if (d === 0 || !Number.isFinite(d)) throw new RangeError(`arange step must be finite and nonzero, got ${d}`);
  const n = Math.max(0, Math.ceil((b - a) / d));
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = a + i * d;
  return new Quantity(Tensor.fromArray(data, [n]), unit);
}
