/**
 * Delays (brainstate `prefetch(...).delay.at(...)`): a ring buffer of a State's past values.
 * `delayed(owner, 'V').at(u.ms(2))` registers, on first use, an after-update hook on the owner
 * that writes the State's new value into a history [L, ...shape] at a write pointer; `at(d)` reads
 * the value of d/dt steps ago (delay 0 = the value written at the end of the last update), as
 * brainstate's buffer does. L = the longest delay asked for + 1, fixed when the owner's States
 * are initialized, so every `at` must be created before `initAllStates`.
 * The write is `put_row(history, ptr, value)` and the read `take_row(history, row)`, rows known
 * only at run time: global ops, so delays run under every lowering that has global ops. The read
 * is one load per element; the write, when every read of the buffer comes before it in the step
 * (reads at the start of the step, as here), is done in place: one store per element of the row
 * (compiler/src/codegen/lower.ts, inPlaceRows), else a copy of the buffer with the row replaced.
 */
import { ops, Tensor } from '@spiketrace/compiler';
import { environ, HiddenState, nn, ShortTermState, type State } from '@spiketrace/state';
import { isQuantity, Quantity, Unit } from '@spiketrace/units';
import type { Dynamics } from './dynamics.ts';

export class DelayError extends Error {
  override name = 'DelayError';
}

/** The ring buffer of one State of one module. */
export class StateDelay extends nn.Module {
  readonly history = new HiddenState<Quantity>(undefined, { name: 'history' });
  readonly ptr = new ShortTermState<Tensor>(undefined, { name: 'ptr' });
  /** Longest delay in steps asked for so far (the buffer holds maxSteps + 1 rows). */
  maxSteps = 0;
  /** Rows allocated by the last initState (undefined before). */
  allocatedSteps: number | undefined;
  #rows: Tensor | undefined;
  #unit: Unit = Unit.dimensionless;

  constructor(readonly owner: Dynamics, readonly state: State, name: string) {
    super(name);
  }

  override initState(): void {
    const v = this.state.hostValue;
    if (v === undefined) throw new DelayError(`${this.name}: ${this.state.name} must be initialized before its delay buffer`);
    const q = isQuantity(v) ? v : new Quantity(v, Unit.dimensionless);
    const L = this.maxSteps + 1;
    this.allocatedSteps = this.maxSteps;
    this.#unit = q.unit;
    // the buffer starts filled with the initial value, as brainstate's default init does
    const data = new Float32Array(L * q.size);
    for (let r = 0; r < L; r++) data.set(q.mantissa.data, r * q.size);
    this.history.reset(new Quantity(Tensor.fromArray(data, [L, ...q.shape]), q.unit));
    this.ptr.reset(Tensor.scalar(0, 'i32'));
    this.#rows = Tensor.fromArray(Array.from({ length: L }, (_, i) => i), [L, ...q.shape.map(() => 1)], 'i32');
  }

  /** The after-update hook: store the owner's new value and advance the pointer. */
  write(): void {
    const L = this.maxSteps + 1;
    const v = this.state.value;
    const q = isQuantity(v) ? v : new Quantity(v, Unit.dimensionless);
    const h = this.history.value;
    this.#rowsOrThrow();
    this.history.value = new Quantity(ops.putRow(h.mantissa, this.ptr.value, q.to(h.unit).mantissa), h.unit);
    this.ptr.value = ops.binary('mod', ops.add(this.ptr.value, 1), L);
  }

  /** The value `steps` updates ago (0 = the latest written). */
  read(steps: number): Quantity {
    const L = this.maxSteps + 1;
    if (steps > this.maxSteps) throw new DelayError(`${this.name}: a delay of ${steps} steps exceeds the buffer (${this.maxSteps} steps)`);
    // the latest write sits at ptr - 1
    const row = ops.binary('mod', ops.add(this.ptr.value, L - 1 - steps), L);
    this.#rowsOrThrow();
    return new Quantity(ops.takeRow(this.history.value.mantissa, row), this.#unit);
  }

  #rowsOrThrow(): Tensor {
    if (!this.#rows) throw new DelayError(`${this.name}: read or written before initAllStates`);
    return this.#rows;
  }
}

/** Steps in a delay: it must be a multiple of dt (within float rounding). */
export function delaySteps(owner: string, delay: Quantity): number {
  const dt = environ.getDt();
  if (!isQuantity(delay) || !delay.unit.sameDim(dt.unit)) {
    throw new DelayError(`${owner}: a delay must be a time (like ms), got ${isQuantity(delay) ? delay.unit.name : typeof delay}`);
  }
  const ratio = delay.to(dt.unit).item() / dt.item();
  const k = Math.round(ratio);
  if (k < 0 || Math.abs(ratio - k) > 1e-4) {
    throw new DelayError(`${owner}: a delay of ${String(delay)} is not a non-negative multiple of dt = ${String(dt)}`);
  }
  return k;
}

const buffers = new WeakMap<Dynamics, Map<string, StateDelay>>();

/**
 * A delayed view of `owner[field]` (a State). `.at(delay)` reserves buffer rows now (call it
 * before initAllStates, with dt set) and returns a reader to call inside the step.
 */
export function delayed(owner: Dynamics, field: string) {
  const state = (owner as unknown as Record<string, unknown>)[field] as State | undefined;
  if (!state || typeof state !== 'object' || !('hostValue' in state)) {
    throw new DelayError(`${owner.name} has no State "${field}" to delay`);
  }
  let perField = buffers.get(owner);
  if (!perField) buffers.set(owner, (perField = new Map()));
  let buf = perField.get(field);
  if (!buf) {
    buf = new StateDelay(owner, state, `${owner.name}.${field}-delay`);
    perField.set(field, buf);
    (owner as unknown as { delayBuffers?: StateDelay[] }).delayBuffers ??= [];
    (owner as unknown as { delayBuffers: StateDelay[] }).delayBuffers.push(buf);
    const b = buf;
    owner.addAfterUpdate(`${field}-delay`, () => b.write(), { ignoreOutput: true });
  }
  const b = buf;
  return {
    buffer: b,
    /** A reader of the value `delay` ago (a multiple of dt, known when this is called). */
    at(delay: Quantity): () => Quantity {
      const k = delaySteps(b.name, delay);
      if (b.allocatedSteps !== undefined && k > b.allocatedSteps) {
        throw new DelayError(`${b.name}: a delay of ${k} steps exceeds the buffer of ${b.allocatedSteps} steps allocated by initAllStates; create every delay before initAllStates`);
      }
      b.maxSteps = Math.max(b.maxSteps, k);
      return () => b.read(k);
    },
  };
}
