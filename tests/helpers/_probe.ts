import { bind, ops, optimize, Tensor, lower, Graph } from '@spiketrace/compiler';
import { acquireDevice, releaseDevice } from '@spiketrace/runtime';
import { traceGraph } from './graph.ts';
import { runOnCpu, runOnGpu } from './gpu.ts';

const ctx = await acquireDevice();
async function both(name: string, t: ReturnType<typeof traceGraph>, steps: number, xs: any[], lowering: any = 'dispatch-chain') {
  const cpu = runOnCpu(t.graph, steps, { xs, states: t.states, captured: t.captured });
  try {
    const gpu = await runOnGpu(ctx, t.graph, steps, { xs, states: t.states, captured: t.captured }, lowering);
    console.log(name, 'cpu', cpu.ys.map((y) => Array.from(y).slice(0, 8)), [...cpu.states.values()].map((s) => Array.from(s)));
    console.log(name, 'gpu', gpu.ys.map((y) => Array.from(y).slice(0, 8)), [...gpu.states.values()].map((s) => Array.from(s)));
  } catch (e) { console.log(name, 'GPU ERROR', (e as Error).message.slice(0, 300)); }
}
// (a) lt on bools
await both('lt-bool', traceGraph('a', (k) => { const a = k.xs(0, 'bool', [3]); const b = k.xs(1, 'bool', [3]); return { ys: [bind('lt', [a, b], null)] }; }), 1, [Uint8Array.from([0, 1, 1]), Uint8Array.from([1, 1, 0])]);
// (b) round
await both('round', traceGraph('b', (k) => { const a = k.xs(0, 'f32', [4]); return { ys: [bind('round', [a], null)] }; }), 1, [Float32Array.from([0.49999997, 8388609, -0.49999997, 2.5])]);
// (c) expm1/exprel/log1p precision
const xs = Float32Array.from([1.001e-3, 1.5e-3, 2e-3, 5e-3, 1.01e-4, 1.5e-4, 3e-4, 1e-3]);
await both('expm1/exprel/log1p', traceGraph('c', (k) => { const a = k.xs(0, 'f32', [8]); return { ys: [bind('expm1', [a], null), bind('exprel', [a], null), bind('log1p', [a], null)] }; }), 1, [xs]);
// (d,e) i32 reductions
await both('i32-red', traceGraph('d', (k) => { const a = k.xs(0, 'i32', [2]); return { ys: [bind('rmax', [a], { axes: [0], keepdims: false }), bind('rmin', [bind('neg', [a], null)], { axes: [0], keepdims: false })] }; }), 1, [Int32Array.from([-3, -5])]);
await both('i32-sum', traceGraph('e', (k) => { const a = k.xs(0, 'i32', [2]); return { ys: [bind('sum', [a], { axes: [0], keepdims: false })] }; }), 1, [Int32Array.from([16777216, 1])]);
// (f) CSE inf
{
  const t = traceGraph('f', (k) => { const a = k.xs(0, 'f32', [3]); return { ys: [ops.maximum(a, -Infinity), ops.minimum(a, Infinity)] }; });
  const o = optimize(t.graph);
  console.log(t.graph.toString()); console.log(o.toString());
  const x = [Float32Array.from([1, 2, 3])];
  console.log('cse-inf before', runOnCpu(t.graph, 1, { xs: x }).ys, 'after', runOnCpu(o, 1, { xs: x }).ys);
}
// (g) constFold sum of const
{
  const t = traceGraph('g', (k) => { const a = k.xs(0, 'f32', []); const s = k.tr.add('sum', [Tensor.full([5], 2)], { axes: [0], keepdims: false }, { dtype: 'f32', shape: [] }); return { ys: [ops.add(a, s)] }; });
  console.log(t.graph.toString());
  console.log('before', runOnCpu(t.graph, 1, { xs: [Float32Array.from([1])] }).ys);
  try { console.log(optimize(t.graph).toString()); } catch (e) { console.log('constFold threw', (e as Error).message); }
}
// (h) state swap under temporal fusion
{
  const mk = () => traceGraph('h', (k) => { const a = k.state('a', Tensor.fromArray([1, 2, 3])); const b = k.state('b', Tensor.fromArray([10, 20, 30])); const ra = a.read(), rb = b.read(); a.write(rb); b.write(ra); return { ys: [] }; });
  await both('swap-fused', mk(), 1, [], 'temporal-fusion');
  await both('swap-chain', mk(), 1, [], 'dispatch-chain');
}
releaseDevice();
