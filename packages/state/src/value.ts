/** What a State holds and what transforms take: a Quantity (usually) or a plain Tensor. */
import { Tensor } from '@spiketrace/compiler';
import { Quantity, Unit, isQuantity } from '@spiketrace/units';

export type ArrayValue = Quantity | Tensor;

export function mantissaOf(v: ArrayValue): Tensor {
  return isQuantity(v) ? v.mantissa : v;
}

export function unitOfValue(v: ArrayValue): Unit | undefined {
  return isQuantity(v) ? v.unit : undefined;
}

/** The same kind of value as `like` (Quantity in like's unit, or Tensor) around a new mantissa. */
export function rewrap(like: ArrayValue, m: Tensor): ArrayValue {
  return isQuantity(like) ? new Quantity(m, like.unit) : m;
}

export function withUnit(m: Tensor, unit: Unit | undefined): ArrayValue {
  return unit ? new Quantity(m, unit) : m;
}

export function isArrayValue(x: unknown): x is ArrayValue {
  return x instanceof Tensor || isQuantity(x);
}

export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (isQuantity(x)) return `a Quantity of shape [${x.shape.join(', ')}] in ${x.unit.name}`;
  if (x instanceof Tensor) return `a ${x.dtype} Tensor of shape [${x.shape.join(', ')}]`;
  if (typeof x === 'number') return `the number ${x}`;
  if (Array.isArray(x)) return `a plain array of ${x.length} item(s) (wrap numbers with a unit, e.g. u.mV([...]))`;
  const kind = typeof x === 'object' ? (x.constructor?.name ?? 'object') : typeof x;
  return `${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind}`;
}
