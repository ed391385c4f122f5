/**
 * cse: merge nodes that compute the same thing (same op, arg, dtype, shape and operands).
 * Pre: a verified graph. Post: no two pure nodes are structurally equal; outputs repointed.
 * Inputs are distinct by their source, so two reads of one state merge too.
 */
import { compact, type Graph } from '../ir/graph.ts';
import type { Node } from '../ir/node.ts';
import { IMPURE } from '../ir/ops.ts';
import type { Pass } from './pass.ts';

export const cse: Pass = {
  name: 'cse',
  run(g: Graph): Graph {
    const seen = new Map<string, number>();
    const repl = new Map<number, number>();
    const kept: Node[] = [];
    for (const n of g.nodes) {
      const src = n.src.map((s) => repl.get(s) ?? s);
      const key = `${n.op}|${argKey(n.arg)}|${n.dtype}|${n.shape.join(',')}|${src.join(',')}`;
      const prev = IMPURE.has(n.op) ? undefined : seen.get(key);
      if (prev !== undefined) {
        repl.set(n.id, prev);
        continue;
      }
      seen.set(key, n.id);
      kept.push({ ...n, src });
    }
    const outputs = g.outputs.map((o) => ({ ...o, node: repl.get(o.node) ?? o.node }));
    return compact(g, kept, outputs);
  },
};

/** A key for an op's arg that keeps what JSON loses: NaN, the infinities, and -0. */
function argKey(arg: unknown): string {
  return JSON.stringify(arg, (_k, v: unknown) =>
    typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? `#num:${Object.is(v, -0) ? '-0' : String(v)}` : v);
}
