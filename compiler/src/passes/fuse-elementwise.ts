/**
 * fuseElementwise: turn a phased graph into kernels.
 *  1. Materialize: a node is kept in memory when a global op reads it, when it is a global op's
 *     result, or when a later phase reads it and recomputing it there would cost more than
 *     RECOMPUTE_MAX_COST (see recomputable). Inputs already live in buffers; literals are inlined.
 *  2. Roots of phase p: its materialized elementwise nodes plus the outputs it owns.
 *  3. Group the roots by iteration shape (largest first; a root joins a group whose shape it
 *     broadcasts into). Each group is one kernel that computes, per element, every node the roots
 *     need inside phase p and every earlier elementwise node that is not materialized (it is
 *     recomputed), loading whatever lies outside (inputs, global results, earlier temps).
 *  4. Each global node is a kernel of its own, run at the start of its phase; it stores the graph
 *     outputs that are its result itself, and keeps a temp only if a node reads it.
 * Post: kernels in execution order; every output stored exactly once.
 */
import type { Graph } from '../ir/graph.ts';
import { ELEMENTWISE, GLOBAL } from '../ir/ops.ts';
import { broadcastsInto, sizeOf, tryBroadcast, type Shape } from '../ir/shape.ts';
import type { Phases } from './phase-split.ts';

export type StoreTarget = { kind: 'temp' } | { kind: 'output'; output: number };

export interface ElementwiseKernelSpec {
  kind: 'elementwise';
  phase: number;
  /** Iteration shape: one invocation per element. */
  shape: Shape;
  /** Nodes computed in the kernel, in graph order (literals included). */
  nodes: number[];
  /** Nodes read from memory (inputs, global results, temps of earlier phases). */
  loads: number[];
  stores: { node: number; target: StoreTarget }[];
}

export interface GlobalKernelSpec {
  kind: 'global';
  phase: number;
  node: number;
  /** Graph outputs that are this node: the kernel stores them itself (no copy kernel after it). */
  outputs: number[];
  /** Some node reads the result, so it is also stored in its temp. */
  temp: boolean;
  /**
   * event_count only: its spike operand is not stored but computed where the kernel reads it (at
   * the invocation's own (batch, pre) element): these nodes in graph order, loading `loads`.
   */
  operand?: { nodes: number[]; loads: number[] };
}

export type KernelSpec = ElementwiseKernelSpec | GlobalKernelSpec;

export interface FusedStep {
  kernels: KernelSpec[];
  /** Nodes that need a temp buffer (materialized, not inputs). */
  temps: number[];
}

/**
 * Most cost (in simple-op units, see opCost) of an earlier phase's elementwise value that a later
 * kernel recomputes instead of loading. A temp costs a store, a load and a buffer; on a GPU running
 * a small network in one workgroup each memory round trip is latency the step waits for, while a
 * few arithmetic ops are nearly free. Recomputing reads the same inputs and rounds the same way, so
 * results are unchanged.
 */
export const RECOMPUTE_MAX_COST = 16;
/** Most distinct values a recomputed cone may load (each replaces the one load of the temp). */
export const RECOMPUTE_MAX_LOADS = 4;

const EXPENSIVE = new Set(['exp', 'expm1', 'exprel', 'log', 'log1p', 'sin', 'cos', 'tanh', 'sigmoid', 'pow', 'sqrt', 'rsqrt', 'heaviside']);

function opCost(op: string): number {
  return op === 'rand_uniform' ? 8 : EXPENSIVE.has(op) ? 4 : op === 'const' ? 0 : 1;
}

/**
 * Whether elementwise node `id` (of an earlier phase than a reader) is cheap enough to recompute:
 * its cone, up to materialized values and inputs, costs at most RECOMPUTE_MAX_COST and loads at
 * most RECOMPUTE_MAX_LOADS values. The cone runs through earlier phases too (values recomputed
 * there are recomputed again here), so nested recomputation stays within the same bound.
 */
function recomputable(g: Graph, kept: ReadonlySet<number>, id: number): boolean {
  const seen = new Set<number>();
  const loads = new Set<number>();
  let cost = 0;
  const stack = [id];
  while (stack.length) {
    const x = stack.pop() as number;
    if (seen.has(x)) continue;
    seen.add(x);
    const n = g.node(x);
    if (n.op === 'const') continue;
    if (n.op === 'input' || (x !== id && kept.has(x)) || !ELEMENTWISE.has(n.op)) {
      loads.add(x);
      continue;
    }
    cost += opCost(n.op);
    stack.push(...n.src);
  }
  return cost <= RECOMPUTE_MAX_COST && loads.size <= RECOMPUTE_MAX_LOADS;
}

/** Ops whose WGSL helpers hold multiply-adds of their own (Horner series, a - b floor(a / b)). */
const CONTRACTED_INSIDE = new Set(['exprel', 'expm1', 'log1p']);

/**
 * The nodes a driver may contract into fused multiply-adds in one kernel and not in another, so
 * that two evaluations of one of them may disagree: sums with a product operand (possibly
 * negated), and ops whose helpers contain multiply-adds (exprel, expm1, log1p, f32 mod).
 */
function contractedSums(g: Graph): Set<number> {
  const product = (x: number): boolean => g.node(x).op === 'mul' || (g.node(x).op === 'neg' && product(g.node(x).src[0] as number));
  return new Set(g.nodes.filter((n) => (['add', 'sub'].includes(n.op) && n.src.some(product)) || CONTRACTED_INSIDE.has(n.op) || (n.op === 'mod' && n.dtype === 'f32')).map((n) => n.id));
}

export interface FuseOptions {
  /**
   * Earlier-phase values read by later kernels: 'safe' (default) recomputes the cheap ones whose
   * cone has no product feeding a sum, 'all' every cheap one, 'none' stores them all.
   */
  recompute?: 'safe' | 'all' | 'none';
}

export function fuseElementwise(g: Graph, phases: Phases, opts: FuseOptions = {}): FusedStep {
  const { phaseOf } = phases;
  const isEw = (id: number) => ELEMENTWISE.has(g.node(id).op);
  // 1. materialize: global results and operands first, then what later phases read and cannot recompute
  const temp = new Set<number>();
  const later = new Set<number>();
  // a global op's result that is a graph output is stored by its own kernel (event_count's counts
  // come from atomics, so they are copied out by an elementwise kernel)
  const direct = new Map<number, number[]>();
  g.outputs.forEach((o, i) => {
    const op = g.node(o.node).op;
    if (GLOBAL.has(op) && op !== 'event_count') direct.set(o.node, [...(direct.get(o.node) ?? []), i]);
  });
  // event_count reads its spikes at its own (batch, pre) element, so it can compute them itself
  const spikeOperands = new Set<number>();
  for (const n of g.nodes) {
    if (GLOBAL.has(n.op) && !direct.has(n.id)) temp.add(n.id);
    n.src.forEach((s, k) => {
      const sn = g.node(s);
      if (sn.op === 'input' || sn.op === 'const') return;
      if (GLOBAL.has(sn.op)) temp.add(s);
      if (n.op === 'event_count' && k === 0 && ELEMENTWISE.has(sn.op)) spikeOperands.add(s);
      else if (GLOBAL.has(n.op)) temp.add(s);
      else if ((phaseOf[s] as number) < (phaseOf[n.id] as number)) later.add(s);
    });
  }
  const decide = (s: number) => !temp.has(s) && (opts.recompute === 'none' || !recomputable(g, temp, s));
  for (const s of [...new Set([...later, ...spikeOperands])].sort((a, b) => a - b)) if (decide(s)) temp.add(s);
  // 'safe': a contracted node must not be recomputed beside another evaluation. Build the kernels;
  // one that a later phase's kernel recomputes while another kernel (of its own phase or a later
  // one, a spike operand's cone included) computes it too is stored instead, and the kernels are
  // built again, until none is. One evaluation may be the recomputation itself: COBA's decayed
  // conductances and reset V are recomputed where they are used, not stored by a kernel of their
  // own. (Kernels of one phase with different shapes each compute that phase's nodes they need,
  // stored or not: they cannot read each other's stores. That was so before and is not covered.)
  const contracted = opts.recompute === 'all' ? new Set<number>() : contractedSums(g);
  for (;;) {
    const kernels = build();
    const own = new Map<number, number>();
    const later = new Map<number, number>();
    for (const k of kernels) {
      const computed = k.kind === 'elementwise' ? k.nodes : (k.operand?.nodes ?? []);
      for (const x of computed) {
        if (!contracted.has(x) || temp.has(x)) continue;
        const m = k.phase > (phaseOf[x] as number) ? later : own;
        m.set(x, (m.get(x) ?? 0) + 1);
      }
    }
    const twice = [...later].filter(([x, n]) => n > 1 || own.has(x)).map(([x]) => x);
    if (twice.length === 0) return { kernels, temps: [...temp].sort((a, b) => a - b) };
    for (const x of twice) temp.add(x);
  }

  function build(): KernelSpec[] {
    // what a kernel computes to get `roots` (literals, and elementwise nodes `computes` accepts) and
    // what it loads (everything else)
    const cone = (roots: number[], computes: (id: number) => boolean): { nodes: number[]; loads: number[] } => {
      const nodes = new Set<number>();
      const loads = new Set<number>();
      const visit = (id: number): void => {
        if (nodes.has(id) || loads.has(id)) return;
        const n = g.node(id);
        if (n.op === 'const' || (ELEMENTWISE.has(n.op) && computes(id))) {
          nodes.add(id);
          n.src.forEach(visit);
        } else loads.add(id);
      };
      roots.forEach(visit);
      return { nodes: [...nodes].sort((a, b) => a - b), loads: [...loads].sort((a, b) => a - b) };
    };
    // 2. roots per phase
    const roots: { node: number; target: StoreTarget }[][] = Array.from({ length: phases.count }, () => []);
    for (const id of temp) if (isEw(id)) roots[phaseOf[id] as number]!.push({ node: id, target: { kind: 'temp' } });
    g.outputs.forEach((o, i) => {
      if (direct.has(o.node)) return;
      roots[phaseOf[o.node] as number]!.push({ node: o.node, target: { kind: 'output', output: i } });
    });
    const kernels: KernelSpec[] = [];
    for (let p = 0; p < phases.count; p++) {
      for (const n of g.nodes) {
        if (!GLOBAL.has(n.op) || phaseOf[n.id] !== p) continue;
        const spec: GlobalKernelSpec = { kind: 'global', phase: p, node: n.id, outputs: direct.get(n.id) ?? [], temp: temp.has(n.id) };
        const s = n.src[0] as number;
        if (n.op === 'event_count' && spikeOperands.has(s) && !temp.has(s)) spec.operand = cone([s], (id) => id === s || !temp.has(id));
        kernels.push(spec);
      }
      // 3. group by iteration shape
      // largest first; among equal sizes the higher rank first, so [] joins a [1] group
      const rs = [...(roots[p] ?? [])].sort((a, b) => {
        const sa = g.node(a.node).shape, sb = g.node(b.node).shape;
        return sizeOf(sb) - sizeOf(sa) || sb.length - sa.length || a.node - b.node;
      });
      const groups: { shape: Shape; stores: { node: number; target: StoreTarget }[] }[] = [];
      for (const r of rs) {
        const sh = g.node(r.node).shape;
        let grp = groups.find((gr) => broadcastsInto(sh, gr.shape));
        if (!grp) {
          grp = { shape: tryBroadcast(sh) ?? sh, stores: [] };
          groups.push(grp);
        }
        grp.stores.push(r);
      }
      for (const grp of groups) {
        // this phase's elementwise nodes, and earlier ones that are not materialized (recomputed)
        const { nodes, loads } = cone(grp.stores.map((r) => r.node), (id) => phaseOf[id] === p || !temp.has(id));
        kernels.push({ kind: 'elementwise', phase: p, shape: grp.shape, nodes, loads, stores: grp.stores.sort((a, b) => a.node - b.node) });
      }
    }
    return kernels;
  }
}
