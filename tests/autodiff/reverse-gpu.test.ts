/**
 * The WGSL adjoint kernels against the CPU reference on random inputs: the reverse step of random
 * elementwise chains (tests/helpers/chains.ts: 15-40 ops, one or two States, optionally a scan
 * carry), built by loop-adjoint.ts, run for several reverse steps on the GPU under every lowering
 * the cost model could pick, and compared with the interpreter. Saved values, operands, output
 * cotangents and initial lambdas are random and non-zero.
 *
 * Tolerance |gpu - ref| <= 1e-4 * max|ref| + 1e-4 |ref| per element: the adjoints of exp, tanh,
 * sigmoid, div and pow differ by a few ulp between WGSL and the reference, and the reverse loop
 * carries them over 6 steps.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { HostArray, Node } from '@spiketrace/compiler';
import { releaseDevice } from '@spiketrace/runtime';
import { interpretGraph, runGraph } from '../../packages/state/src/transform/run-graph.ts';
import { buildLoopAdjoint } from '../../packages/state/src/transform/loop-adjoint.ts';
import { randomChain, type ChainSpec } from '../helpers/chains.ts';
import { mulberry32, uniform } from '../helpers/random.ts';

afterAll(() => releaseDevice());

const STEPS = 6;

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i] as number));
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs((got[i] as number) - (want[i] as number));
    if (d > 1e-4 * scale + 1e-4 * Math.abs(want[i] as number)) expect.fail(`${what}[${i}]: gpu ${got[i]}, reference ${want[i]} (scale ${scale})`);
  }
}

const specs: (ChainSpec & { xsGrad: boolean })[] = [
  { seed: 11, n: 37, ops: 25, states: 1, conditions: 'exact', xsGrad: false },
  { seed: 12, n: 300, ops: 35, states: 2, conditions: 'exact', xsGrad: false },
  { seed: 13, n: 1, ops: 20, states: 2, conditions: 'exact', xsGrad: true },
  { seed: 14, n: 130, ops: 30, states: 1, carry: true, conditions: 'exact', xsGrad: true },
];

describe('reverse steps of random chains: WGSL against the CPU reference', () => {
  it.each(specs.map((s) => [`seed ${s.seed}, N=${s.n}, ${s.states} state(s)${s.carry ? ' + carry' : ''}${s.xsGrad ? ', xs gradient' : ''}`, s] as const))('%s', async (_label, spec) => {
    const chain = randomChain(spec);
    const adj = buildLoopAdjoint(chain.graph, [spec.xsGrad], `chain ${spec.seed}`);
    const rng = mulberry32(spec.seed * 31);
    const rnd = (shape: readonly number[], lead?: number): HostArray => {
      const sh = lead === undefined ? [...shape] : [lead, ...shape];
      return { dtype: 'f32', shape: sh, data: uniform(rng, sh.reduce((a, d) => a * d, 1), -1, 1, 1e-3) };
    };
    const xs: HostArray[] = [];
    const carries: HostArray[] = [];
    const states = new Map<number, HostArray>();
    for (const n of adj.reverse.inputs()) {
      const src = (n as Node<'input'>).arg;
      if (src.kind === 'xs') xs[src.index] = rnd(n.shape, STEPS);
      else if (src.kind === 'carry') carries[src.index] = rnd(n.shape);
      else if (src.kind === 'state') states.set(src.index, rnd(n.shape));
    }
    // an input the optimizer removed still has a slot in the layout: fill the holes (a carry whose
    // input is unused, a lambda that reaches nothing, still has an output and a buffer)
    for (let i = 0; i < xs.length; i++) xs[i] ??= rnd([1], STEPS);
    for (const o of adj.reverse.outputs) if (o.kind === 'carry') carries[o.index] ??= rnd(adj.reverse.node(o.node).shape);
    const inputs = { states, xs, carries, captured: [...chain.captured, ...adj.extraCaptured] };
    const ref = interpretGraph(adj.reverse, STEPS, inputs);
    const lowerings = ['auto', 'dispatch-chain', 'persistent-workgroup'] as const;
    for (const lowering of lowerings) {
      const gpu = await runGraph(adj.reverse, STEPS, inputs, lowering);
      ref.carries.forEach((c, i) => close(gpu.carries[i]!.data, c.data, `${lowering}: carry ${i}`));
      ref.ys.forEach((y, i) => close(gpu.ys[i]!.data, y.data, `${lowering}: y ${i}`));
    }
    expect(ref.carries.length).toBe(adj.lambdaSlots.length + adj.accSlots.length + adj.accCaptured.length + adj.lambdaCarries.length);
    expect(ref.ys.length).toBe(spec.xsGrad ? 1 : 0);
  });

  it('an element-local reverse step runs as a reverse temporal fusion (one dispatch per round)', async () => {
    const chain = randomChain({ seed: 11, n: 37, ops: 25, states: 1, conditions: 'exact' });
    const adj = buildLoopAdjoint(chain.graph, [false], 'chain');
    const { lower } = await import('@spiketrace/compiler');
    expect(lower(adj.reverse, STEPS).lowering).toBe('temporal-fusion');
  });
});
