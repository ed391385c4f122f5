/** Whole-graph adjoints: composite step graphs against float64 finite differences, symbolic zeros, errors. */
import { describe, expect, it } from 'vitest';
import * as ops from '../../compiler/src/trace/ops.ts';
import { Trace } from '../../compiler/src/trace/trace.ts';
import { GradError, gradGraph, vjpGraph } from '../../compiler/src/autodiff/vjp-graph.ts';
import { interpretStep } from '../../compiler/src/interp/interpret.ts';
import { verify } from '../../compiler/src/passes/verify.ts';
import { gradCheck, nonzero, traceGraph, uniform } from './check.ts';

describe('composite step graphs', () => {
  it('LIF update with a smooth (sigmoid) surrogate spike and soft reset', () => {
    // V' = V + dt/tau (-(V - Vrest) + R I); s = sigmoid(k (V' - Vth)); V_new = V' (1 - s) + Vreset s
    const r = gradCheck(
      [{ shape: [2, 5], gen: uniform(-70, -45) }, { shape: [2, 5], gen: uniform(0, 30) }, { shape: [], gen: uniform(5, 20) }],
      ([V, I, tau]) => {
        const dv = ops.div(ops.mul(0.1, ops.add(ops.neg(ops.sub(V!, -65)), ops.mul(1.5, I!))), tau!);
        const v1 = ops.add(V!, dv);
        const s = ops.unary('sigmoid', ops.mul(0.5, ops.sub(v1, -50)));
        const vNew = ops.add(ops.mul(v1, ops.sub(1, s)), ops.mul(-65, s));
        return [vNew, s];
      },
    );
    expect(r.maxAbsErr).toBeLessThan(1e-6);
  });

  it('matmul readout with bias, tanh and a mean squared error (gradGraph, scalar loss)', () => {
    const g = traceGraph([[4, 3], [3, 2], [2]], ([x, w, b]) => {
      const y = ops.unary('tanh', ops.add(ops.matmul(x!, w!), b!));
      const d = ops.sub(y, 0.25);
      return ops.mean(ops.mul(d, d));
    });
    const { graph } = gradGraph(g, [0, 1, 2].map((index) => ({ kind: 'arg', index }) as const));
    verify(graph);
    expect(graph.outputs.length).toBe(3);
    gradCheck([{ shape: [4, 3], gen: uniform(-1, 1) }, { shape: [3, 2], gen: uniform(-1, 1) }, { shape: [2], gen: uniform(-0.5, 0.5) }],
      ([x, w, b]) => {
        const y = ops.unary('tanh', ops.add(ops.matmul(x!, w!), b!));
        const d = ops.sub(y, 0.25);
        return ops.mean(ops.mul(d, d));
      });
  });

  it('where / max / min / rmax mix with fan-out', () => {
    gradCheck(
      [{ shape: [3, 4], gen: uniform(-2, 2) }, { shape: [4], gen: nonzero(-2, 2) }],
      ([x, y]) => {
        const a = ops.where(ops.compare('gt', x!, y!), ops.maximum(x!, ops.mul(0.5, y!)), ops.mul(ops.minimum(x!, y!), ops.unary('exp', y!)));
        const m = ops.reduce('rmax', ops.mul(x!, y!), 1, true);
        return ops.add(ops.mul(a, a), m);
      },
    );
  });

  it('only the requested inputs get gradients; an unreached one gets zeros', () => {
    const r = gradCheck([{ shape: [3], gen: uniform(-1, 1) }, { shape: [3], gen: uniform(-1, 1) }],
      ([x, y]) => ops.mul(ops.unary('sin', x!), ops.unary('cos', y!)), { wrt: [1] });
    expect(r.grads.length).toBe(1);
    const g = traceGraph([[3], [3]], ([x, y]) => [ops.mul(x!, 2), ops.unary('exp', y!)]);
    const res = vjpGraph(g, [{ kind: 'arg', index: 1 }], [1, null]);
    const out = interpretStep(res.graph, (s) => ({ dtype: 'f32', shape: [3], data: new Float32Array(3).fill(s.index) })).ys;
    expect(Array.from(out[0]!.data)).toEqual([0, 0, 0]);
  });
});

describe('symbolic zeros', () => {
  it('make no nodes: comparisons, casts through bool/int, floor in a larger graph', () => {
    const g = traceGraph([[8]], ([x]) =>
      ops.add(ops.add(ops.mul(x!, 2), ops.unary('floor', x!)), ops.mul(ops.cast(ops.compare('lt', x!, 0), 'f32'), 3)));
    const res = vjpGraph(g, [{ kind: 'arg', index: 0 }], ['input']);
    // the cotangent input and ct * 2: nothing for lt, cast, floor, or the * 3 behind the cast
    expect(res.adjointNodes).toBe(2);
    expect(res.graph.nodes.map((n) => n.op).sort()).toEqual(['const', 'input', 'mul']);
  });
});

describe('errors', () => {
  it('grad through event_count gathers; through its adjoint (a second derivative) names the op', () => {
    const tr = new Trace('f');
    const g = tr.run(() => {
      const v = tr.input({ kind: 'arg', index: 0 }, { dtype: 'f32', shape: [4] });
      const idx = tr.input({ kind: 'arg', index: 1 }, { dtype: 'i32', shape: [4, 2] });
      const spikes = ops.unary('sigmoid', v);
      const counts = ops.eventCount(spikes, idx, 3);
      return tr.toGraph([ops.reduce('sum', ops.mul(ops.cast(counts, 'f32'), 0.5))]);
    });
    expect(gradGraph(g, [{ kind: 'arg', index: 0 }]).graph.nodes.some((n) => n.op === 'event_gather')).toBe(true);
    const tr2 = new Trace('f2');
    const g2 = tr2.run(() => {
      const v = tr2.input({ kind: 'arg', index: 0 }, { dtype: 'f32', shape: [3] });
      const idx = tr2.input({ kind: 'arg', index: 1 }, { dtype: 'i32', shape: [4, 2] });
      return tr2.toGraph([ops.reduce('sum', ops.eventGather(v, idx))]);
    });
    expect(() => gradGraph(g2, [{ kind: 'arg', index: 0 }])).toThrow(GradError);
    expect(() => gradGraph(g2, [{ kind: 'arg', index: 0 }])).toThrow(/op event_gather .* not differentiable/);
  });

  it('integer inputs, non-scalar grad, unknown inputs', () => {
    const tr = new Trace('f');
    const g = tr.run(() => {
      const i = tr.input({ kind: 'arg', index: 0 }, { dtype: 'i32', shape: [2] });
      const x = tr.input({ kind: 'arg', index: 1 }, { dtype: 'f32', shape: [2] });
      return tr.toGraph([ops.mul(ops.cast(i, 'f32'), x)]);
    });
    expect(() => vjpGraph(g, [{ kind: 'arg', index: 0 }], [1])).toThrow(/dtype i32/);
    expect(() => gradGraph(g, [{ kind: 'arg', index: 1 }])).toThrow(/needs a scalar/);
    expect(() => vjpGraph(g, [{ kind: 'arg', index: 7 }], [1])).toThrow(/no input/);
  });
});
