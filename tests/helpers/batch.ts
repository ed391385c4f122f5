/**
 * Batched GPU-vs-reference checks: many single-op results traced into one graph, split into as
 * few kernels as the device's storage-buffer limit allows, run once on the GPU and once through
 * the interpreter, and compared case by case with a per-case tolerance.
 */
import { dce, Graph, type DType, type GraphOutput, type Shape, type Tensor, type TypedArray } from '@spiketrace/compiler';
import type { GpuContext } from '@spiketrace/runtime';
import { traceGraph } from './graph.ts';
import { expectAllClose, runOnCpu, runOnGpu, type Tol } from './gpu.ts';

export interface BatchInput {
  name: string;
  dtype: DType;
  /** Shape of one step's slice. */
  shape: Shape;
  /** All steps, [T, ...shape] flat. */
  data: TypedArray;
}

export interface BatchCase {
  label: string;
  tol: Tol;
  out: Tensor;
}

export interface BatchResult {
  /** Measured max abs / rel error per case label. */
  errors: Map<string, { maxAbs: number; maxRel: number }>;
  /** Number of GPU runs (graphs) it took. */
  runs: number;
}

/** Input node ids each output depends on. */
function inputsOf(g: Graph, node: number): Set<number> {
  const seen = new Set<number>();
  const res = new Set<number>();
  const stack = [node];
  while (stack.length) {
    const id = stack.pop() as number;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = g.node(id);
    if (n.op === 'input') res.add(id);
    stack.push(...n.src);
  }
  return res;
}

export async function checkBatch(
  ctx: GpuContext, name: string, inputs: readonly BatchInput[], steps: number,
  build: (x: Record<string, Tensor>) => BatchCase[],
): Promise<BatchResult> {
  let cases: BatchCase[] = [];
  const t = traceGraph(name, (k) => {
    const x: Record<string, Tensor> = {};
    inputs.forEach((inp, i) => (x[inp.name] = k.xs(i, inp.dtype, inp.shape)));
    cases = build(x);
    return { ys: cases.map((c) => c.out) };
  });
  const g = t.graph;
  const xs = inputs.map((i) => i.data);
  const cpu = runOnCpu(g, steps, { xs });
  // pack outputs into graphs whose kernels stay within the binding limit (conservatively: all
  // loads and stores of a chunk in one kernel, one binding spare)
  const limit = ctx.limits.maxStorageBuffersPerShaderStage - 1;
  const ys = g.outputs.filter((o) => o.kind === 'y');
  const chunks: GraphOutput[][] = [];
  let cur: GraphOutput[] = [];
  let curInputs = new Set<number>();
  for (const o of ys) {
    const ins = inputsOf(g, o.node);
    const merged = new Set([...curInputs, ...ins]);
    if (cur.length && merged.size + cur.length + 1 > limit) {
      chunks.push(cur);
      cur = [];
      curInputs = new Set(ins);
    } else {
      curInputs = merged;
    }
    cur.push(o);
  }
  if (cur.length) chunks.push(cur);
  const failures: string[] = [];
  const errors = new Map<string, { maxAbs: number; maxRel: number }>();
  const runs = await Promise.all(chunks.map(async (chunk) => {
    const sub = dce.run(new Graph(g.nodes, chunk.map((o, j) => ({ ...o, index: j })), `${name}.part`));
    return { chunk, gpu: await runOnGpu(ctx, sub, steps, { xs }, 'dispatch-chain') };
  }));
  for (const { chunk, gpu } of runs) {
    chunk.forEach((o, j) => {
      const c = cases[o.index] as BatchCase;
      const label = `${name}: ${c.label} -> ${c.out.dtype}[${c.out.shape.join(', ')}]`;
      try {
        errors.set(c.label, expectAllClose(gpu.ys[j], cpu.ys[o.index], c.tol, label));
      } catch (e) {
        failures.push((e as Error).message);
      }
    });
  }
  if (process.env.SPIKETRACE_TEST_REPORT) {
    for (const [k, v] of errors) if (v.maxAbs > 0) console.log(`${name} | ${k} | abs ${v.maxAbs.toExponential(2)} rel ${v.maxRel.toExponential(2)}`);
  }
  if (failures.length) throw new Error(`${failures.length} of ${cases.length} cases failed:\n${failures.join('\n')}`);
  return { errors, runs: chunks.length };
}
