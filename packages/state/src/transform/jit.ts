/**
 * jit: trace a function once per signature and run it as one compiled step on the GPU. Array
 * arguments become inputs; anything else is static (part of the cache key). Inside another
 * transform a jitted function simply runs inline.
 */
import { activeTape, currentTrace } from '@spiketrace/compiler';
import type { Tree } from '../tree.ts';
import { isArrayValue, type ArrayValue } from '../value.ts';
import { runStep, type RunOptions } from './engine.ts';

export interface Jitted<A extends unknown[], R> {
  (...args: A): Promise<R>;
  /** The untransformed function. */
  readonly fn: (...args: A) => R;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/** Cache key of a static argument: primitives by value, objects and functions by identity. */
function staticKey(a: unknown): string {
  if (a === null || a === undefined) return String(a);
  if (typeof a === 'object' || typeof a === 'function') {
    let id = identities.get(a);
    if (id === undefined) identities.set(a, (id = nextIdentity++));
    return `#${id}`;
  }
  return `${typeof a}:${String(a)}`;
}

export function jit<A extends unknown[], R extends Tree | void>(fn: (...args: A) => R, opts: RunOptions = {}): Jitted<A, R> {
  const call = (...args: A): Promise<R> => {
    // inside another transform, or under grad (whose tape records eager ops), the body runs inline
    if (currentTrace() || activeTape()) return Promise.resolve(fn(...args));
    const arrays: ArrayValue[] = [];
    const statics: string[] = [];
    args.forEach((a, i) => {
      if (isArrayValue(a)) arrays.push(a);
      else statics.push(`${i}:${staticKey(a)}`);
    });
    return runStep({
      kind: 'jit', fn, steps: 1, perStep: arrays, leadingAxis: false, carry: [], staticKey: statics.join(','), opts,
      body: (slices) => {
        let k = 0;
        const traced = args.map((a) => (isArrayValue(a) ? slices[k++] : a)) as A;
        return { ys: fn(...traced) as Tree, carry: [] };
      },
    }).then((r) => r.ys as R);
  };
  return Object.assign(call, { fn });
}
