/**
 * Descriptors (brainpy's ParamDescriber): a class and its constructor arguments, not yet built.
 * AlignPost projections in merging mode build a descriptor once per post population and share the
 * instance among projections whose descriptors are identical. Identity is structural: the class,
 * and each argument by value (numbers, strings, booleans, arrays, plain objects with sorted keys,
 * Quantities by value and unit); functions and other objects count by identity.
 */
import { isQuantity } from '@spiketrace/units';

const objectIds = new WeakMap<object, number>();
let nextId = 0;

function idOf(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) objectIds.set(o, (id = nextId++));
  return id;
}

function key(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (isQuantity(v)) return `Q(${v.shape.join('x')}:${Array.from(v.mantissa.data).join(',')} ${v.unit.name})`;
  if (Array.isArray(v)) return `[${v.map(key).join(',')}]`;
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${k}:${key(x)}`).join(',')}}`;
  }
  if (typeof v === 'function' || typeof v === 'object') return `#${idOf(v as object)}`;
  return String(v);
}

export class ParamDescriber<T> {
  /** The structural identity: equal strings mean identical descriptors. */
  readonly identity: string;

  constructor(readonly cls: new (...args: never[]) => T, readonly args: readonly unknown[]) {
    this.identity = `${cls.name}#${idOf(cls)}(${args.map(key).join(', ')})`;
  }

  /** Build an instance. */
  create(): T {
    return new (this.cls as unknown as new (...args: unknown[]) => T)(...this.args);
  }

  toString(): string {
    return this.identity;
  }
}

export function isDescriber(x: unknown): x is ParamDescriber<unknown> {
  return x instanceof ParamDescriber;
}

