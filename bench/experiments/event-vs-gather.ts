/**
 * Throwaway experiment (measured, not asserted): per-step cost of spike delivery over fixed
 * out-degree connectivity, event-driven (`event_count`: zero + scatter, the WGSL the compiler
 * emits) against a dense gather (one invocation per post neuron summing over its incoming
 * synapses, a hand-written kernel over the transposed CSR connectivity).
 *
 *   npx tsx bench/experiments/event-vs-gather.ts [--n=4000] [--k=80] [--steps=200] [--runs=7]
 *
 * Per configuration: S steps encoded back to back in one compute pass (as the dispatch chain
 * does), one submit, wait for the queue; median of `runs` after a warm-up, divided by S.
 * An empty kernel gives the fixed cost of one dispatch on this adapter for reference.
 * Both paths' counts are compared before timing.
 */
import { mulberry32 as rng } from '../../tests/helpers/random.ts';
import { lower, ops, Tensor, Trace } from '@spiketrace/compiler';
import { acquireDevice, releaseDevice, type PlanKernel } from '@spiketrace/runtime';
import { numArg } from '../lib/args.ts';

const N = numArg('n', 4000);
const K = numArg('k', 80);
const STEPS = numArg('steps', 200);
const RUNS = numArg('runs', 7);


const ctx = await acquireDevice();
const { device } = ctx;
const r = rng(1);
const indices = new Int32Array(N * K).map(() => Math.floor(r() * N));
// transposed connectivity (CSR by post neuron) for the gather
const ptr = new Uint32Array(N + 1);
for (const q of indices) ptr[q + 1]!++;
for (let q = 0; q < N; q++) ptr[q + 1]! += ptr[q]!;
const fill = ptr.slice(0, N);
const pre = new Uint32Array(N * K);
for (let p = 0; p < N; p++) for (let j = 0; j < K; j++) pre[fill[indices[p * K + j]!]!++] = p;

// the event path exactly as lowered: spikes from a (read-only) State, counts as a y
const tr = new Trace('bench');
const spikesIn = tr.input({ kind: 'state', index: 0, name: 'spikes' }, { dtype: 'f32', shape: [N] });
const out = tr.run(() => ops.eventCount(spikesIn, Tensor.fromArray(indices, [N, K], 'i32'), N));
const plan = lower(tr.toGraph([out]), 1, { lowering: 'dispatch-chain' });
const zeroK = plan.kernels.find((k) => /event_zero/.test(k.name))!;
const scatterK = plan.kernels.find((k) => /event_scatter/.test(k.name))!;

const mk = (bytes: number, usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC) =>
  device.createBuffer({ size: Math.max(16, bytes), usage });
const spikesBuf = mk(N * 4);
const indicesBuf = mk(N * K * 4);
const countsBuf = mk(N * 4);
const gatherOut = mk(N * 4);
const ptrBuf = mk((N + 1) * 4);
const preBuf = mk(N * K * 4);
device.queue.writeBuffer(indicesBuf, 0, indices);
device.queue.writeBuffer(ptrBuf, 0, ptr);
device.queue.writeBuffer(preBuf, 0, pre);
const uniform = device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(uniform, 0, Uint32Array.from([0, 1]));

const bufOf = (id: number): GPUBuffer => {
  const b = plan.buffers[id]!;
  if (b.role === 'state') return spikesBuf;
  if (b.role === 'captured') return indicesBuf;
  if (b.role === 'temp') return countsBuf;
  throw new Error(`unexpected buffer ${b.role}`);
};

interface Job { pipeline: GPUComputePipeline; group: GPUBindGroup; x: number }
async function planJob(k: PlanKernel): Promise<Job> {
  const layout = device.createBindGroupLayout({
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 8 } },
      ...k.bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.access === 'read' ? 'read-only-storage' as const : 'storage' as const } })),
    ],
  });
  const pipeline = await device.createComputePipelineAsync({
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module: device.createShaderModule({ code: k.wgsl }), entryPoint: 'main' },
  });
  const group = device.createBindGroup({
    layout,
    entries: [{ binding: 0, resource: { buffer: uniform, offset: 0, size: 8 } }, ...k.bindings.map((b) => ({ binding: b.binding, resource: { buffer: bufOf(b.buffer) } }))],
  });
  return { pipeline, group, x: Math.ceil(k.invocations / k.workgroupSize) };
}
async function rawJob(code: string, buffers: GPUBuffer[], invocations: number): Promise<Job> {
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const group = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, i) => ({ binding: i, resource: { buffer } })),
  });
  return { pipeline, group, x: Math.ceil(invocations / 64) };
}

const gatherWgsl = `
@group(0) @binding(0) var<storage, read> spk: array<f32>;
@group(0) @binding(1) var<storage, read> ptr: array<u32>;
@group(0) @binding(2) var<storage, read> pre: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<i32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  if (q >= ${N}u) { return; }
  var c = 0;
  for (var e = ptr[q]; e < ptr[q + 1u]; e++) {
    if (spk[pre[e]] != 0.0) { c += 1; }
  }
  counts[q] = c;
}`;
const emptyWgsl = `
@group(0) @binding(0) var<storage, read_write> x: array<i32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) { if (gid.x == 0xffffffffu) { x[0] = 1; } }`;

const zero = await planJob(zeroK);
const scatter = await planJob(scatterK);
const gather = await rawJob(gatherWgsl, [spikesBuf, ptrBuf, preBuf, gatherOut], N);
const empty = await rawJob(emptyWgsl, [gatherOut], 64);

async function time(jobs: Job[], steps: number): Promise<number> {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  for (let s = 0; s < steps; s++) {
    for (const j of jobs) {
      pass.setPipeline(j.pipeline);
      if (j === zero || j === scatter) pass.setBindGroup(0, j.group, [0]);
      else pass.setBindGroup(0, j.group);
      pass.dispatchWorkgroups(j.x);
    }
  }
  pass.end();
  const t0 = performance.now();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}
/** Microseconds per step, median of RUNS; the configurations take turns, so load drifts hit all alike. */
async function medians(configs: Job[][]): Promise<number[]> {
  for (const jobs of configs) await time(jobs, Math.min(STEPS, 20));
  const ts: number[][] = configs.map(() => []);
  for (let i = 0; i < RUNS; i++) for (const [c, jobs] of configs.entries()) ts[c]!.push(await time(jobs, STEPS));
  return ts.map((t) => (t.sort((a, b) => a - b)[Math.floor(t.length / 2)]! / STEPS) * 1000);
}
async function read(buf: GPUBuffer): Promise<Int32Array> {
  const st = device.createBuffer({ size: N * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, st, 0, N * 4);
  device.queue.submit([enc.finish()]);
  await st.mapAsync(GPUMapMode.READ);
  const a = new Int32Array(st.getMappedRange().slice(0));
  st.unmap();
  st.destroy();
  return a;
}

const adapter = ctx.adapterDescription;
console.log(`event_count vs gather: nPre = nPost = ${N}, k = ${K}, ${STEPS} steps per submit, median of ${RUNS}; adapter: ${adapter || 'unknown'}`);
console.log(`empty dispatch: ${(await medians([[empty]]))[0]!.toFixed(1)} us`);
const rows: Record<string, number | string>[] = [];
for (const rate of [0.01, 0.1]) {
  const sp = new Float32Array(N).map(() => (r() < rate ? 1 : 0));
  device.queue.writeBuffer(spikesBuf, 0, sp);
  await time([zero, scatter, gather], 1);
  const [a, b] = [await read(countsBuf), await read(gatherOut)];
  const ok = a.every((x, i) => x === b[i]);
  if (!ok) throw new Error('event and gather counts differ');
  const [ev, z, sc, ga] = (await medians([[zero, scatter], [zero], [scatter], [gather]])) as [number, number, number, number];
  rows.push({ spiking: `${rate * 100}% (${sp.reduce((x, y) => x + y, 0)} of ${N})`, 'event zero+scatter us': ev.toFixed(1), 'zero us': z.toFixed(1), 'scatter us': sc.toFixed(1), 'gather us': ga.toFixed(1), 'gather/event': (ga / ev).toFixed(2) });
}
console.table(rows);
releaseDevice();
