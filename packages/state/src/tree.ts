/**
 * Output trees: what a step function may return (arrays of values, plain objects of values,
 * Quantities, Tensors, numbers, null/undefined), flattened to leaves and rebuilt after the run.
 */
import { Tensor } from '@spiketrace/compiler';
import { isQuantity } from '@spiketrace/units';
import { TransformError } from './errors.ts';
import { describeValue, type ArrayValue } from './value.ts';

export type Tree = ArrayValue | number | boolean | null | undefined | readonly Tree[] | { readonly [k: string]: Tree };

export interface Flat {
  leaves: ArrayValue[];
  rebuild(leaves: readonly ArrayValue[]): Tree;
}

export function flatten(tree: Tree, where: string): Flat {
  const leaves: ArrayValue[] = [];
  const build = (t: Tree, path: string): ((ls: readonly ArrayValue[]) => Tree) => {
    if (t === null || t === undefined) return () => t;
    if (isQuantity(t) || t instanceof Tensor) {
      const k = leaves.length;
      leaves.push(t);
      return (ls) => ls[k] as ArrayValue;
    }
    if (typeof t === 'number' || typeof t === 'boolean') {
      const k = leaves.length;
      leaves.push(Tensor.scalar(Number(t), typeof t === 'boolean' ? 'bool' : 'f32'));
      return (ls) => ls[k] as ArrayValue;
    }
    if (Array.isArray(t)) {
      const parts = t.map((c, i) => build(c, `${path}[${i}]`));
      return (ls) => parts.map((p) => p(ls));
    }
    if (typeof t === 'object' && Object.getPrototypeOf(t) === Object.prototype) {
      const entries = Object.entries(t as Record<string, Tree>).map(([k, v]) => [k, build(v, `${path}.${k}`)] as const);
      return (ls) => Object.fromEntries(entries.map(([k, p]) => [k, p(ls)]));
    }
    throw new TransformError(`${where} returned ${describeValue(t)} at ${path || 'the top'}; return Quantities, Tensors, numbers, or arrays/objects of them`);
  };
  const rebuild = build(tree, '');
  return { leaves, rebuild };
}
