/**
 * carriedValues: values a temporally fused loop can carry instead of recomputing.
 * If a node A is a pure function f of the States at step entry, and a node B applies the same f
 * to the States the step writes, then A at step t+1 equals B at step t, bit for bit. A fused
 * kernel keeps B in a register and reads it as A on the next iteration (A is computed once,
 * before the loop). For LIF this turns "spike of the stored V" into the spike the previous
 * step already computed.
 *  1. key every node as an expression over written States (S<k>) and literals, reading the
 *     inputs once as step-entry values and once as the step's written values;
 *  2. pair each entry-side node with a write-side node of the same key.
 * Pre: an optimized graph. Post: a map A -> B (never the States themselves).
 */
import type { Graph } from '../ir/graph.ts';
import { TIME_VARYING, type InputSource } from '../ir/ops.ts';

export function carriedValues(g: Graph): Map<number, number> {
  const written = new Map<number, number>(); // state slot -> output node
  for (const o of g.outputs) if (o.kind === 'state') written.set(o.index, o.node);
  const entryInput = new Map<number, number>(); // input node -> slot
  for (const n of g.nodes) {
    const s = n.arg as InputSource;
    if (n.op === 'input' && s.kind === 'state' && written.has(s.index)) entryInput.set(n.id, s.index);
  }
  const writeNode = new Map<number, number>([...written].map(([slot, node]) => [node, slot]));
  const keyOf = (side: 'entry' | 'write'): (string | null)[] => {
    const keys: (string | null)[] = [];
    for (const n of g.nodes) {
      const slot = side === 'entry' ? entryInput.get(n.id) : writeNode.get(n.id);
      let k: string | null;
      if (slot !== undefined) k = `S${slot}`;
      else if (n.op === 'const') k = `c(${String(n.arg && (n.arg as { value: number }).value)}:${n.dtype}[${n.shape.join(',')}])`;
      else if (n.op === 'input' || TIME_VARYING.has(n.op)) k = null;
      else {
        const srcs = n.src.map((s) => keys[s] ?? null);
        k = srcs.some((x) => x === null) ? null : `${n.op}${JSON.stringify(n.arg)}:${n.dtype}[${n.shape.join(',')}](${srcs.join(',')})`;
      }
      keys.push(k);
    }
    return keys;
  };
  const entry = keyOf('entry'), write = keyOf('write');
  const byWriteKey = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    const k = write[i];
    if (k && !writeNode.has(n.id) && n.op !== 'const' && !byWriteKey.has(k)) byWriteKey.set(k, n.id);
  });
  const pairs = new Map<number, number>();
  g.nodes.forEach((n, i) => {
    const k = entry[i];
    if (!k || entryInput.has(n.id) || n.op === 'const') return;
    const b = byWriteKey.get(k);
    if (b !== undefined && b !== n.id) pairs.set(n.id, b);
  });
  return pairs;
}
