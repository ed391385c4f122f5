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

export interface CheckpointedLoopOptions extends LoopOptions {
  /** Checkpoints per level (brainstate's default 16): under grad, O(base log_base T) saved values. */
  base?: number;
}

function isOptions(x: unknown): x is LoopOptions {
  return typeof x === 'object' && x !== null && !isArrayValue(x) && Object.getPrototypeOf(x) === Object.prototype &&
    Object.keys(x).every((k) => ['length', 'lowering', 'onProgress', 'profile', 'compiler', 'base'].includes(k));
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
 * promise resolves. A trailing plain object is options: `{ length, lowering, onProgress, profile, compiler }`.
 *
 * @example
 * const vs = await environ.context({ dt: u.ms(0.1) }, () =>
 *   transform.forLoop((t) => environ.context({ t }, () => { neuron.call(I); return neuron.V.value; }), times));
 */
export function forLoop<R extends Tree | void>(fn: (...xs: never[]) => R, ...xsAndOpts: (ArrayValue | LoopOptions)[]): Promise<R> {
  return loop('forLoop', fn, xsAndOpts, false);
}

/**
 * forLoop with checkpointing (brainstate.transform.checkpointed_for_loop): the same results; under
 * `grad` the backward pass keeps O(base log_base T) States and recomputes the rest instead of
 * saving every step. Options: `{ base = 16, length, lowering }`.
 */
export function checkpointedForLoop<R extends Tree | void>(fn: (...xs: never[]) => R, ...xsAndOpts: (ArrayValue | CheckpointedLoopOptions)[]): Promise<R> {
  return loop('checkpointedForLoop', fn, xsAndOpts, true);
}

function checkBase(what: string, base: number | undefined): number {
  const b = base ?? 16;
  if (!Number.isInteger(b) || b < 2) throw new TransformError(`${what}: base must be an integer >= 2, got ${String(base)}`);
  return b;
}

function loop<R extends Tree | void>(what: string, fn: (...xs: never[]) => R, xsAndOpts: (ArrayValue | CheckpointedLoopOptions)[], checkpointed: boolean): Promise<R> {
  const last = xsAndOpts[xsAndOpts.length - 1];
  const opts: CheckpointedLoopOptions = isOptions(last) ? last : {};
  const xs = (isOptions(last) ? xsAndOpts.slice(0, -1) : xsAndOpts) as ArrayValue[];
  try {
    if (!checkpointed && opts.base !== undefined) throw new TransformError(`${what}: 'base' is an option of the checkpointed loops`);
    xs.forEach((x, i) => {
      if (!isArrayValue(x)) throw new TransformError(`${what}: operand ${i} is ${describeValue(x)}, not a Quantity or Tensor`);
    });
    const steps = stepsOf(what, xs, opts.length);
    const base = checkpointed ? checkBase(what, opts.base) : undefined;
    const { base: _b, ...runOpts } = opts;
    return runStep({
      kind: 'forLoop', fn, steps, perStep: xs, leadingAxis: true, carry: [], staticKey: '', opts: runOpts, ...(base ? { checkpointBase: base } : {}),
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
  return scanImpl(fn, init, xs, opts, undefined);
}

/**
 * scan with checkpointing (brainstate.transform.checkpointed_scan): the same results; under
 * `grad`, O(base log_base T) saved values. Options: `{ base = 16, length, lowering }`.
 */
export function checkpointedScan<C extends Tree, X extends Tree, Y extends Tree>(
  fn: (carry: C, x: X) => readonly [C, Y], init: C, xs?: X, opts: CheckpointedLoopOptions = {},
): Promise<[C, Y]> {
  try {
    const base = checkBase('checkpointedScan', opts.base);
    const { base: _b, ...rest } = opts;
    return scanImpl(fn, init, xs, rest, base);
  } catch (e) {
    return Promise.reject(e);
  }
}

function scanImpl<C extends Tree, X extends Tree, Y extends Tree>(
  fn: (carry: C, x: X) => readonly [C, Y], init: C, xs: X | undefined, opts: LoopOptions, base: number | undefined,
): Promise<[C, Y]> {
  try {
    const carry = flatten(init, 'scan init');
    const xflat = flatten(xs ?? null, 'scan xs');
    const steps = stepsOf('scan', xflat.leaves, opts.length);
    let yTree: Tree;
    return runStep({
      kind: 'scan', fn, steps, perStep: xflat.leaves, leadingAxis: true, carry: carry.leaves, staticKey: '', opts, ...(base ? { checkpointBase: base } : {}),
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
