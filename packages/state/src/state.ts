/**
 * State containers. A State holds one array value (a Quantity or Tensor) behind `.value`.
 * Outside transforms reads and writes act on the host value. Inside a transform they are
 * recorded by the trace, and the host value is untouched until the transform's results come
 * back, so a failed trace leaves every State as it was.
 */
import { activeTape, currentTrace, shapeEq } from '@spiketrace/compiler';
import { StateError } from './errors.ts';
import { describeValue, isArrayValue, mantissaOf, rewrap, unitOfValue, type ArrayValue } from './value.ts';

export interface StateOptions {
  name?: string;
}

let counter = 0;

export class State<T extends ArrayValue = ArrayValue> {
  #value: T | undefined;
  #name: string;
  /** Path assigned when a Module discovers the State (e.g. "LIF0.V"). */
  path: string | undefined;

  constructor(value?: T, opts: StateOptions = {}) {
    if (value !== undefined && !isArrayValue(value)) {
      throw new StateError(`${this.constructor.name} needs a Quantity or Tensor value, got ${describeValue(value)}`);
    }
    this.#value = value;
    this.#name = opts.name ?? `${this.constructor.name}${counter++}`;
  }

  /** The name used in messages: the module path when known, else the given name. */
  get name(): string {
    return this.path ?? this.#name;
  }

  get isInitialized(): boolean {
    return this.#value !== undefined;
  }

  get value(): T {
    const v = this.#value;
    if (v === undefined) {
      throw new StateError(
        `${this.constructor.name} "${this.name}" is read before it was initialized; call brainstate.nn.initAllStates(model) first`,
      );
    }
    const tr = currentTrace();
    if (!tr) return v;
    return rewrap(v, tr.readState(this, this.name, mantissaOf(v))) as T;
  }

  set value(v: T) {
    const cur = this.#value;
    if (!isArrayValue(v)) {
      throw new StateError(`cannot set ${this.constructor.name} "${this.name}" to ${describeValue(v)}: a Quantity or Tensor is required`);
    }
    if (cur !== undefined) checkCompatible(this, cur, v);
    const tr = currentTrace();
    if (tr) {
      if (cur === undefined) throw new StateError(`${this.constructor.name} "${this.name}" is first set inside a transform; initialize it before`);
      tr.writeState(this, this.name, mantissaOf(cur), mantissaOf(v));
      return;
    }
    if (v.isTraced) {
      throw new StateError(`cannot set ${this.constructor.name} "${this.name}" to a traced value outside its transform`);
    }
    // under grad, a failed call puts the State back
    activeTape()?.onRollback(() => { this.#value = cur; });
    this.#value = v;
  }

  /** Replace the value with one of any shape (initialization and reset use this). */
  reset(v: T): void {
    if (!isArrayValue(v)) throw new StateError(`cannot initialize "${this.name}" with ${describeValue(v)}`);
    if (v.isTraced) throw new StateError(`cannot initialize "${this.name}" with a traced value`);
    if (currentTrace()) throw new StateError(`"${this.name}" cannot be re-initialized inside a transform`);
    const prev = this.#value;
    activeTape()?.onRollback(() => { this.#value = prev; });
    this.#value = v;
  }

  /** @internal the host value, without tracing (transforms write results back through this) */
  get hostValue(): T | undefined {
    return this.#value;
  }

  /** @internal */
  setHostValue(v: T): void {
    this.#value = v;
  }

  toString(): string {
    return `${this.constructor.name}(${this.#value === undefined ? 'uninitialized' : String(this.#value)})`;
  }
}

function checkCompatible(s: State, cur: ArrayValue, v: ArrayValue): void {
  const what = `${s.constructor.name} "${s.name}"`;
  if (!shapeEq(cur.shape, v.shape)) {
    throw new StateError(`cannot set ${what}: it holds shape [${cur.shape.join(', ')}], the new value has shape [${v.shape.join(', ')}]`);
  }
  const cu = unitOfValue(cur), vu = unitOfValue(v);
  if ((cu && !vu) || (!cu && vu && !vu.isDimensionless) || (cu && vu && !cu.equals(vu))) {
    throw new StateError(
      `cannot set ${what}: it holds values in ${cu?.name ?? 'no unit'}, the new value is in ${vu?.name ?? 'no unit'}` +
        (cu && vu && cu.sameDim(vu) ? ` (convert with .to(${cu.name}))` : ''),
    );
  }
  if (mantissaOf(cur).dtype !== mantissaOf(v).dtype) {
    throw new StateError(`cannot set ${what}: it holds ${mantissaOf(cur).dtype} values, the new value is ${mantissaOf(v).dtype}`);
  }
}

/** Dynamical variables that evolve every step and are reset between runs (V, g, ...). */
export class ShortTermState<T extends ArrayValue = ArrayValue> extends State<T> {}
/** Hidden dynamical variables of neurons and synapses. */
export class HiddenState<T extends ArrayValue = ArrayValue> extends ShortTermState<T> {}
/** Values that persist across runs. */
export class LongTermState<T extends ArrayValue = ArrayValue> extends State<T> {}
/** Trainable parameters: what `grad` differentiates with respect to. */
export class ParamState<T extends ArrayValue = ArrayValue> extends LongTermState<T> {}
