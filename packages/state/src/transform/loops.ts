/**
 * forLoop and scan: the time loop. The step function is traced once per signature; every step
 * then runs on the GPU as one fused kernel (temporal fusion) or one dispatch per phase (dispatch
 * chain), with States carried on the GPU and stacked outputs read back once.
 */
import { TransformError } from '../errors.ts';
import { flatten, type Tree } from '../tree.ts';
import { describeValue, isArrayValue, type ArrayValue } from '../value.ts';
import { runStep, type RunOptions } from './engine.ts';

export interface LoopOptions extends RunOptions {
  /** Number of steps when there are no looped operands. */
  length?: number;
}

function isOptions(x: unknown): x is LoopOptions {
  return typeof x === 'object' && x !== null && !isArrayValue(x) && Object.getPrototypeOf(x) === Object.prototype &&
    Object.keys(x).every((k) => ['length', 'lowering', 'onProgress'].includes(k));
}

function stepsOf(what: string, xs: readonly ArrayValue[], length: number | undefined): number {
  const lens = xs.map((x, i) => {
    if (x.shape.length === 0) throw new TransformError(`${what}: operand ${i} is a scalar; looped operands need a leading time axis`);
    return x.shape[0] as number;
  });
  const T = length ?? lens[0];
  if (T === undefined) throw new TransformError(`${what}: give looped operands or { length }`);
  lens.forEach((l, i) => {
    if (l !== T) throw new TransformError(`${what}: operand ${i} has ${l} steps along axis 0, expected ${T}`);
  });
  if (!Number.isInteger(T) || T < 1) throw new TransformError(`${what}: the number of steps must be a positive integer, got ${T}`);
  return T;
}

/**
 * Run `fn` once per step over the leading axis of `xs` and stack what it returns: `Y[T, ...]`.
 * States the body writes are carried from step to step; their final values are in place when the
 * promise resolves. A trailing plain object is options: `{ length, lowering, onProgress }`.
 *
 * @example
 * const vs = await environ.context({ dt: u.ms(0.1) }, () =>
 *   transform.forLoop((t) => environ.context({ t }, () => { neuron.call(I); return neuron.V.value; }), times));
 */
export function forLoop<R extends Tree | void>(fn: (...xs: never[]) => R, ...xsAndOpts: (ArrayValue | LoopOptions)[]): Promise<R> {
  const last = xsAndOpts[xsAndOpts.length - 1];
  const opts: LoopOptions = isOptions(last) ? last : {};
  const xs = (isOptions(last) ? xsAndOpts.slice(0, -1) : xsAndOpts) as ArrayValue[];
  try {
    xs.forEach((x, i) => {
      if (!isArrayValue(x)) throw new TransformError(`forLoop: operand ${i} is ${describeValue(x)}, not a Quantity or Tensor`);
    });
    const steps = stepsOf('forLoop', xs, opts.length);
    return runStep({
      kind: 'forLoop', fn, steps, perStep: xs, leadingAxis: true, carry: [], staticKey: '', opts,
      body: (slices) => ({ ys: (fn as (...xs: ArrayValue[]) => R)(...slices) as Tree, carry: [] }),
    }).then((r) => r.ys as R);
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * `fn(carry, x) -> [carry, y]` over the leading axis of `xs` (a value, an array of values, or
 * undefined with `{ length }`); resolves to `[finalCarry, Y]`. The carry is a tree of values
 * whose shapes, dtypes and units must not change.
 */
export function scan<C extends Tree, X extends Tree, Y extends Tree>(
  fn: (carry: C, x: X) => readonly [C, Y], init: C, xs?: X, opts: LoopOptions = {},
): Promise<[C, Y]> {
  try {
    const carry = flatten(init, 'scan init');
    const xflat = flatten(xs ?? null, 'scan xs');
    const steps = stepsOf('scan', xflat.leaves, opts.length);
    let yTree: Tree;
    return runStep({
      kind: 'scan', fn, steps, perStep: xflat.leaves, leadingAxis: true, carry: carry.leaves, staticKey: '', opts,
      body: (slices, carries) => {
        const out = fn(carry.rebuild(carries) as C, xflat.rebuild(slices) as X);
        if (!Array.isArray(out) || out.length !== 2) throw new TransformError('scan: the step function must return [carry, y]');
        const c2 = flatten(out[0] as Tree, 'the scan step (carry)');
        if (c2.leaves.length !== carry.leaves.length) {
          throw new TransformError(`scan: the step returned ${c2.leaves.length} carry leaves, init has ${carry.leaves.length}`);
        }
        yTree = out[1] as Tree;
        return { ys: yTree, carry: c2.leaves };
      },
    }).then((r) => [carry.rebuild(r.carry) as C, r.ys as Y]);
  } catch (e) {
    return Promise.reject(e);
  }
}
