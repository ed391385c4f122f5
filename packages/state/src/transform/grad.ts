/**
 * grad and vectorGrad, with brainstate's conventions (brainstate.transform.grad):
 *
 *   const f = transform.grad(loss, { gradStates: net.states(ParamState), returnValue: true });
 *   const [grads, value] = await f(x);
 *
 * The function runs for real under a gradient tape (autodiff/tape.ts): plain array math is
 * recorded op by op and differentiated on the host with the primitives' adjoint rules; loops
 * (forLoop, scan and their checkpointed forms) run on the GPU and differentiate themselves with a
 * reverse loop on the GPU (grad-loop.ts). Only f32 values carry gradients.
 *
 * Returns: state gradients mirror `gradStates` (a State, an array, a plain object or a Map of
 * States); argument gradients follow `argnums` (a number: one value, an array: an array); with
 * both, `[stateGrads, argGrads]`; with neither, `argnums = 0`. `returnValue` and `hasAux` append
 * the value and the auxiliary data in brainstate's order `[grads, value, aux]`.
 *
 * Units: a gradient is returned in the unit of what it differentiates (the mantissa's gradient, as
 * brainstate with unit_aware=False), so `p - lr * g` stays well-typed; `unitAware: true` gives
 * the physical unit (loss unit / value unit) instead. The loss itself must be dimensionless.
 */
import { GradError, GradTape, Tensor } from '@spiketrace/compiler';
import { Quantity, isQuantity } from '@spiketrace/units';
import { State } from '../state.ts';
import { describeValue, isArrayValue, mantissaOf, rewrap, unitOfValue, type ArrayValue } from '../value.ts';
import { beginGradBackward, beginGradForward } from './grad-loop.ts';
import { settled } from './engine.ts';

export type GradStates = State | readonly State[] | { readonly [k: string]: State } | ReadonlyMap<string, State>;

export interface GradOptions {
  gradStates?: GradStates;
  argnums?: number | readonly number[];
  /** The function returns `[value, aux]`; aux is passed through. */
  hasAux?: boolean;
  /** Also return the value of the function. */
  returnValue?: boolean;
  /** Gradients in physical units (value unit / differentiated unit). */
  unitAware?: boolean;
}

type Leaf = { kind: 'state'; state: State; value: ArrayValue } | { kind: 'arg'; index: number; value: ArrayValue };

function statesOf(g: GradStates): { list: State[]; rebuild: (vals: readonly ArrayValue[]) => unknown } {
  if (g instanceof State) return { list: [g], rebuild: (v) => v[0] };
  if (Array.isArray(g)) return { list: [...g] as State[], rebuild: (v) => [...v] };
  if (g instanceof Map) {
    const keys = [...g.keys()];
    return { list: [...g.values()] as State[], rebuild: (v) => new Map(keys.map((k, i) => [k, v[i] as ArrayValue])) };
  }
  const rec = g as { readonly [k: string]: State };
  const keys = Object.keys(rec);
  return { list: keys.map((k) => rec[k] as State), rebuild: (v) => Object.fromEntries(keys.map((k, i) => [k, v[i]])) };
}

function gradValue(leaf: ArrayValue, g: Tensor, unitAware: boolean, lossUnit: Quantity['unit'] | undefined): ArrayValue {
  const u = unitOfValue(leaf);
  if (!unitAware) return rewrap(leaf, g);
  const num = lossUnit;
  if (!u) return num ? new Quantity(g, num) : g;
  return new Quantity(g, num ? num.div(u) : u.pow(-1));
}

function makeGrad<A extends unknown[]>(kind: 'grad' | 'vectorGrad', fn: (...args: A) => unknown, opts: GradOptions) {
  return async (...args: A): Promise<unknown> => {
    // runs queued before this call (an optimizer step not awaited) write the States it reads
    await settled();
    const argnums = opts.argnums ?? (opts.gradStates ? undefined : 0);
    const argList = argnums === undefined ? [] : typeof argnums === 'number' ? [argnums] : [...argnums];
    const states = opts.gradStates ? statesOf(opts.gradStates) : undefined;
    const leaves: Leaf[] = [];
    const callArgs = [...args] as unknown[];
    for (const s of states?.list ?? []) {
      if (!(s instanceof State)) throw new GradError(`${kind}: gradStates must hold States, got ${describeValue(s)}`);
      if (!s.isInitialized) throw new GradError(`${kind}: ${s.constructor.name} "${s.name}" in gradStates is not initialized`);
      const v = s.hostValue as ArrayValue;
      if (mantissaOf(v).dtype !== 'f32') {
        throw new GradError(`${kind}: ${s.constructor.name} "${s.name}" holds ${mantissaOf(v).dtype} values; only f32 States have gradients`);
      }
      if (leaves.some((l) => l.kind === 'state' && l.state === s)) throw new GradError(`${kind}: State "${s.name}" appears twice in gradStates`);
      leaves.push({ kind: 'state', state: s, value: v });
    }
    for (const i of argList) {
      if (!Number.isInteger(i) || i < 0 || i >= args.length) throw new GradError(`${kind}: argnums ${i} is out of range for ${args.length} argument(s)`);
      const a = args[i];
      if (!isArrayValue(a)) throw new GradError(`${kind}: argument ${i} is ${describeValue(a)}; only Quantities and Tensors have gradients`);
      if (mantissaOf(a).dtype !== 'f32') throw new GradError(`${kind}: argument ${i} is ${mantissaOf(a).dtype}; only f32 values have gradients`);
      leaves.push({ kind: 'arg', index: i, value: a });
    }
    // a fresh tensor object per leaf: two States (or arguments) may share one array, their
    // gradients may not; the originals come back if the call fails
    const originals: [State, ArrayValue][] = [];
    for (const l of leaves) {
      l.value = rewrap(l.value, Tensor.fromHost(mantissaOf(l.value).toHost()));
      if (l.kind === 'state') {
        originals.push([l.state, l.state.hostValue as ArrayValue]);
        l.state.setHostValue(l.value);
      } else {
        callArgs[l.index] = l.value;
      }
    }
    const tape = new GradTape();
    for (const l of leaves) tape.watch(mantissaOf(l.value));
    try {
      beginGradForward();
      const out = await tape.record(() => fn(...(callArgs as A)));
      const [value, aux] = opts.hasAux ? splitAux(kind, out) : [out, undefined];
      const lossT = checkLoss(kind, value);
      for (const l of leaves) {
        // a leaf that is itself the result is used (grad of the identity is one)
        if (!tape.used(mantissaOf(l.value)) && mantissaOf(l.value) !== lossT) {
          throw new GradError(l.kind === 'state'
            ? `${kind}: ${l.state.constructor.name} "${l.state.name}" is in gradStates but the function never reads it`
            : `${kind}: argument ${l.index} is differentiated but the function never uses it`);
        }
      }
      beginGradBackward();
      const cts = await tape.backward(lossT, Tensor.full(lossT.shape, 1, 'f32'), leaves.map((l) => mantissaOf(l.value)));
      const lossUnit = isQuantity(value) ? value.unit : undefined;
      const vals = leaves.map((l, i) => gradValue(l.value, cts[i] as Tensor, opts.unitAware ?? false, lossUnit));
      const nStates = states?.list.length ?? 0;
      const stateGrads = states ? states.rebuild(vals.slice(0, nStates)) : undefined;
      const argVals = vals.slice(nStates);
      const argGrads = argnums === undefined ? undefined : typeof argnums === 'number' ? argVals[0] : argVals;
      const grads = states && argnums !== undefined ? [stateGrads, argGrads] : states ? stateGrads : argGrads;
      if (!opts.returnValue && !opts.hasAux) return grads;
      const res: unknown[] = [grads];
      if (opts.returnValue) res.push(value);
      if (opts.hasAux) res.push(aux);
      return res;
    } catch (e) {
      // the program ran for real: put back what it wrote (States, in reverse order) and the leaves
      tape.rollback();
      for (const [s, v] of originals) s.setHostValue(v);
      throw e;
    }
  };
}

function splitAux(kind: string, out: unknown): [unknown, unknown] {
  if (!Array.isArray(out) || out.length !== 2) throw new GradError(`${kind}: with hasAux the function must return [value, aux]`);
  return [out[0], out[1]];
}

/** The mantissa of a valid loss: a dimensionless f32 array, a scalar for grad. */
function checkLoss(kind: 'grad' | 'vectorGrad', value: unknown): Tensor {
  if (!isArrayValue(value)) throw new GradError(`${kind}: the function returned ${describeValue(value)}; it must return a Quantity or Tensor`);
  const lossUnit = unitOfValue(value);
  if (lossUnit && !lossUnit.isDimensionless) {
    throw new GradError(`${kind}: the function returns a value in ${lossUnit.name}; differentiate a dimensionless loss (divide by a reference quantity, or take .mantissa) instead`);
  }
  const lossT = mantissaOf(value);
  if (lossT.dtype !== 'f32') throw new GradError(`${kind}: the function returns ${lossT.dtype} values; only f32 values are differentiable`);
  if (kind === 'grad' && lossT.shape.length !== 0) {
    throw new GradError(`grad: the function returns a value of shape [${lossT.shape.join(', ')}]; grad needs a scalar (reduce it, or use vectorGrad)`);
  }
  return lossT;
}

/**
 * The gradient of a scalar-valued function (async, like every transform). See the module
 * comment for the return conventions.
 */
export function grad<A extends unknown[], R = unknown>(fn: (...args: A) => unknown, opts: GradOptions = {}): (...args: A) => Promise<R> {
  return makeGrad('grad', fn, opts) as (...args: A) => Promise<R>;
}

/** grad with a cotangent of ones: the sum over the outputs of a non-scalar function (brainstate.transform.vector_grad). */
export function vectorGrad<A extends unknown[], R = unknown>(fn: (...args: A) => unknown, opts: GradOptions = {}): (...args: A) => Promise<R> {
  return makeGrad('vectorGrad', fn, opts) as (...args: A) => Promise<R>;
}
