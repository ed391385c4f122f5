/** Building Quantities: q(value, unit) and callable units (u.mV(-65) is a Quantity, u.mV is a Unit). */
import { Tensor } from '@spiketrace/compiler';
import { Quantity } from './quantity.ts';
import { registerUnit, Unit } from './unit.ts';

export type NestedNumbers = readonly (number | NestedNumbers)[];
export type QuantityInput = number | NestedNumbers | Tensor;

/** A Unit that can also be called to make a Quantity in it. `instanceof Unit` holds. */
export type UnitFn = Unit & ((value: QuantityInput | Quantity) => Quantity);

function shapeOf(v: NestedNumbers): number[] {
  const shape: number[] = [];
  let cur: number | NestedNumbers = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as number | NestedNumbers;
  }
  return shape;
}

/** A concrete f32 Tensor from a number or (nested, rectangular) array; Tensors pass through. */
export function tensorFrom(value: QuantityInput): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value === 'number') return Tensor.scalar(value);
  if (!Array.isArray(value)) throw new TypeError(`expected a number, an array of numbers or a Tensor, got ${typeof value}`);
  const shape = shapeOf(value);
  const flat = (value as unknown[]).flat(Infinity) as unknown[];
  if (flat.some((x) => typeof x !== 'number')) throw new TypeError('array values must be numbers');
  const size = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== size) throw new RangeError(`ragged array: ${flat.length} numbers do not fill shape [${shape.join(', ')}]`);
  return Tensor.fromArray(flat as number[], shape);
}

/** The generic constructor: q(-65, u.mV), q([1, 2], u.ms), q(tensor, u.nS). A Quantity is converted. */
export function q(value: QuantityInput | Quantity, unit: Unit = Unit.dimensionless): Quantity {
  if (value instanceof Quantity) return value.unit.equals(unit) ? value : value.to(unit);
  return new Quantity(tensorFrom(value), unit);
}

/** Turn a Unit into a callable Unit (same fields, prototype Unit.prototype). */
export function callable(unit: Unit): UnitFn {
  const fn = (value: QuantityInput | Quantity): Quantity => q(value, fn as unknown as Unit);
  Object.setPrototypeOf(fn, Unit.prototype);
  Object.defineProperties(fn, {
    dim: { value: unit.dim, enumerable: true },
    exponent: { value: unit.exponent, enumerable: true },
    factor: { value: unit.factor, enumerable: true },
    name: { value: unit.name, enumerable: true },
  });
  return fn as unknown as UnitFn;
}

/** Define a named standard unit: callable, and registered so products resolve to its name. */
export function defineUnit(name: string, dim: readonly number[], exponent = 0, factor = 1): UnitFn {
  const u = callable(new Unit(dim, exponent, factor, name));
  registerUnit(u);
  return u;
}

/** A scaled version of a unit, e.g. scaled(volt, -3, 'mV'). */
export function scaled(base: Unit, exponent: number, name: string): UnitFn {
  return defineUnit(name, base.dim, base.exponent + exponent, base.factor);
}
