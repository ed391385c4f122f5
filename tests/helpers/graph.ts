/** Building step graphs in tests: a Trace plus a few conveniences for inputs, states and carries. */
import { Trace, type DType, type Graph, type HostArray, type Shape, type Tensor, type TypedArray } from '@spiketrace/compiler';

export interface StateHandle {
  read(): Tensor;
  write(v: Tensor): void;
}

export interface TraceKit {
  readonly tr: Trace;
  /** The per-step slice of looped operand k. */
  xs(index: number, dtype: DType, shape: Shape): Tensor;
  /** A State with an initial (concrete) value; its slot is assigned on first read or write. */
  state(name: string, initial: Tensor): StateHandle;
  carry(index: number, dtype: DType, shape: Shape): Tensor;
}

export interface Traced {
  graph: Graph;
  captured: HostArray[];
  /** Initial value per state slot, as the trace saw it. */
  states: Map<number, TypedArray>;
  trace: Trace;
}

export function traceGraph(name: string, body: (k: TraceKit) => { ys: Tensor[]; carries?: Tensor[] }): Traced {
  const tr = new Trace(name);
  const kit: TraceKit = {
    tr,
    xs: (index, dtype, shape) => tr.input({ kind: 'xs', index }, { dtype, shape }),
    carry: (index, dtype, shape) => tr.input({ kind: 'carry', index }, { dtype, shape }),
    state: (nm, initial) => {
      const key = {};
      return {
        read: () => tr.readState(key, nm, initial),
        write: (v) => tr.writeState(key, nm, initial, v),
      };
    },
  };
  const out = tr.run(() => body(kit));
  const graph = tr.toGraph(out.ys, out.carries ?? []);
  const states = new Map<number, TypedArray>(tr.slots.map((s, i) => [i, s.initial.toHost().data]));
  return { graph, captured: [...tr.captured], states, trace: tr };
}
