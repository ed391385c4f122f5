/**
 * The graph pipeline, as one flat list: fold, merge, prune. `verifyEach` runs the verifier after
 * every pass (tests turn it on); `dump` receives each stage's text (the CLI's inspect).
 */
import type { Graph } from '../ir/graph.ts';
import { constFold } from './const-fold.ts';
import { cse } from './cse.ts';
import { dce } from './dce.ts';
import type { Pass } from './pass.ts';
import { verify } from './verify.ts';

export const GRAPH_PASSES: readonly Pass[] = [constFold, cse, dce];

export interface PipelineOptions {
  verifyEach?: boolean;
  dump?: (stage: string, g: Graph) => void;
}

export function optimize(g: Graph, opts: PipelineOptions = {}): Graph {
  if (opts.verifyEach) verify(g, 'trace');
  opts.dump?.('trace', g);
  for (const p of GRAPH_PASSES) {
    g = p.run(g);
    if (opts.verifyEach) verify(g, p.name);
    opts.dump?.(p.name, g);
  }
  return g;
}
