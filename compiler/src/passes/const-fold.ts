/**
 * constFold: constant folding and unit-scale folding.
 * Pre: a verified graph. Post: same outputs, and
 *  1. every node whose operands are all literals becomes a literal (when the result is uniform);
 *  2. identities vanish: x*1, x/1, x+0, x-0 (when they do not broadcast x);
 *  3. chains of scalings merge: (x*c1)*c2 -> x*(c1*c2), which is how unit conversions fold away;
 *  4. event_count of literal-zero spikes is literal zero whatever its (captured) connectivity;
 *  5. take_row of a literal array is that literal, whatever the row.
 */
import { compact, type Graph } from '../ir/graph.ts';
import type { Node } from '../ir/node.ts';
import { GLOBAL, TIME_VARYING } from '../ir/ops.ts';
import { shapeEq, sizeOf, tryBroadcast } from '../ir/shape.ts';

/** Largest literal array a global op is folded over at compile time. */
const FOLD_LIMIT = 1 << 20;
import { prim } from '../primitives/index.ts';
import type { HostArray } from '../primitives/types.ts';
import type { Pass } from './pass.ts';

export const constFold: Pass = {
  name: 'const-fold',
  run(g: Graph): Graph {
    const out: Node[] = [];
    const byId = new Map<number, Node>();
    const repl = new Map<number, number>();
    let fresh = g.nodes.length;
    const emit = (n: Node): Node => {
      out.push(n);
      byId.set(n.id, n);
      return n;
    };
    const litOf = (id: number): number | undefined => {
      const n = byId.get(id);
      return n && n.op === 'const' ? (n as Node<'const'>).arg.value : undefined;
    };
    for (const orig of g.nodes) {
      const n: Node = { ...orig, src: orig.src.map((s) => repl.get(s) ?? s) };
      if (n.op === 'input' || n.op === 'const' || TIME_VARYING.has(n.op)) {
        emit(n);
        continue;
      }
      const lits = n.src.map(litOf);
      // 1. all-literal operands
      if (lits.every((v) => v !== undefined)) {
        // elementwise ops of literals evaluate on one element; global ops need the real shapes
        const global = GLOBAL.has(n.op);
        const folded = global && n.src.some((s) => sizeOf((byId.get(s) as Node).shape) > FOLD_LIMIT) ? undefined : (() => {
          const srcs: HostArray[] = n.src.map((s) => {
            const c = byId.get(s) as Node<'const'>;
            return prim('const').evalCpu([], c.arg, { dtype: c.dtype, shape: global ? c.shape : [] });
          });
          const r = prim(n.op).evalCpu(srcs, n.arg as never, { dtype: n.dtype, shape: global ? n.shape : [] });
          const v = r.data[0] as number;
          return r.data.every((x) => Object.is(x, v)) ? v : undefined;
        })();
        if (folded !== undefined) {
          emit({ id: n.id, op: 'const', src: [], dtype: n.dtype, shape: n.shape, arg: { value: folded } } as Node);
          continue;
        }
      }
      // 4. no spikes, no events (the indices are usually a captured array, not a literal)
      if (n.op === 'event_count' && lits[0] === 0) {
        emit({ id: n.id, op: 'const', src: [], dtype: n.dtype, shape: n.shape, arg: { value: 0 } } as Node);
        continue;
      }
      // 5. every row of a uniform array is the same
      if (n.op === 'take_row' && lits[0] !== undefined) {
        emit({ id: n.id, op: 'const', src: [], dtype: n.dtype, shape: n.shape, arg: { value: lits[0] } } as Node);
        continue;
      }
      // 2. identities
      const [a, b] = n.src as [number, number];
      const x = byId.get(a);
      const identity =
        ((n.op === 'mul' || n.op === 'div') && lits[1] === 1) || ((n.op === 'add' || n.op === 'sub') && lits[1] === 0)
          ? x
          : (n.op === 'mul' && lits[0] === 1) || (n.op === 'add' && lits[0] === 0)
            ? byId.get(b)
            : undefined;
      if (identity && identity.dtype === n.dtype && shapeEq(identity.shape, n.shape)) {
        repl.set(n.id, identity.id);
        continue;
      }
      // 3. (y * c1) * c2 in either operand order
      if (n.op === 'mul' && n.dtype === 'f32') {
        const outer = lits[1] !== undefined ? 1 : lits[0] !== undefined ? 0 : -1;
        if (outer >= 0) {
          const c2 = lits[outer] as number;
          const inner = byId.get(n.src[1 - outer] as number);
          if (inner && inner.op === 'mul') {
            const il = inner.src.map(litOf);
            const k = il[1] !== undefined ? 1 : il[0] !== undefined ? 0 : -1;
            if (k >= 0) {
              const c1Node = byId.get(inner.src[k] as number) as Node;
              const y = inner.src[1 - k] as number;
              const cShape = tryBroadcast(c1Node.shape, (byId.get(n.src[outer] as number) as Node).shape) as number[];
              const value = Math.fround((il[k] as number) * c2);
              const yNode = byId.get(y) as Node;
              if (value === 1 && yNode.dtype === n.dtype && shapeEq(yNode.shape, n.shape)) {
                repl.set(n.id, y);
                continue;
              }
              const c = emit({ id: fresh++, op: 'const', src: [], dtype: 'f32', shape: cShape, arg: { value } } as Node);
              emit({ ...n, src: [y, c.id] });
              continue;
            }
          }
        }
      }
      emit(n);
    }
    const outputs = g.outputs.map((o) => ({ ...o, node: repl.get(o.node) ?? o.node }));
    return compact(g, out, outputs);
  },
};
