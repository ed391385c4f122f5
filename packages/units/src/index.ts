/**
 * @spiketrace/units: brainunit-style physical units over compiler Tensors.
 *
 *   import * as u from '@spiketrace/units';
 *   const v = u.mV(-65);                 // Quantity
 *   v.toDecimal(u.mV);                   // u.mV is also a Unit
 *   u.math.exp(u.ms(-1).div(u.ms(10)));  // unitless functions need dimensionless inputs
 */
export { UnitMismatchError } from './errors.ts';
export { BASE_SYMBOLS, type Dim } from './dimension.ts';
export { Unit, registerUnit, standardName } from './unit.ts';
export { Quantity, isQuantity, type Axis } from './quantity.ts';
export type { Operand } from './operands.ts';
export { q, callable, defineUnit, tensorFrom, type UnitFn, type QuantityInput, type NestedNumbers } from './constructors.ts';
export { getUnit, getMantissa, maybeDecimal } from './math.ts';
export * as math from './math.ts';
export * from './units.ts';
