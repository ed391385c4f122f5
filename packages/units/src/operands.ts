/**
 * Operand coercion shared by Quantity methods and `math`: bringing several operands into one unit.
 * A plain Tensor or number counts as dimensionless; a literal number 0 counts as any unit.
 */
import { ops, type Tensor, type TensorLike } from '@spiketrace/compiler';
import { mismatch } from './errors.ts';
import { Unit } from './unit.ts';

/** Minimal view of a Quantity (the class lives in quantity.ts, which builds on this module). */
export interface QuantityLike {
  readonly mantissa: Tensor;
  readonly unit: Unit;
}

export const QUANTITY: unique symbol = Symbol.for('spiketrace.units.Quantity');

export function isQuantityLike(x: unknown): x is QuantityLike {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[QUANTITY] === true;
}

export type Operand = QuantityLike | Tensor | number;

/** Scale a mantissa by a conversion factor (a JS constant); a no-op for exactly 1. Non-f32 mantissas become f32. */
export function scaleTensor(t: Tensor, m: number): Tensor {
  if (m === 1) return t;
  const x = t.dtype === 'f32' ? t : ops.cast(t, 'f32');
  // mV -> V divides by 1000 (exact in f32) rather than multiplying by fround(0.001), which is
  // inexact: 1500 mV then reads 1.5 V, not 1.5000001 V
  const r = 1 / m;
  return Number.isInteger(r) && Math.fround(r) === r ? ops.div(x, r) : ops.mul(x, m);
}

export function unitOf(x: Operand): Unit {
  return isQuantityLike(x) ? x.unit : Unit.dimensionless;
}

function rejectBareUnit(x: unknown, verb: string): void {
  if (x instanceof Unit) {
    throw new TypeError(`cannot ${verb} a bare Unit (${x.name}); make a Quantity first, e.g. u.${x.name}(value)`);
  }
}

/** The unit several operands are brought into: that of the first operand that is not a literal 0. */
export function targetUnit(xs: readonly Operand[]): Unit {
  for (const x of xs) {
    if (x === 0) continue;
    return unitOf(x);
  }
  return unitOf(xs[0] ?? 0);
}

const PLAIN_NUMBER_HINT = '; a plain number counts as dimensionless, only a literal 0 matches any unit';
const PLAIN_TENSOR_HINT = '; a plain Tensor counts as dimensionless (even a zero one); wrap it in a Quantity';

/** Express `x` in `target`, as a Tensor or (for plain numbers) a JS number. */
export function convertTo(x: Operand, target: Unit, verb: string, joiner = 'and'): TensorLike {
  rejectBareUnit(x, verb);
  if (isQuantityLike(x)) {
    if (!x.unit.sameDim(target)) throw mismatch(verb, target, x.unit, joiner);
    return scaleTensor(x.mantissa, x.unit.conversionTo(target));
  }
  if (typeof x === 'number') {
    if (target.isDimensionless) {
      const m = Unit.dimensionless.conversionTo(target);
      return m === 1 ? x : x * m;
    }
    if (x === 0) return 0;
    throw mismatch(verb, target, Unit.dimensionless, joiner, PLAIN_NUMBER_HINT);
  }
  if (!target.isDimensionless) throw mismatch(verb, target, Unit.dimensionless, joiner, PLAIN_TENSOR_HINT);
  return scaleTensor(x, Unit.dimensionless.conversionTo(target));
}

/** Bring all operands into one unit. `quantity` says whether any operand carried a unit. */
export function alignAll(verb: string, xs: readonly Operand[], joiner = 'and'): { values: TensorLike[]; unit: Unit; quantity: boolean } {
  xs.forEach((x) => rejectBareUnit(x, verb));
  const unit = targetUnit(xs);
  const values = xs.map((x) => convertTo(x, unit, verb, joiner));
  return { values, unit, quantity: xs.some(isQuantityLike) };
}
