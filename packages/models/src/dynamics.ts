/**
 * brainpy.state's Dynamics: brainstate's Dynamics plus the input buses projections rest on.
 * A current input is a callable (called with the neuron's V, stays registered) or a value
 * (added once, then removed); `sumCurrentInputs(init, ...args)` returns init plus all of them.
 */
import { nn } from '@spiketrace/state';
import { Quantity, type Operand } from '@spiketrace/units';

export type InputFn = (...args: Quantity[]) => Quantity;
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

  addCurrentInput(key: string, inp: Input, label?: string): void {
    addInto(this.currentInputs, this.name, 'current', key, inp, label);
  }

  addDeltaInput(key: string, inp: Input, label?: string): void {
    addInto(this.deltaInputs, this.name, 'delta', key, inp, label);
  }

  sumCurrentInputs(init: Quantity, ...args: Quantity[]): Quantity {
    return sumInto(this.currentInputs, init, args);
  }

  sumDeltaInputs(init: Quantity, ...args: Quantity[]): Quantity {
    return sumInto(this.deltaInputs, init, args);
  }
}

export type { Operand };
