/**
 * signTests (kernel-only, run by lower): a sign test of a value scaled by a positive literal tests
 * the value. The rewrite must fire on heaviside(y / c), heaviside(c * y) and ordered compares with
 * a literal 0, never for c <= 0 or a non-zero threshold, keep every output's value (interpreter
 * before and after, bit for bit on random inputs, ties at zero included), and show in the WGSL as
 * a test on the dividend: a GPU compiler may distribute (V - V_th) / 10 into fma(V, 0.1, ...)
 * and so miss V == V_th (an H100 did; lavapipe does not, so the tie is checked on the text).
 */
import { describe, expect, it } from 'vitest';
import { lower, ops, prim, signTests, Tensor, verify, type Graph, type Op, type OpArgs } from '@spiketrace/compiler';
import { traceGraph, type TraceKit } from '../helpers/graph.ts';
import { runOnCpu } from '../helpers/gpu.ts';

function rec<O extends Op>(k: TraceKit, op: O, srcs: Tensor[], arg: OpArgs[O]): Tensor {
  return k.tr.add(op, srcs, arg, prim(op).infer(srcs, arg));
}

/** Spike tests of V against V_th = -50 through scalings, plus ones the pass must leave alone. */
function spikeGraph() {
  return traceGraph('spikes', (k) => {
    const V = k.xs(0, 'f32', [8]);
    const d = ops.sub(V, -50);
    const h = (x: Tensor) => rec(k, 'heaviside', [x], { surrogate: 'ReluGrad', params: [0.3, 1] });
    return {
      ys: [
        h(ops.div(d, 10)),                               // rewritten
        h(ops.mul(0.1, ops.div(d, 10))),                 // rewritten twice
        ops.compare('ge', ops.div(d, 10), 0),             // rewritten
        ops.compare('lt', 0, ops.mul(d, 4)),              // rewritten (literal first)
        h(ops.div(d, -10)),                              // kept: the sign flips
        ops.compare('ge', ops.div(d, 10), 1),             // kept: not a sign test
      ],
    };
  });
}

const srcOps = (g: Graph, node: number) => g.node(node).src.map((s) => g.node(s).op);

describe('signTests', () => {
  it('tests the dividend where the divisor or factor is a positive literal, nowhere else', () => {
    const { graph } = spikeGraph();
    const after = signTests.run(graph);
    verify(after, 'sign-tests');
    const outs = after.outputs.map((o) => o.node);
    expect(srcOps(after, outs[0]!)).toEqual(['sub']);
    expect(srcOps(after, outs[1]!)).toEqual(['sub']);
    expect(srcOps(after, outs[2]!)).toEqual(['sub', 'const']);
    expect(srcOps(after, outs[3]!)).toEqual(['const', 'sub']);
    expect(srcOps(after, outs[4]!)).toEqual(['div']);
    expect(srcOps(after, outs[5]!)).toEqual(['div', 'const']);
    // nothing to rewrite: the same graph object back
    const plain = traceGraph('plain', (k) => ({ ys: [ops.add(k.xs(0, 'f32', [2]), 1)] })).graph;
    expect(signTests.run(plain)).toBe(plain);
  });

  it('keeps every value, ties at the threshold included', () => {
    const { graph } = spikeGraph();
    const after = signTests.run(graph);
    const V = new Float32Array([-50, -49.999996, -50.000004, -60, -40, 0, -50, 1e-30]);
    const before = runOnCpu(graph, 1, { xs: [V] }).ys;
    const now = runOnCpu(after, 1, { xs: [V] }).ys;
    expect(now).toEqual(before);
    expect(Array.from(before[0]!)).toEqual([1, 1, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(before[3]!)).toEqual([0, 1, 0, 0, 1, 1, 0, 1]);
  });

  it('reaches the kernels: the WGSL compares the difference itself', () => {
    const { graph } = spikeGraph();
    const plan = lower(graph, 4, { lowering: 'dispatch-chain' });
    const wgsl = plan.kernels.map((k) => k.wgsl).join('\n');
    expect(wgsl).toMatch(/select\(0\.0, 1\.0, v\d+ >= 0\.0\)/);
    expect(wgsl).not.toMatch(/select\(0\.0, 1\.0, \(v\d+ \/ f32\(10\.0\)\) >= 0\.0\)/);
  });
});
