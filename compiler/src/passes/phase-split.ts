/**
 * phaseSplit: cut a step into phases at every global dependency.
 * A global op (reduction, reshape, event_count) reads across elements, so its operand must be complete in
 * memory first: it starts a new phase. Elementwise nodes join the latest phase of their operands.
 *  1. phase(input) = phase(const) = 0
 *  2. phase(elementwise n) = max phase of its operands
 *  3. phase(global n) = 1 + max phase of its operands
 * Pre: a verified graph. Post: `phaseOf[id]` for every node; the graph itself is unchanged.
 */
import type { Graph } from '../ir/graph.ts';
import { GLOBAL } from '../ir/ops.ts';

export interface Phases {
  readonly phaseOf: Int32Array;
  readonly count: number;
}

export function phaseSplit(g: Graph): Phases {
  const phaseOf = new Int32Array(g.nodes.length);
  let count = 1;
  for (const n of g.nodes) {
    let p = 0;
    for (const s of n.src) p = Math.max(p, phaseOf[s] as number);
    if (GLOBAL.has(n.op)) p += 1;
    phaseOf[n.id] = p;
    count = Math.max(count, p + 1);
  }
  return { phaseOf, count };
}
