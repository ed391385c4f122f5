/**
 * Exponential Euler, as brainstate.nn.exp_euler_step: x' = x + dt * exprel(dt * J) * f(x), where J
 * is the drift's derivative along x. Python gets J by autodiff; models here pass it in closed form
 * (for LIF with current inputs J = -1/tau), which gives the same update.
 */
import { environ } from '@spiketrace/state';
import { math, type Quantity } from '@spiketrace/units';

export function expEulerStep(x: Quantity, drift: Quantity, jacobian: Quantity): Quantity {
  const dt = environ.getDt();
  const z = dt.mul(jacobian);
  const phi = math.exprel(z);
  return x.add(dt.mul(drift).mul(phi));
}
