/**
 * Quantity: a Tensor mantissa and a Unit. Every operation goes through `ops.*` on the mantissa;
 * unit conversions are multiplications by JS numbers, so inside a trace they fold into constants.
 * Nothing here reads tensor data except toString() and item().
 */
import { ops, shapeStr, Tensor, type DType, type TensorLike } from '@spiketrace/compiler';
import { mismatch } from './errors.ts';
import { formatHost } from './format.ts';
import { convertTo, isQuantityLike, QUANTITY, scaleTensor, type Operand } from './operands.ts';
import { Unit } from './unit.ts';

export type Axis = number | readonly number[];
type CompareOp = 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne';

export class Quantity {
  readonly mantissa: Tensor;
  readonly unit: Unit;

  constructor(mantissa: Tensor, unit: Unit = Unit.dimensionless) {
    if (!(mantissa instanceof Tensor)) throw new TypeError('a Quantity mantissa must be a Tensor; use q(value, unit) to build one from numbers');
    if (!(unit instanceof Unit)) throw new TypeError('a Quantity unit must be a Unit');
    this.mantissa = mantissa;
    this.unit = unit;
  }

  get [QUANTITY](): true {
    return true;
  }

  get shape(): readonly number[] {
    return this.mantissa.shape;
  }
  get dtype(): DType {
    return this.mantissa.dtype;
  }
  get ndim(): number {
    return this.mantissa.ndim;
  }
  get size(): number {
    return this.mantissa.size;
  }
  get isTraced(): boolean {
    return this.mantissa.isTraced;
  }
  get dim(): readonly number[] {
    return this.unit.dim;
  }
  get isDimensionless(): boolean {
    return this.unit.isDimensionless;
  }

  // ---- same-dimension arithmetic: the other operand is converted into this unit

  add(o: Operand): Quantity {
    const [a, b] = this.#align('add', o);
    return new Quantity(b === 0 ? a : ops.add(a, b), this.unit);
  }

  sub(o: Operand): Quantity {
    const [a, b] = this.#align('subtract', o, 'and');
    return new Quantity(b === 0 ? a : ops.sub(a, b), this.unit);
  }

  #align(verb: string, o: Operand, joiner = 'and'): [Tensor, TensorLike] {
    const b = convertTo(o, this.unit, verb, joiner);
    return [this.mantissa, b];
  }

  // ---- unit-combining arithmetic

  mul(o: Quantity | Tensor | number | Unit): Quantity {
    if (o instanceof Unit) return normalized(this.mantissa, this.unit.mul(o));
    if (isQuantityLike(o)) return normalized(ops.mul(this.mantissa, o.mantissa), this.unit.mul(o.unit));
    return new Quantity(ops.mul(this.mantissa, o), this.unit);
  }

  div(o: Quantity | Tensor | number | Unit): Quantity {
    if (o instanceof Unit) return normalized(this.mantissa, this.unit.div(o));
    if (isQuantityLike(o)) return normalized(ops.div(this.mantissa, o.mantissa), this.unit.div(o.unit));
    return new Quantity(ops.div(this.mantissa, o), this.unit);
  }

  /** `o / this` for a plain operand (a number or Tensor divided by this Quantity). */
  rdiv(o: Tensor | number): Quantity {
    return normalized(ops.div(o, this.mantissa), Unit.dimensionless.div(this.unit));
  }

  neg(): Quantity {
    return new Quantity(ops.neg(this.mantissa), this.unit);
  }

  abs(): Quantity {
    return new Quantity(ops.unary('abs', this.mantissa), this.unit);
  }

  pow(n: number): Quantity {
    if (!Number.isFinite(n)) throw new RangeError(`Quantity.pow needs a finite exponent, got ${n}`);
    // keep the power of ten integral: a fractional power of mV is taken in V
    const self = Number.isInteger(this.unit.exponent * n) ? this : this.to(this.unit.base());
    return normalized(powTensor(self.mantissa, n), self.unit.pow(n));
  }

  sqrt(): Quantity {
    return this.pow(0.5);
  }

  square(): Quantity {
    return this.pow(2);
  }

  // ---- comparisons: bool Tensors

  gt(o: Operand): Tensor { return this.#compare('gt', o); }
  ge(o: Operand): Tensor { return this.#compare('ge', o); }
  lt(o: Operand): Tensor { return this.#compare('lt', o); }
  le(o: Operand): Tensor { return this.#compare('le', o); }
  eq(o: Operand): Tensor { return this.#compare('eq', o); }
  ne(o: Operand): Tensor { return this.#compare('ne', o); }

  #compare(op: CompareOp, o: Operand): Tensor {
    const b = convertTo(o, this.unit, 'compare', 'with');
    return ops.compare(op, this.mantissa, b);
  }

  // ---- conversion

  to(unit: Unit): Quantity {
    if (!this.unit.sameDim(unit)) throw mismatch('convert', this.unit, unit, 'to');
    return new Quantity(scaleTensor(this.mantissa, this.unit.conversionTo(unit)), unit);
  }

  /** The mantissa expressed in `unit` (default: dimensionless), always as an f32 Tensor. */
  toDecimal(unit: Unit = Unit.dimensionless): Tensor {
    if (!this.unit.sameDim(unit)) throw mismatch('convert', this.unit, unit, 'to', ' (toDecimal)');
    const m = scaleTensor(this.mantissa, this.unit.conversionTo(unit));
    return m.dtype === 'f32' ? m : ops.cast(m, 'f32');
  }

  // ---- shape and reductions (keep the unit)

  reshape(shape: readonly number[]): Quantity {
    return new Quantity(ops.reshape(this.mantissa, shape), this.unit);
  }
  /** x[start:end] on every axis (one start and end per axis). */
  slice(start: readonly number[], end: readonly number[]): Quantity {
    return new Quantity(ops.slice(this.mantissa, start, end), this.unit);
  }
  /** x[..., start:end] along one axis (default the last). */
  sliceAxis(start: number, end: number, axis = -1): Quantity {
    return new Quantity(ops.sliceAxis(this.mantissa, start, end, axis), this.unit);
  }
  sum(axis?: Axis, keepdims = false): Quantity {
    return new Quantity(ops.reduce('sum', this.mantissa, axis, keepdims), this.unit);
  }
  mean(axis?: Axis, keepdims = false): Quantity {
    return new Quantity(ops.mean(this.mantissa, axis, keepdims), this.unit);
  }
  max(axis?: Axis, keepdims = false): Quantity {
    return new Quantity(ops.reduce('rmax', this.mantissa, axis, keepdims), this.unit);
  }
  min(axis?: Axis, keepdims = false): Quantity {
    return new Quantity(ops.reduce('rmin', this.mantissa, axis, keepdims), this.unit);
  }

  /** The single element, in this unit (concrete values only). */
  item(): number {
    return this.mantissa.item();
  }

  toString(): string {
    if (this.isTraced) return `Quantity<${this.dtype}${shapeStr(this.shape)}> ${this.unit.name}`;
    const body = formatHost(this.mantissa.toHost());
    return this.unit.equals(Unit.dimensionless) ? body : `${body} ${this.unit.name}`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.isTraced ? this.toString() : `Quantity(${this.toString()})`;
  }
}

export function isQuantity(x: unknown): x is Quantity {
  return x instanceof Quantity;
}

/** A Quantity whose dimensionless-but-scaled unit (ms/s) is folded into the mantissa, giving '1'. */
export function normalized(m: Tensor, unit: Unit): Quantity {
  if (unit.isDimensionless && !unit.equals(Unit.dimensionless)) {
    return new Quantity(scaleTensor(m, unit.conversionTo(Unit.dimensionless)), Unit.dimensionless);
  }
  return new Quantity(m, unit);
}

/** x**n by multiplications for small integer n (WGSL pow is undefined for negative bases). */
export function powTensor(x: Tensor, n: number): Tensor {
  if (n === 0) return Tensor.full(x.shape, 1, 'f32');
  if (n === 0.5) return ops.unary('sqrt', x);
  if (n === -0.5) return ops.unary('rsqrt', x);
  if (!Number.isInteger(n) || Math.abs(n) > 16) return ops.binary('pow', x, n);
  let acc: Tensor | undefined;
  let base = x;
  for (let k = Math.abs(n); k > 0; k >>= 1) {
    if (k & 1) acc = acc ? ops.mul(acc, base) : base;
    if (k > 1) base = ops.mul(base, base);
  }
  return n < 0 ? ops.div(1, ops.cast(acc as Tensor, 'f32')) : (acc as Tensor);
}

/** Lift an operand to a Quantity (plain values are dimensionless). */
export function toQuantity(x: Operand): Quantity {
  if (x instanceof Quantity) return x;
  if (isQuantityLike(x)) return new Quantity(x.mantissa, x.unit);
  return new Quantity(typeof x === 'number' ? Tensor.scalar(x) : x, Unit.dimensionless);
}
