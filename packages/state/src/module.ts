/**
 * Modules: plain classes whose States and child Modules are found by walking their own fields
 * (no registration). `Dynamics` adds brainstate's before/after update hooks around `update`.
 *
 * Python calls a module as `neuron(x)`; JavaScript objects are not callable, so the spelling here
 * is `neuron.call(x)`: it runs the before-update hooks, `update(x)`, then the after-update hooks,
 * exactly what `Dynamics.__call__` does. Calling `update` directly skips the hooks, as in Python.
 */
import { State } from './state.ts';

let moduleCounter = 0;

export interface InitOptions {
  batchSize?: number;
}

export class Module {
  /** Display name used in State paths and messages. */
  name: string;

  constructor(name?: string) {
    this.name = name ?? `${this.constructor.name}${moduleCounter++}`;
  }

  /** Allocate this module's own dynamical states (not its children's). */
  initState(_opts: InitOptions = {}): void {}

  /** Reset this module's own dynamical states (not its children's). */
  resetState(_opts: InitOptions = {}): void {
    this.initState(_opts);
  }

  update(...args: unknown[]): unknown {
    return args[0];
  }

  call(...args: unknown[]): unknown {
    return this.update(...args);
  }

  /** Child modules and states, in field order, with their field names. */
  *children(): Generator<[string, Module | State]> {
    for (const [k, v] of Object.entries(this)) yield* walkField(k, v);
  }

  /** Every module in the tree (this one first, each once), depth first. */
  nodes(): Module[] {
    const seen = new Set<Module>();
    const out: Module[] = [];
    const visit = (m: Module) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push(m);
      for (const [, c] of m.children()) if (c instanceof Module) visit(c);
    };
    visit(this);
    return out;
  }

  /**
   * Every State in the tree keyed by path ("LIF0.V"), each once, optionally filtered by class
   * (`model.states(ParamState)`) or predicate. Discovered States take their path as their name.
   */
  states(filter?: (new (...a: never[]) => State) | ((s: State, path: string) => boolean)): Map<string, State> {
    const out = new Map<string, State>();
    const seen = new Set<State>();
    const visit = (m: Module, prefix: string, mods: Set<Module>) => {
      if (mods.has(m)) return;
      mods.add(m);
      for (const [k, c] of m.children()) {
        const path = `${prefix}.${k}`;
        if (c instanceof Module) visit(c, path, mods);
        else if (!seen.has(c)) {
          seen.add(c);
          c.path ??= path;
          const keep = !filter ? true : isClass(filter) ? c instanceof filter : filter(c, path);
          if (keep) out.set(path, c);
        }
      }
    };
    visit(this, this.name, new Set());
    return out;
  }
}

function isClass(f: unknown): f is new (...a: never[]) => State {
  return typeof f === 'function' && (f === State || f.prototype instanceof State);
}

function* walkField(k: string, v: unknown): Generator<[string, Module | State]> {
  if (v instanceof Module || v instanceof State) yield [k, v];
  else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) yield* walkField(`${k}[${i}]`, v[i]);
  } else if (v instanceof Map) {
    for (const [mk, mv] of v) yield* walkField(`${k}[${String(mk)}]`, mv);
  }
}

type Hook = (...args: unknown[]) => unknown;

/**
 * A module with dynamics over time: `inSize` elements, and ordered before/after update hooks.
 * Before-hooks get the call's arguments when marked `receiveInput`, after-hooks get the result
 * unless marked `ignoreOutput` (brainstate's `_receive_update_input` / `_not_receive_update_output`).
 */
export class Dynamics extends Module {
  readonly inSize: readonly number[];
  readonly beforeUpdates = new Map<string, { fn: Hook; receiveInput: boolean }>();
  readonly afterUpdates = new Map<string, { fn: Hook; ignoreOutput: boolean }>();

  constructor(inSize: number | readonly number[], name?: string) {
    super(name);
    const s = typeof inSize === 'number' ? [inSize] : [...inSize];
    if (s.some((d) => !Number.isInteger(d) || d < 1)) throw new RangeError(`${this.name}: inSize must be positive integers, got [${s.join(', ')}]`);
    this.inSize = s;
  }

  get varshape(): readonly number[] {
    return this.inSize;
  }

  get outSize(): readonly number[] {
    return this.inSize;
  }

  /** The shape of a state of this module: varshape, with a leading batch axis when batched. */
  stateShape(batchSize?: number): number[] {
    return batchSize === undefined ? [...this.varshape] : [batchSize, ...this.varshape];
  }

  addBeforeUpdate(key: string, fn: Hook, opts: { receiveInput?: boolean } = {}): void {
    if (this.beforeUpdates.has(key)) throw new Error(`${this.name}: a before-update hook "${key}" exists already`);
    this.beforeUpdates.set(key, { fn, receiveInput: opts.receiveInput ?? false });
  }

  addAfterUpdate(key: string, fn: Hook, opts: { ignoreOutput?: boolean } = {}): void {
    if (this.afterUpdates.has(key)) throw new Error(`${this.name}: an after-update hook "${key}" exists already`);
    this.afterUpdates.set(key, { fn, ignoreOutput: opts.ignoreOutput ?? false });
  }

  override call(...args: unknown[]): unknown {
    for (const { fn, receiveInput } of this.beforeUpdates.values()) {
      if (receiveInput) fn(...args);
      else fn();
    }
    const ret = this.update(...args);
    for (const { fn, ignoreOutput } of this.afterUpdates.values()) {
      if (ignoreOutput) fn();
      else fn(ret);
    }
    return ret;
  }
}
