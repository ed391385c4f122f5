/**
 * The verifier: checks the IR's invariants and names the first node that breaks one, with the
 * pass that produced it. Tests run it after every pass.
 *  - ids are dense and equal to positions; every src refers to an earlier node (SSA dominance)
 *  - each non-source node's dtype and shape equal what its primitive's rule infers
 *  - outputs name existing nodes; a state's write has the dtype and shape of its read
 */
import type { Graph } from '../ir/graph.ts';
import { formatNode } from '../ir/graph.ts';
import type { Node } from '../ir/node.ts';
import type { InputSource } from '../ir/ops.ts';
import { shapeEq, shapeStr } from '../ir/shape.ts';
import { VerifyError } from '../errors.ts';
import { prim } from '../primitives/index.ts';

export function verify(g: Graph, after = 'trace'): void {
  const fail = (n: Node | undefined, msg: string): never => {
    throw new VerifyError(`after ${after}: ${n ? `node ${formatNode(n)}: ` : ''}${msg}`);
  };
  g.nodes.forEach((n, i) => {
    if (n.id !== i) fail(n, `id ${n.id} at position ${i}`);
    for (const s of n.src) if (!(s >= 0 && s < i)) fail(n, `operand %${s} does not come before it`);
    if (n.op === 'input' || n.op === 'const' || n.op === 'rand_uniform') {
      if (n.src.length) fail(n, `${n.op} takes no operands`);
      return;
    }
    let inferred;
    try {
      inferred = prim(n.op).infer(n.src.map((s) => g.nodes[s] as Node), n.arg as never);
    } catch (e) {
      return fail(n, (e as Error).message);
    }
    if (inferred.dtype !== n.dtype || !shapeEq(inferred.shape, n.shape)) {
      fail(n, `rule gives ${inferred.dtype}${shapeStr(inferred.shape)}`);
    }
  });
  const stateReads = new Map<number, Node>();
  for (const n of g.nodes) {
    const src = n.arg as InputSource;
    if (n.op === 'input' && src.kind === 'state') stateReads.set(src.index, n);
  }
  for (const o of g.outputs) {
    const n = g.nodes[o.node];
    if (!n) fail(undefined, `output ${o.kind}#${o.index} names missing node %${o.node}`);
    const r = o.kind === 'state' ? stateReads.get(o.index) : undefined;
    if (n && r && (r.dtype !== n.dtype || !shapeEq(r.shape, n.shape))) {
      fail(n, `written to state#${o.index} whose value is ${r.dtype}${shapeStr(r.shape)}`);
    }
  }
}
