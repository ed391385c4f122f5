/** Whole-tree operations: initialize or reset every module's states (brainstate.nn.init_all_states). */
import { Module, type InitOptions } from './module.ts';

function callAll(target: Module, method: 'initState' | 'resetState', opts: InitOptions): void {
  if (!(target instanceof Module)) throw new TypeError(`${method === 'initState' ? 'initAllStates' : 'resetAllStates'} needs a Module`);
  if (opts.batchSize !== undefined && !(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) {
    throw new RangeError(`batchSize must be a positive integer, got ${opts.batchSize}`);
  }
  const mods = target.nodes();
  // modules that declare a callOrder (projections) run after the others, ascending
  const order = (m: Module) => (m as { callOrder?: number }).callOrder ?? 0;
  const sorted = mods.map((m, i) => [m, i] as const).sort((a, b) => order(a[0]) - order(b[0]) || a[1] - b[1]);
  for (const [m] of sorted) m[method](opts);
  target.states(); // assign paths to every state for messages
}

/** Allocate every dynamical state in the tree, unbatched or with a leading batch axis. Returns the target. */
export function initAllStates<M extends Module>(target: M, opts: InitOptions = {}): M {
  callAll(target, 'initState', opts);
  return target;
}

/** Reset every dynamical state in the tree to its initial value. Returns the target. */
export function resetAllStates<M extends Module>(target: M, opts: InitOptions = {}): M {
  callAll(target, 'resetState', opts);
  return target;
}
