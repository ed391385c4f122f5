/**
 * signTests (kernel-only, run by lower): a sign test of a value scaled by a positive literal tests
 * the value. The rewrite must fire on heaviside(y / c), heaviside(c * y), chains of those and
 * ordered compares (gt, ge, lt, le, either operand order) with a literal 0; it must not fire for
 * c <= 0, c = +Infinity (0 * Inf is NaN), a literal dividend (c / y), i32 values (integer division
 * truncates: -1 / 2 = 0), a literal that broadcasts y to a larger shape, or a non-zero threshold.
 * Every output keeps its value (interpreter before and after, bit for bit: ties at zero, -0, NaN,
 * +-Inf); node numbers stay; and the kernels test the difference itself: a GPU compiler may
 * distribute (V - V_th) / 10 into fma(V, 0.1, ...) and so miss V == V_th (an H100 did; lavapipe
 * does not, so the tie is checked on the WGSL text).
 */
import { describe, expect, it } from 'vitest';
import { lower, ops, prim, signTests, Tensor, verify, type Graph, type Op, type OpArgs } from '@spiketrace/compiler';
import { traceGraph, type TraceKit } from '../helpers/graph.ts';
import { runOnCpu } from '../helpers/gpu.ts';

function rec<O extends Op>(k: TraceKit, op: O, srcs: Tensor[], arg: OpArgs[O]): Tensor {
  return k.tr.add(op, srcs, arg, prim(op).infer(srcs, arg));
}
const h = (k: TraceKit, x: Tensor) => rec(k, 'heaviside', [x], { surrogate: 'ReluGrad', params: [0.3, 1] });

/** The graph of `body` over one xs operand, rewritten; the interpreter's outputs before and after. */
function rewrite(body: (k: TraceKit, x: Tensor) => Tensor[], xs: Float32Array | Int32Array, shape = [xs.length]) {
  const dtype = xs instanceof Int32Array ? 'i32' : 'f32';
  const { graph } = traceGraph('signs', (k) => ({ ys: body(k, k.xs(0, dtype, shape)) }));
  const after = signTests.run(graph);
  verify(after, 'sign-tests');
  const values = (g: Graph) => runOnCpu(g, 1, { xs: [xs] }).ys.map((a) => Array.from(a));
  return { graph, after, before: values(graph), now: values(after) };
}

/** The ops each output's test reads after the rewrite. */
const operandOps = (g: Graph) => g.outputs.map((o) => g.node(o.node).src.map((s) => g.node(s).op));

const V = new Float32Array([-50, -49.999996, -50.000004, -60, -40, 0, -0, 1e-30, NaN, Infinity, -Infinity]);

describe('signTests', () => {
  it('tests the unscaled value where the scale is a positive literal: heaviside, chains, ordered compares either way round', () => {
    const r = rewrite((k, v) => {
      const d = ops.sub(v, -50);
      return [
        h(k, ops.div(d, 10)),
        h(k, ops.mul(0.1, ops.div(d, 10))),
        ops.compare('ge', ops.div(d, 10), 0),
        ops.compare('gt', ops.mul(d, 3), 0),
        ops.compare('le', ops.div(d, 7), -0),
        ops.compare('lt', 0, ops.mul(d, 4)),
      ];
    }, V);
    expect(operandOps(r.after)).toEqual([['sub'], ['sub'], ['sub', 'const'], ['sub', 'const'], ['sub', 'const'], ['const', 'sub']]);
    expect(r.now).toEqual(r.before);
    expect(r.before[0]).toEqual([1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0]);
    expect(r.before[5]).toEqual([0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0]);
    // node numbers are kept (the WGSL's names match the printed graph); the dead scalings stay
    expect(r.after.nodes.length).toBe(r.graph.nodes.length);
  });

  it('leaves alone: negative, zero and infinite scales, a literal dividend, a non-zero threshold', () => {
    const r = rewrite((k, v) => {
      const d = ops.sub(v, -50);
      return [
        h(k, ops.div(d, -10)),
        h(k, ops.mul(d, 0)),
        h(k, ops.mul(d, Infinity)),
        ops.compare('ge', ops.mul(Infinity, d), 0),
        h(k, ops.div(10, d)),
        ops.compare('gt', ops.div(10, d), 0),
        ops.compare('ge', ops.div(d, 10), 1),
      ];
    }, V);
    expect(r.after).toBe(r.graph);
  });

  it('leaves alone: i32 values and a literal that broadcasts the value', () => {
    const ints = rewrite((_k, x) => [ops.compare('ge', ops.div(x, 2), 0), ops.compare('lt', ops.mul(x, 4), 0)], new Int32Array([-1, -3, 0, 5]));
    expect(ints.after).toBe(ints.graph);
    expect(ints.before[0]).toEqual([1, 0, 1, 1]); // -1 / 2 truncates to 0: testing x itself would say 0
    const wide = rewrite((k, x) => [h(k, ops.mul(x, Tensor.full([4], 2, 'f32'))), ops.compare('le', ops.div(x, Tensor.full([4], 3, 'f32')), 0)], new Float32Array([-0]), [1]);
    expect(wide.after).toBe(wide.graph);
  });

  it('reaches the kernels: the spike test reads the difference, not the quotient', () => {
    const { graph } = traceGraph('spike', (k) => ({ ys: [h(k, ops.div(ops.sub(k.xs(0, 'f32', [8]), -50), 10))] }));
    const wgsl = lower(graph, 4, { lowering: 'dispatch-chain' }).kernels.map((k) => k.wgsl).join('\n');
    const diff = /let (v\d+): f32 = \(v\d+ - f32\(-50\.0\)\);/.exec(wgsl)?.[1];
    expect(diff).toBeDefined();
    expect(wgsl).toContain(`select(0.0, 1.0, ${diff} >= 0.0)`);
    expect(wgsl).not.toContain('/ f32(10.0)');
  });
});
