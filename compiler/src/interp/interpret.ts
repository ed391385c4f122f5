/**
 * The reference interpreter: evaluates a Graph node by node through each primitive's CPU
 * reference. It is the oracle every WGSL path is tested against, and it runs whole loops on the
 * CPU when a transform is asked for the 'interpret' lowering.
 */
import type { Graph } from '../ir/graph.ts';
import type { InputSource } from '../ir/ops.ts';
import { formatSource } from '../ir/graph.ts';
import { shapeEq, shapeStr } from '../ir/shape.ts';
import { prim } from '../primitives/index.ts';
import type { HostArray } from '../primitives/types.ts';

export type InputBinder = (source: InputSource) => HostArray;

export interface StepResult {
  states: Map<number, HostArray>;
  ys: HostArray[];
  carries: HostArray[];
}

/** One step of `g`; `step` is the step index (what time-varying ops such as rand_uniform see). */
export function interpretStep(g: Graph, bindInput: InputBinder, step = 0): StepResult {
  const vals: HostArray[] = new Array(g.nodes.length);
  for (const n of g.nodes) {
    if (n.op === 'input') {
      const src = (n.arg as InputSource);
      const v = bindInput(src);
      if (!shapeEq(v.shape, n.shape) || v.dtype !== n.dtype) {
        throw new Error(`interpret: ${formatSource(src)} bound to ${v.dtype}${shapeStr(v.shape)}, graph expects ${n.dtype}${shapeStr(n.shape)}`);
      }
      vals[n.id] = v;
      continue;
    }
    const p = prim(n.op);
    vals[n.id] = p.evalCpu(n.src.map((s) => vals[s] as HostArray), n.arg as never, n, step);
  }
  const res: StepResult = { states: new Map(), ys: [], carries: [] };
  for (const o of g.outputs) {
    const v = vals[o.node] as HostArray;
    if (o.kind === 'state') res.states.set(o.index, v);
    else if (o.kind === 'y') res.ys[o.index] = v;
    else res.carries[o.index] = v;
  }
  return res;
}
