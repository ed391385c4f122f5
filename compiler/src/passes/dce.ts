/**
 * dce: drop every node that no output needs.
 * Pre: a verified graph. Post: every node reaches an output; order and outputs unchanged.
 */
import { compact, type Graph } from '../ir/graph.ts';
import type { Pass } from './pass.ts';

export const dce: Pass = {
  name: 'dce',
  run(g: Graph): Graph {
    const live = new Uint8Array(g.nodes.length);
    for (const o of g.outputs) live[o.node] = 1;
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      if (!live[i]) continue;
      for (const s of g.node(i).src) live[s] = 1;
    }
    return compact(g, g.nodes.filter((n) => live[n.id]), g.outputs);
  },
};
