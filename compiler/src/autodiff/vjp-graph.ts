/**
 * vjpGraph: the reverse-mode adjoint of one step graph, as a new Graph.
 *
 * The forward graph is replayed node for node into a fresh Trace (the adjoint recomputes the
 * primal values it needs), then each node's adjoint rule (`Primitive.vjp`) is traced in reverse
 * order. Only nodes that depend on a requested input ("active") and carry an f32 cotangent are
 * visited; `null` from a rule is a symbolic zero and makes no node; fan-out cotangents are
 * accumulated with `add`. The result is DCE'd (forward work no gradient needs disappears).
 * Single step only: no loops, no states over time.
 *
 * Inputs of the adjoint graph: the forward graph's inputs (same sources), plus one
 * `{ kind: 'arg' }` input per output cotangent given as 'input' (indices after the forward's
 * largest arg index). Outputs: `y#i` = the gradient for `wrt[i]` (zeros when nothing reaches it).
 */
import { SpiketraceError } from '../errors.ts';
import { Graph } from '../ir/graph.ts';
import type { Node } from '../ir/node.ts';
import type { InputSource } from '../ir/ops.ts';
import { shapeEq, shapeStr } from '../ir/shape.ts';
import { dce } from '../passes/dce.ts';
import { prim } from '../primitives/index.ts';
import { isNonDifferentiable, type HostArray, type VjpRule } from '../primitives/types.ts';
import * as ops from '../trace/ops.ts';
import { Tensor } from '../trace/tensor.ts';
import { Trace } from '../trace/trace.ts';

/** A gradient was asked for where none is defined. */
export class GradError extends SpiketraceError {
  override name = 'GradError';
}

/** The cotangent of one output: a literal, a concrete array, a new input of the adjoint graph, or zero. */
export type OutputCotangent = number | Tensor | 'input' | null;

export interface VjpResult {
  /** The adjoint graph: output `y#i` is the gradient for `wrt[i]`. */
  graph: Graph;
  /** For each forward output given as 'input': the adjoint graph's input source that carries its cotangent. */
  cotangentInputs: { output: number; source: InputSource }[];
  /** Arrays the adjoint trace captured itself (indices after the forward's captured inputs); normally empty. */
  captured: HostArray[];
  /** Nodes recorded by the reverse sweep (before DCE): what the rules added. */
  adjointNodes: number;
}

function sameSource(a: InputSource, b: InputSource): boolean {
  return a.kind === b.kind && a.index === b.index;
}

/**
 * @param wrt the inputs to differentiate with respect to: sources or node ids of `input` nodes (f32)
 * @param cotangents one per `g.outputs` entry
 */
export function vjpGraph(g: Graph, wrt: readonly (InputSource | number)[], cotangents: readonly OutputCotangent[]): VjpResult {
  if (cotangents.length !== g.outputs.length) {
    throw new GradError(`vjpGraph: ${cotangents.length} cotangents for ${g.outputs.length} outputs of graph ${g.name}`);
  }
  const inputs = g.inputs();
  const wrtIds = wrt.map((w) => {
    const n = typeof w === 'number' ? inputs.find((i) => i.id === w) : inputs.find((i) => sameSource(i.arg, w));
    if (!n) throw new GradError(`vjpGraph: graph ${g.name} has no input ${typeof w === 'number' ? `%${w}` : JSON.stringify(w)}`);
    if (n.dtype !== 'f32') throw new GradError(`vjpGraph: cannot differentiate with respect to %${n.id} of dtype ${n.dtype} (only f32 inputs have gradients)`);
    return n.id;
  });

  // depends: reads a requested input through any path; useful: reaches an output that has a
  // cotangent; active: an f32 value that depends on a requested input through f32 values only
  // (integer and bool values carry no cotangent, so casts and comparisons cut the path for free)
  const depends = new Uint8Array(g.nodes.length);
  const active = new Uint8Array(g.nodes.length);
  for (const id of wrtIds) depends[id] = active[id] = 1;
  for (const n of g.nodes) {
    if (n.src.some((s) => depends[s])) depends[n.id] = 1;
    // event_count's integer counts carry a cotangent (its adjoint treats 0/1 spikes as values)
    if ((n.dtype === 'f32' || n.op === 'event_count') && n.src.some((s) => active[s])) active[n.id] = 1;
  }
  const useful = new Uint8Array(g.nodes.length);
  g.outputs.forEach((o, i) => { if (cotangents[i] !== null) useful[o.node] = 1; });
  for (let i = g.nodes.length - 1; i >= 0; i--) if (useful[i]) for (const s of g.node(i).src) useful[s] = 1;
  // a missing rule is an error wherever the op sits between the inputs and the outputs, even
  // when its own output carries no cotangent: a silent zero would hide it
  for (const n of g.nodes) {
    const slot = prim(n.op).vjp;
    if (depends[n.id] && useful[n.id] && isNonDifferentiable(slot)) {
      throw new GradError(`grad: op ${n.op} (node %${n.id} of graph ${g.name}) lies between the differentiated inputs and the outputs, and ${n.op} is not differentiable: ${slot.why}`);
    }
  }

  const forwardCaptured = inputs.filter((n) => n.arg.kind === 'captured').reduce((m, n) => Math.max(m, n.arg.index + 1), 0);
  let nextArg = inputs.filter((n) => n.arg.kind === 'arg').reduce((m, n) => Math.max(m, n.arg.index + 1), 0);
  const trace = new Trace(`${g.name}_vjp`);
  const cotangentInputs: { output: number; source: InputSource }[] = [];
  let adjointNodes = 0;

  const graph = trace.run(() => {
    const vals: Tensor[] = [];
    for (const n of g.nodes) {
      vals[n.id] = n.op === 'input' ? trace.input((n as Node<'input'>).arg, n) : trace.add(n.op, n.src.map((s) => vals[s] as Tensor), n.arg as never, n);
    }
    const before = trace.nodes.length;
    const cts = new Map<number, Tensor>();
    const accumulate = (id: number, ct: Tensor): void => {
      const prev = cts.get(id);
      cts.set(id, prev ? ops.add(prev, ct) : ct);
    };
    g.outputs.forEach((o, i) => {
      const spec = cotangents[i];
      if (spec === null || spec === undefined) return;
      const n = g.node(o.node);
      if (n.dtype !== 'f32') throw new GradError(`vjpGraph: output ${i} (%${n.id}) has dtype ${n.dtype}; only f32 outputs take a cotangent`);
      let ct: Tensor;
      if (spec === 'input') {
        const source: InputSource = { kind: 'arg', index: nextArg++ };
        cotangentInputs.push({ output: i, source });
        ct = trace.input(source, { dtype: 'f32', shape: n.shape });
      } else if (typeof spec === 'number') {
        ct = Tensor.full(n.shape, spec, 'f32');
      } else {
        if (!shapeEq(spec.shape, n.shape) || spec.dtype !== 'f32') {
          throw new GradError(`vjpGraph: cotangent of output ${i} is ${spec.dtype}${shapeStr(spec.shape)}, the output is f32${shapeStr(n.shape)}`);
        }
        ct = spec;
      }
      if (active[n.id]) accumulate(n.id, ct);
    });

    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const ct = cts.get(i);
      const n = g.node(i);
      if (!ct || n.op === 'input') continue;
      const rule = prim(n.op).vjp as VjpRule<typeof n.op>;
      const needs = n.src.map((s) => active[s] === 1);
      if (!needs.some(Boolean)) continue;
      const res = rule({ inputs: n.src.map((s) => vals[s] as Tensor), out: vals[i] as Tensor, ct, arg: n.arg as never, needs });
      n.src.forEach((s, k) => {
        const c = res[k];
        if (!c || !needs[k]) return;
        const sn = g.node(s);
        if (!shapeEq(c.shape, sn.shape) || c.dtype !== 'f32') {
          throw new Error(`vjp rule of ${n.op}: cotangent ${c.dtype}${shapeStr(c.shape)} for operand ${k} of %${n.id}, expected f32${shapeStr(sn.shape)}`);
        }
        accumulate(s, c);
      });
    }
    const grads = wrtIds.map((id) => cts.get(id) ?? Tensor.full(g.node(id).shape, 0, 'f32'));
    const out = trace.toGraph(grads);
    adjointNodes = trace.nodes.length - before;
    return out;
  });

  // arrays the adjoint trace captured itself are numbered after the forward's captured inputs
  const fresh = new Set(trace.nodes.slice(g.nodes.length).filter((n) => n.op === 'input' && (n as Node<'input'>).arg.kind === 'captured').map((n) => n.id));
  const nodes = graph.nodes.map((n) => (fresh.has(n.id)
    ? { ...n, arg: { kind: 'captured', index: forwardCaptured + (n as Node<'input'>).arg.index } } as Node
    : n));
  return {
    graph: dce.run(new Graph(nodes, graph.outputs, graph.name)),
    cotangentInputs,
    captured: trace.captured,
    adjointNodes,
  };
}

/** The gradient graph of a scalar output `output` (cotangent 1) with respect to `wrt`. */
export function gradGraph(g: Graph, wrt: readonly (InputSource | number)[], output = 0): VjpResult {
  const o = g.outputs[output];
  if (!o) throw new GradError(`gradGraph: graph ${g.name} has no output ${output}`);
  const n = g.node(o.node);
  if (n.shape.length !== 0) throw new GradError(`gradGraph: output ${output} has shape ${shapeStr(n.shape)}; grad needs a scalar (use vjpGraph with a cotangent)`);
  return vjpGraph(g, wrt, g.outputs.map((_, i) => (i === output ? 1 : null)));
}
