/** stop_gradient on a Quantity or Tensor: the same value, no gradient through it. */
import { ops, Tensor } from '@spiketrace/compiler';
import { Quantity, isQuantity } from '@spiketrace/units';

export function detach<T extends Quantity | Tensor>(v: T): T {
  return (isQuantity(v) ? new Quantity(ops.stopGradient(v.mantissa), v.unit) : ops.stopGradient(v as Tensor)) as T;
}
