/**
 * The gradient tape: reverse mode over a program that runs for real (brainstate's `grad` around
 * code that mixes plain array math with compiled loops).
 *
 * While a tape is open, every eager op whose operands include a watched f32 tensor is recorded
 * with its operands and result (`bind` calls `recordOp`), and a compiled loop that consumes
 * watched tensors records itself as one `call` entry with its own backward (a reverse loop on the
 * GPU). `backward` walks the entries in reverse: an op entry applies its primitive's adjoint rule
 * (the same rules the adjoint graphs use, evaluated eagerly), a call entry runs its backward.
 * Tensors are identified by object: a State's value, a loop's results and every intermediate are
 * the very objects the program holds.
 */
import type { Op, OpArgs } from '../ir/ops.ts';
import { shapeStr } from '../ir/shape.ts';
import { prim } from '../primitives/index.ts';
import { isNonDifferentiable, type VjpRule } from '../primitives/types.ts';
import * as ops from '../trace/ops.ts';
import { Tensor } from '../trace/tensor.ts';
import { setEagerRecorder } from '../trace/recorder.ts';
import { GradError } from './vjp-graph.ts';

interface OpEntry {
  kind: 'op';
  op: Op;
  arg: unknown;
  inputs: readonly Tensor[];
  out: Tensor;
}

/** A compiled region (a loop) on the tape: its operands, its results, and its adjoint. */
export interface CallEntry {
  kind: 'call';
  name: string;
  inputs: readonly Tensor[];
  outputs: readonly Tensor[];
  /** Cotangents of the inputs (null: none) from those of the outputs (null: zero). */
  backward(cts: readonly (Tensor | null)[], needs: readonly boolean[]): Promise<(Tensor | null)[]>;
}

type Entry = OpEntry | CallEntry;

let active: GradTape | undefined;

/** The open tape, if any (bind and the loop transforms consult it). */
export function activeTape(): GradTape | undefined {
  return active;
}

export class GradTape {
  readonly #watched = new WeakSet<Tensor>();
  readonly #entries: Entry[] = [];
  readonly #used = new WeakSet<Tensor>();
  /** Values that depend on watched ones through a non-differentiable op, and that op's name. */
  readonly #blocked = new WeakMap<Tensor, string>();
  readonly #undo: (() => void)[] = [];

  /** Register how to undo a side effect of the recorded program (a State write). */
  onRollback(undo: () => void): void {
    this.#undo.push(undo);
  }

  /** Undo the recorded program's side effects, last first (grad failed after running it). */
  rollback(): void {
    while (this.#undo.length) (this.#undo.pop() as () => void)();
  }

  /** The non-differentiable op a value depends on the watched values through, if any. */
  blockedBy(t: Tensor): string | undefined {
    return this.#blocked.get(t);
  }

  /** Mark a tensor as depending on what is differentiated (a leaf). */
  watch(t: Tensor): void {
    if (t.isTraced) throw new GradError('grad: a traced value cannot be a gradient leaf');
    this.#watched.add(t);
  }

  watches(t: Tensor): boolean {
    return this.#watched.has(t);
  }

  /** Whether any entry consumed `t`. */
  used(t: Tensor): boolean {
    return this.#used.has(t);
  }

  get size(): number {
    return this.#entries.length;
  }

  recordOp<O extends Op>(op: O, inputs: readonly Tensor[], arg: OpArgs[O], out: Tensor): void {
    // integer results carry no cotangent, so a path through event_count would end in a silent
    // zero: remember it, so that a result depending on it is refused (backward checks the root)
    const blocked = inputs.map((t) => this.#blocked.get(t)).find((b) => b !== undefined);
    if (blocked) this.#blocked.set(out, blocked);
    else if (isNonDifferentiable(prim(op).vjp) && inputs.some((t) => this.#watched.has(t))) this.#blocked.set(out, op);
    if (!inputs.some((t) => this.#watched.has(t))) return;
    for (const t of inputs) this.#used.add(t);
    this.#entries.push({ kind: 'op', op, arg, inputs: [...inputs], out });
    // event_count's integer counts carry a cotangent (sums of 0/1 spikes; see its adjoint)
    if (out.dtype === 'f32' || op === 'event_count') this.#watched.add(out);
  }

  recordCall(entry: CallEntry, differentiableOutputs: readonly boolean[]): void {
    for (const t of entry.inputs) this.#used.add(t);
    this.#entries.push(entry);
    entry.outputs.forEach((t, i) => {
      if (differentiableOutputs[i] && t.dtype === 'f32') this.#watched.add(t);
    });
  }

  /** Run `fn` with this tape open (not re-entrant: one tape at a time). */
  async record<T>(fn: () => T | Promise<T>): Promise<T> {
    if (active) throw new GradError('grad inside grad is not supported: differentiate the inner function directly');
    active = this;
    setEagerRecorder((op, inputs, arg, out) => this.recordOp(op, inputs, arg, out));
    try {
      return await fn();
    } finally {
      active = undefined;
      setEagerRecorder(undefined);
    }
  }

  /**
   * Reverse sweep from `root` (with cotangent `ct`): the cotangent of each of `leaves`
   * (zeros where nothing reached it). Entries recorded on this tape run their adjoints; no new
   * entries are recorded meanwhile.
   */
  async backward(root: Tensor, ct: Tensor, leaves: readonly Tensor[]): Promise<Tensor[]> {
    if (active) throw new GradError('grad: backward while a tape is recording');
    const blocked = this.#blocked.get(root);
    if (blocked) {
      throw new GradError(`grad: the result depends on the differentiated values through ${blocked}, which is not differentiable: ${(prim(blocked as Op).vjp as { why?: string }).why ?? ''}`);
    }
    const cts = new Map<Tensor, Tensor>();
    const add = (t: Tensor, c: Tensor): void => {
      if (c.shape.join() !== t.shape.join()) throw new Error(`tape: cotangent ${shapeStr(c.shape)} for a value of shape ${shapeStr(t.shape)}`);
      const prev = cts.get(t);
      cts.set(t, prev ? ops.add(prev, c) : c);
    };
    if (this.#watched.has(root)) add(root, ct);
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const e = this.#entries[i] as Entry;
      if (e.kind === 'op') {
        const c = cts.get(e.out);
        if (!c) continue;
        // watched values are f32, or event_count's counts
        const needs = e.inputs.map((t) => this.#watched.has(t));
        if (!needs.some(Boolean)) continue;
        const slot = prim(e.op).vjp;
        if (isNonDifferentiable(slot)) throw new GradError(`grad: op ${e.op} lies between the differentiated values and the result, and ${e.op} is not differentiable: ${slot.why}`);
        const res = (slot as VjpRule<Op>)({ inputs: e.inputs, out: e.out, ct: c, arg: e.arg as never, needs });
        e.inputs.forEach((t, k) => {
          const r = res[k];
          if (r && needs[k]) add(t, r);
        });
        continue;
      }
      const outCts = e.outputs.map((t) => cts.get(t) ?? null);
      if (outCts.every((c) => c === null)) continue;
      const needs = e.inputs.map((t) => this.#watched.has(t) && t.dtype === 'f32');
      if (!needs.some(Boolean)) continue;
      const res = await e.backward(outCts, needs);
      e.inputs.forEach((t, k) => {
        const r = res[k];
        if (r && needs[k]) add(t, r);
      });
    }
    return leaves.map((l) => cts.get(l) ?? Tensor.full(l.shape, 0, 'f32'));
  }
}
