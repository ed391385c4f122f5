/**
 * brainpy.state's Dynamics: brainstate's Dynamics plus the input buses projections rest on.
 * A current input is a callable (called with the neuron's V, stays registered) or a value
 * (added once, then removed); `sumCurrentInputs(init, ...args)` returns init plus all of them.
 */
import { nn } from '@spiketrace/state';
import { Quantity, type Operand } from '@spiketrace/units';

/**
 * A current input that depends on the neuron's V. `slope(V)` is dI/dV: exponential Euler needs
 * the drift's derivative along V (brainpy.state gets it by autodiff; here the input states it,
 * e.g. COBA's g * (E - V) has slope -g).
 */
export type InputFn = ((...args: Quantity[]) => Quantity) & { slope?: (...args: Quantity[]) => Quantity | undefined };
export type Input = InputFn | Quantity;

function addInto(map: Map<string, Input>, owner: string, what: string, key: string, inp: Input, label?: string): void {
  const k = label ? `${label} // ${key}` : key;
  const prev = map.get(k);
  if (prev !== undefined && prev !== inp) throw new Error(`${owner}: a different ${what} input is registered under "${k}"`);
  map.set(k, inp);
}

function sumInto(map: Map<string, Input>, init: Quantity, args: Quantity[], label?: string): Quantity {
  let acc = init;
  for (const [k, inp] of [...map]) {
    if (label !== undefined && !k.startsWith(`${label} // `)) continue;
    if (typeof inp === 'function') acc = acc.add(inp(...args));
    else {
      acc = acc.add(inp);
      map.delete(k);
    }
  }
  return acc;
}

export class Dynamics extends nn.Dynamics {
  readonly currentInputs = new Map<string, Input>();
  readonly deltaInputs = new Map<string, Input>();
  /**
   * Synapses that AlignPost projections placed on this population (merging mode), keyed by
   * their descriptors' identity: kept here so that `post.states()` and `initAllStates(post)`
   * find them, as brainpy finds them through the post's before-update hooks.
   */
  readonly alignPostSynapses = new Map<string, nn.Module>();

  addCurrentInput(key: string, inp: Input, label?: string): void {
    addInto(this.currentInputs, this.name, 'current', key, inp, label);
  }

  addDeltaInput(key: string, inp: Input, label?: string): void {
    addInto(this.deltaInputs, this.name, 'delta', key, inp, label);
  }

  sumCurrentInputs(init: Quantity, ...args: Quantity[]): Quantity {
    return sumInto(this.currentInputs, init, args);
  }

  /**
   * The summed current and its derivative along V (the first argument): values contribute a
   * slope of zero, functions their `slope(V)` (which may return undefined for "does not depend
   * on V", e.g. CUBA). A function without a slope is refused.
   */
  sumCurrentInputsWithSlope(init: Quantity, V: Quantity, ...rest: Quantity[]): { I: Quantity; slope: Quantity | undefined } {
    let slope: Quantity | undefined;
    for (const [k, inp] of this.currentInputs) {
      if (typeof inp !== 'function') continue;
      if (!inp.slope) {
        throw new Error(`${this.name}: current input "${k}" depends on V but gives no slope(V) (dI/dV), which exponential Euler needs`);
      }
      const d = inp.slope(V, ...rest);
      if (d !== undefined) slope = slope ? slope.add(d) : d;
    }
    return { I: this.sumCurrentInputs(init, V, ...rest), slope };
  }

  sumDeltaInputs(init: Quantity, ...args: Quantity[]): Quantity {
    return sumInto(this.deltaInputs, init, args);
  }
}

export type { Operand };
