/**
 * signTests: a sign test of a value scaled by a positive literal tests the value itself:
 * heaviside(y / c), heaviside(y * c) and (y / c) >= 0 (also >, <, <=) with c > 0 become
 * heaviside(y) and y >= 0.
 *
 * Why: GPU shader compilers may rewrite arithmetic without IEEE's rules (Vulkan lets a driver
 * distribute and contract unless an expression is marked NoContraction, which WGSL cannot ask for).
 * NVIDIA's turns (V - V_th) / 10 into fma(V, 0.1, -V_th * 0.1), which is -7e-8, not 0, at
 * V = V_th: a neuron exactly at threshold did not spike on an H100 while the CPU reference and
 * lavapipe said it did. A difference of two nearby floats is exact (Sterbenz), and dividing it by a
 * positive number keeps its sign, so the test on y is the same answer without the knife edge. The
 * two differ only where y / c underflows to zero (|y| < c * 2^-149), which GPUs flush anyway.
 *
 * Kernel-only: heaviside's adjoint evaluates the surrogate at its operand, and `grad` differentiates
 * the optimized graph, so this runs in `lower` (after any differentiation), not in GRAPH_PASSES.
 * Pre: a verified graph. Post: same outputs and node numbers (the WGSL's vN and the temps' %N still
 * name the optimized graph's nodes, as `spiketrace inspect` prints it); rewritten tests read the
 * unscaled value; a scaling nothing reads any more stays in the graph, and no kernel emits it.
 */
import { Graph } from '../ir/graph.ts';
import type { Node } from '../ir/node.ts';
import { shapeEq } from '../ir/shape.ts';
import type { Pass } from './pass.ts';

const ORDERED = new Set(['ge', 'gt', 'le', 'lt']);

export const signTests: Pass = {
  name: 'sign-tests',
  run(g: Graph): Graph {
    const nodes = g.nodes.slice();
    const positiveLiteral = (id: number): boolean => {
      const n = nodes[id] as Node;
      if (n.op !== 'const') return false;
      const v = (n as Node<'const'>).arg.value;
      return Number.isFinite(v) && v > 0;
    };
    const isZero = (id: number): boolean => {
      const n = nodes[id] as Node;
      return n.op === 'const' && (n as Node<'const'>).arg.value === 0;
    };
    /** y where x = y / c or y * c (either order) with c > 0 and y of x's shape (binary ops keep one dtype), repeatedly; else x. */
    const unscaled = (x: number): number => {
      for (;;) {
        const n = nodes[x] as Node;
        if (n.dtype !== 'f32' || (n.op !== 'div' && n.op !== 'mul')) return x;
        const [a, b] = n.src as [number, number];
        const y = positiveLiteral(b) ? a : n.op === 'mul' && positiveLiteral(a) ? b : undefined;
        if (y === undefined) return x;
        const yn = nodes[y] as Node;
        if (!shapeEq(yn.shape, n.shape)) return x;
        x = y;
      }
    };
    let changed = false;
    for (const n of g.nodes) {
      let src: number[] | undefined;
      if (n.op === 'heaviside') {
        const y = unscaled(n.src[0] as number);
        if (y !== n.src[0]) src = [y];
      } else if (ORDERED.has(n.op)) {
        const [a, b] = n.src as [number, number];
        const [ya, yb] = [unscaled(a), unscaled(b)];
        if (isZero(b) && ya !== a) src = [ya, b];
        else if (isZero(a) && yb !== b) src = [a, yb];
      }
      if (src) {
        nodes[n.id] = { ...n, src } as Node;
        changed = true;
      }
    }
    return changed ? new Graph(nodes, g.outputs, g.name) : g;
  },
};
