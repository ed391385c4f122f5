import type { Graph } from '../ir/graph.ts';

/** A pass is a pure function from graph to graph with a name for dumps and verifier messages. */
export interface Pass {
  readonly name: string;
  run(g: Graph): Graph;
}
