/**
 * What one dispatch costs the host (measured, not asserted): encoding 3 kernels x N rounds into one
 * compute pass through Dawn's Node bindings, the way the dispatch chain does (runtime/src/executable.ts:
 * setPipeline, setBindGroup with the round's dynamic uniform offset, dispatchWorkgroups), against the
 * same without the dynamic offset and a bare dispatch. Encoding only (finish included, submit not);
 * median of 5 per variant.
 *
 *   npx tsx bench/experiments/dispatch-encode-cost.ts [--rounds=1000]
 *
 * Measured 2026-11-26 on the project's 2-core machine, quiet, four runs (µs per dispatch): 2.6-3.1
 * with the dynamic offset, 2.1-3.0 with a static bind group, 0.7-0.9 for the bare dispatch.
 */
import { acquireDevice, releaseDevice } from '@spiketrace/runtime';
import { numArg } from '../lib/args.ts';

const ROUNDS = numArg('rounds', 1000);
const { device } = await acquireDevice();
const code = `@group(0) @binding(0) var<uniform> u: vec2<u32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) { if (g.x < 4u) { b[g.x] += f32(u.x); } }`;
const module = device.createShaderModule({ code });
const layout = (dynamic: boolean) => device.createBindGroupLayout({
  entries: [
    { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: dynamic } },
    { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
  ],
});
const uniform = device.createBuffer({ size: 256 * ROUNDS, usage: GPUBufferUsage.UNIFORM });
const storage = device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });
const kernels = (dynamic: boolean) => {
  const l = layout(dynamic);
  return [0, 1, 2].map(() => ({
    pipeline: device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [l] }), compute: { module, entryPoint: 'main' } }),
    group: device.createBindGroup({ layout: l, entries: [{ binding: 0, resource: { buffer: uniform, size: 8 } }, { binding: 1, resource: { buffer: storage } }] }),
  }));
};
const dyn = kernels(true), stat = kernels(false);

async function perDispatchUs(encode: (pass: GPUComputePassEncoder, round: number, k: number) => void): Promise<number> {
  const times: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let r = 0; r < ROUNDS; r++) for (let k = 0; k < 3; k++) encode(pass, r, k);
    pass.end();
    const cb = enc.finish();
    times.push(performance.now() - t0);
    device.queue.submit([cb]);
    await device.queue.onSubmittedWorkDone();
  }
  times.sort((a, b) => a - b);
  return (times[2]! * 1000) / (3 * ROUNDS);
}

const rows: [string, number][] = [
  ['setPipeline + setBindGroup (dynamic offset) + dispatch', await perDispatchUs((p, r, k) => {
    p.setPipeline(dyn[k]!.pipeline); p.setBindGroup(0, dyn[k]!.group, [r * 256]); p.dispatchWorkgroups(1);
  })],
  ['setPipeline + setBindGroup (static) + dispatch', await perDispatchUs((p, _r, k) => {
    p.setPipeline(stat[k]!.pipeline); p.setBindGroup(0, stat[k]!.group); p.dispatchWorkgroups(1);
  })],
  ['dispatch only', await perDispatchUs((p, r, k) => {
    if (r === 0 && k === 0) { p.setPipeline(stat[0]!.pipeline); p.setBindGroup(0, stat[0]!.group); }
    p.dispatchWorkgroups(1);
  })],
];
for (const [label, us] of rows) console.log(`${us.toFixed(2).padStart(6)} µs per dispatch  ${label}`);
releaseDevice();
process.exit(0);
