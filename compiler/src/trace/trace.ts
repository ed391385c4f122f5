/**
 * Trace: records ops on traced Tensors into an SSA node list. A stack of traces is kept so that
 * nested user code (a jit inside a loop body) records into the innermost open one.
 */
import type { Aval, Node } from '../ir/node.ts';
import type { InputSource, Op, OpArgs } from '../ir/ops.ts';
import { Graph, type GraphOutput } from '../ir/graph.ts';
import { sizeOf } from '../ir/shape.ts';
import { TraceContextError, userFrame } from '../errors.ts';
import type { HostArray } from '../primitives/types.ts';
import { Tensor } from './tensor.ts';

/** A State as the tracer sees it: a key object, a name for messages, and its value at trace start. */
export interface TracedSlot {
  readonly key: object;
  readonly name: string;
  readonly initial: Tensor;
}

const stack: Trace[] = [];

export function currentTrace(): Trace | undefined {
  return stack[stack.length - 1];
}

export class Trace {
  readonly nodes: Node[] = [];
  readonly captured: HostArray[] = [];
  /** The concrete Tensor each captured array came from (the gradient tape follows tensors). */
  readonly capturedTensors: Tensor[] = [];
  /**
   * Concrete tensors for which this returns true are captured even when uniform (never folded
   * into a literal): under grad, values the tape watches must stay inputs of the step.
   */
  keepCaptured: ((t: Tensor) => boolean) | undefined;
  /** Source line of the user's model that created each node (for error messages). */
  readonly where = new Map<number, string>();
  readonly slots: TracedSlot[] = [];
  #closed = false;
  #building = false;
  readonly #capturedIds = new Map<HostArray, number>();
  readonly #slotIndex = new Map<object, number>();
  readonly #reads = new Map<number, Tensor>();
  readonly #writes = new Map<number, Tensor>();

  #streams = 0;

  constructor(readonly name: string) {}

  /** A fresh random stream id for this trace (each draw in a step gets its own). */
  nextStream(): number {
    return this.#streams++;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Run `fn` with this trace innermost; the trace is closed afterwards, even on throw. */
  run<T>(fn: () => T): T {
    if (this.#closed) throw new TraceContextError(`trace ${this.name} is closed`);
    stack.push(this);
    try {
      return fn();
    } finally {
      stack.pop();
      this.#closed = true;
    }
  }

  input(source: InputSource, aval: Aval): Tensor {
    return this.#push('input', [], source, aval);
  }

  /** Record `op` on `srcs` (concrete operands become constants or captured inputs). */
  add<O extends Op>(op: O, srcs: readonly Tensor[], arg: OpArgs[O], out: Aval): Tensor {
    const ids = srcs.map((s) => this.#idOf(s));
    return this.#push(op, ids, arg, out);
  }

  /** The value of a State inside the trace: its latest write, else an input node made on first read. */
  readState(key: object, name: string, current: Tensor): Tensor {
    const k = this.#slot(key, name, current);
    const w = this.#writes.get(k);
    if (w) return w;
    let r = this.#reads.get(k);
    if (!r) {
      r = this.input({ kind: 'state', index: k, name }, current);
      this.#reads.set(k, r);
    }
    return r;
  }

  writeState(key: object, name: string, current: Tensor, value: Tensor): void {
    const k = this.#slot(key, name, current);
    this.#writes.set(k, value);
  }

  wasRead(key: object): boolean {
    const k = this.#slotIndex.get(key);
    return k !== undefined && this.#reads.has(k);
  }

  writtenSlots(): number[] {
    return [...this.#writes.keys()].sort((a, b) => a - b);
  }

  readSlots(): number[] {
    return [...this.#reads.keys()].sort((a, b) => a - b);
  }

  /** Node id of a value, recording concrete ones as constants or captured inputs. */
  idOf(t: Tensor): number {
    return this.#idOf(t);
  }

  /** Build the Graph: state writes (in slot order), then the given results and carries. */
  toGraph(ys: readonly Tensor[], carries: readonly Tensor[] = []): Graph {
    // a result may be a concrete array (returned as is from the step): it becomes a literal or a
    // captured input now, after the body has closed the trace
    this.#building = true;
    try {
      return this.#graph(ys, carries);
    } finally {
      this.#building = false;
    }
  }

  #graph(ys: readonly Tensor[], carries: readonly Tensor[]): Graph {
    const outputs: GraphOutput[] = [];
    for (const k of this.writtenSlots()) {
      const slot = this.slots[k] as TracedSlot;
      outputs.push({ kind: 'state', index: k, name: slot.name, node: this.#idOf(this.#writes.get(k) as Tensor) });
    }
    ys.forEach((y, i) => outputs.push({ kind: 'y', index: i, node: this.#idOf(y) }));
    carries.forEach((c, i) => outputs.push({ kind: 'carry', index: i, node: this.#idOf(c) }));
    return new Graph([...this.nodes], outputs, this.name);
  }

  #slot(key: object, name: string, current: Tensor): number {
    let k = this.#slotIndex.get(key);
    if (k === undefined) {
      if (current.isTraced) {
        throw new TraceContextError(`state "${name}" holds a traced value from another transform; nested transforms over the same state are not supported`);
      }
      k = this.slots.length;
      this.slots.push({ key, name, initial: current });
      this.#slotIndex.set(key, k);
    }
    return k;
  }

  #idOf(t: Tensor): number {
    const ref = t.traceRef;
    if (ref) {
      if (ref.trace !== this) {
        throw new TraceContextError(
          ref.trace.closed
            ? `a value traced inside "${ref.trace.name}" escaped that transform; return it from the step function instead of keeping it`
            : `a value from the outer transform "${ref.trace.name}" was used inside "${this.name}"; pass it as an argument or read it from a State`,
        );
      }
      return ref.id;
    }
    const h = t.toHost();
    const first = h.data[0] ?? 0;
    // a uniform concrete array is a literal; anything else is captured and uploaded once
    if (sizeOf(h.shape) > 0 && !this.keepCaptured?.(t) && h.data.every((v) => v === first || (Number.isNaN(v) && Number.isNaN(first)))) {
      return this.#push('const', [], { value: first }, h).traceRef!.id;
    }
    let id = this.#capturedIds.get(h);
    if (id === undefined) {
      const index = this.captured.length;
      this.captured.push(h);
      this.capturedTensors.push(t);
      id = this.input({ kind: 'captured', index }, h).traceRef!.id;
      this.#capturedIds.set(h, id);
    }
    return id;
  }

  #push<O extends Op>(op: O, src: number[], arg: OpArgs[O], aval: Aval): Tensor {
    if (this.#closed && !this.#building) throw new TraceContextError(`trace ${this.name} is closed`);
    const id = this.nodes.length;
    this.nodes.push({ id, op, src, arg, dtype: aval.dtype, shape: [...aval.shape] } as Node);
    const at = userFrame();
    if (at) this.where.set(id, at);
    return Tensor.traced(this, id, aval);
  }
}
