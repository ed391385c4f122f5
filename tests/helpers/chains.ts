/**
 * Seeded random elementwise step functions ("chains") for differential tests: 15-40 ops mixing
 * unary, binary, compare and where over a per-element state [N], a scalar per-step xs input, a
 * captured [N] array and literals, with every intermediate bounded (|x| <= 4) so that float32
 * rounding differences stay small and cannot blow up.
 */
import { bind, ops, Tensor, type CompareOp, type Graph, type HostArray, type TypedArray } from '@spiketrace/compiler';
import { traceGraph } from './graph.ts';
import { mulberry32, pick, randInt, uniform } from './random.ts';

export interface ChainSpec {
  seed: number;
  /** Elements of each state. */
  n: number;
  /** Random ops (before the state updates). */
  ops: number;
  /** States written each step (1 or 2). */
  states: 1 | 2;
  /** Also thread a scalar scan carry. */
  carry?: boolean;
  /**
   * Compare operands: 'leaves' lets conditions read state values (exact on both sides only at step
   * entry, so use step-local checks); 'exact' restricts them to the xs input, captured data and
   * literals, which are bit-identical on GPU and CPU for the whole run.
   */
  conditions: 'leaves' | 'exact';
  /**
   * Also draw reductions (mean, max over the elements): each starts a new phase, so later ops mix
   * values across phases (materialized or recomputed by the fusion pass).
   */
  reductions?: boolean;
}

export interface Chain {
  graph: Graph;
  captured: HostArray[];
  states: Map<number, TypedArray>;
  carries: TypedArray[];
  /** y index holding each state's new value (state slot -> y). */
  stateY: Map<number, number>;
  /** y index holding the carry's new value, if any. */
  carryY?: number;
  /** Per-step scalar xs data for `steps` steps. */
  xs(steps: number): TypedArray[];
}

interface Entry {
  t: Tensor;
  bound: number;
}

const CMP: CompareOp[] = ['lt', 'le', 'gt', 'ge', 'eq', 'ne'];

export function randomChain(spec: ChainSpec): Chain {
  const rng = mulberry32(spec.seed);
  const v0 = uniform(rng, spec.n, -1, 1, 1e-3);
  const w0 = uniform(rng, spec.n, -1, 1, 1e-3);
  const cap = uniform(rng, spec.n, -1, 1, 1e-3);
  const c0 = Float32Array.from([0.25]);
  const stateY = new Map<number, number>();
  let carryY: number | undefined;
  const t = traceGraph(`chain${spec.seed}`, (k) => {
    const x = k.xs(0, 'f32', []);
    const v = k.state('v', Tensor.fromArray(v0));
    const w = spec.states === 2 ? k.state('w', Tensor.fromArray(w0)) : undefined;
    const carry = spec.carry ? k.carry(0, 'f32', []) : undefined;
    const C = Tensor.fromArray(cap);
    const vr = v.read();
    const wr = w?.read();
    const leaves: Entry[] = [{ t: vr, bound: 1 }, { t: x, bound: 1 }, { t: C, bound: 1 }];
    if (wr) leaves.push({ t: wr, bound: 1 });
    if (carry) leaves.push({ t: carry, bound: 1 });
    const exactLeaves: Entry[] = [{ t: x, bound: 1 }, { t: C, bound: 1 }];
    const pool: Entry[] = [...leaves];
    const lit = (): Tensor => Tensor.scalar(Math.fround(randInt(rng, -12, 12) / 8 || 0.5));
    const condition = (): Tensor => {
      const from = spec.conditions === 'exact' ? exactLeaves : leaves;
      const operand = (): Tensor => (rng() < 0.3 ? lit() : pick(rng, from).t);
      const cmp = () => ops.compare(pick(rng, CMP), operand(), operand());
      const r = rng();
      if (r < 0.6) return cmp();
      if (r < 0.75) return bind('not', [cmp()], null);
      return ops.binary(rng() < 0.5 ? 'and' : 'or', cmp(), cmp());
    };
    const squash = (e: Entry): Entry => (e.bound <= 4 ? e : { t: bind('tanh', [e.t], null), bound: 1 });
    const step = (): Entry => {
      const a = pick(rng, pool);
      const b = pick(rng, pool);
      if (spec.reductions && a.t.shape.length === 1 && a.t.isTraced && rng() < 0.12) {
        return { t: rng() < 0.5 ? ops.mean(a.t) : ops.reduce('rmax', a.t), bound: a.bound };
      }
      const r = rng();
      if (r < 0.3) {
        const op = pick(rng, ['tanh', 'sigmoid', 'sin', 'cos', 'neg', 'abs', 'exp'] as const);
        if (op === 'exp') return a.bound <= 1.25 ? { t: bind('exp', [a.t], null), bound: Math.exp(a.bound) } : { t: bind('tanh', [a.t], null), bound: 1 };
        return { t: ops.unary(op, a.t), bound: op === 'neg' || op === 'abs' ? a.bound : 1 };
      }
      if (r < 0.65) {
        const op = pick(rng, ['add', 'sub', 'mul', 'max', 'min'] as const);
        const bound = op === 'mul' ? a.bound * b.bound : op === 'add' || op === 'sub' ? a.bound + b.bound : Math.max(a.bound, b.bound);
        return squash({ t: ops.binary(op, a.t, b.t), bound });
      }
      if (r < 0.75) {
        const c = lit();
        return squash({ t: ops.mul(a.t, c), bound: a.bound * Math.abs(c.item()) });
      }
      if (r < 0.82) {
        // a / (|b| + 1): a division that never sees a small divisor
        return { t: ops.div(a.t, ops.add(bind('abs', [b.t], null), 1)), bound: a.bound };
      }
      if (r < 0.92) return { t: ops.where(condition(), a.t, b.t), bound: Math.max(a.bound, b.bound) };
      return { t: ops.mul(ops.cast(condition(), 'f32'), a.t), bound: a.bound }; // bool -> f32 mask
    };
    for (let i = 0; i < spec.ops; i++) pool.push(step());
    const vec = pool.filter((e) => e.t.shape.length === 1 && pool.indexOf(e) >= leaves.length);
    const lastVec = (): Tensor => {
      const e = vec.length ? vec[randInt(rng, Math.max(0, vec.length - 4), vec.length - 1)]! : { t: ops.add(vr, x) };
      // a scalar-only chain still has to be broadcast to the state's shape
      return e.t.shape.length ? e.t : ops.add(e.t, ops.mul(vr, 0.5));
    };
    const ys: Tensor[] = [];
    const nv = bind('tanh', [lastVec()], null);
    v.write(nv);
    const nw = wr ? ops.add(ops.mul(wr, 0.5), ops.mul(bind('sin', [lastVec()], null), 0.5)) : undefined;
    if (w && nw) w.write(nw);
    // y#0: an intermediate [N] value, y#1: a scalar value (broadcast-guarded store in an [N] kernel)
    ys.push(pool[pool.length - 1]!.t.shape.length ? pool[pool.length - 1]!.t : ops.add(pool[pool.length - 1]!.t, vr));
    const scalars = pool.filter((e) => e.t.shape.length === 0 && e.t.isTraced);
    const sy = scalars.length ? scalars[scalars.length - 1]!.t : ops.mul(x, 2);
    // N = 1: a [] output next to [1] ones splits the step into two kernels (a known fusion bug, see
    // tests/gpu/fusion.test.ts), so there the scalar is broadcast to [1]
    ys.push(spec.n === 1 ? ops.broadcastTo(sy, [1]) : sy);
    stateY.set(0, ys.length);
    ys.push(nv);
    if (nw) {
      stateY.set(1, ys.length);
      ys.push(nw);
    }
    let nc: Tensor | undefined;
    if (carry) {
      nc = ops.add(ops.mul(carry, 0.5), ops.mul(bind('tanh', [ops.add(carry, pick(rng, scalars.length ? scalars : [{ t: x, bound: 1 }]).t)], null), 0.5));
      carryY = ys.length;
      ys.push(nc);
    }
    return { ys, carries: nc ? [nc] : [] };
  });
  const xsRng = mulberry32(spec.seed ^ 0x5eed);
  return {
    graph: t.graph, captured: t.captured, states: t.states, carries: spec.carry ? [c0] : [], stateY,
    ...(carryY === undefined ? {} : { carryY }),
    xs: (steps) => [uniform(xsRng, steps, -1, 1, 1e-3)],
  };
}

