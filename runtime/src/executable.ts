/**
 * Executable: a Plan made ready on one device (pipelines, layouts, its own temps and results)
 * and run as a few command buffers: every round's kernels encoded back to back, the round's
 * step window picked by a dynamic offset into one uniform buffer, no host work per step.
 */
import { acquireDevice, doneWithDevice, type GpuContext } from './device.ts';
import { planRounds, type Plan, type PlanBuffer, type PlanKernel } from './plan.ts';
import { createBuffer, destroyBuffer } from './memory.ts';
import { byteSize, fromWords, ResidentBuffer, writeHost, type HostData } from './resident.ts';

export interface RunInputs {
  /** The resident copy of a state or carry buffer (the caller owns and keeps it). */
  resident(b: PlanBuffer): ResidentBuffer;
  /** Host data of an xs or captured buffer. */
  upload(b: PlanBuffer): HostData;
}

export interface RunOptions {
  /** Called after each submitted command buffer completes, with steps done so far. */
  onProgress?: (stepsDone: number, steps: number) => void;
  /**
   * Time every dispatch of the first rounds on the GPU (timestamp queries, when the device has
   * them): RunResult.profile. Each profiled dispatch gets a compute pass of its own, so the
   * profiled run is a little slower than a plain one; results are the same.
   */
  profile?: boolean;
}

/** GPU time of one kernel of the plan over the profiled rounds. */
export interface KernelTime {
  readonly kernel: string;
  /** What the dispatch runs: the step's kernel bodies merged into it (its WGSL header). */
  readonly parts: string;
  readonly dispatches: number;
  readonly ms: number;
}

export interface RunProfile {
  /** Steps covered by the profiled rounds (the first ones). */
  readonly steps: number;
  readonly kernels: readonly KernelTime[];
}

export interface RunResult {
  /** Read-back data per buffer id (ys, and final values of written states and carries). */
  readonly data: Map<number, HostData>;
  readonly gpuMs: number;
  /** Per-kernel GPU times, when profiling was asked for and the device has timestamp queries. */
  readonly profile?: RunProfile;
}

/** A query set holds at most 4096 timestamps (WebGPU): two per profiled dispatch. */
const MAX_PROFILED_DISPATCHES = 2048;

const UNIFORM_STRIDE = 256;


export class Executable {
  readonly #pipelines: GPUComputePipeline[];
  readonly #layouts: GPUBindGroupLayout[];
  readonly #owned = new Map<number, GPUBuffer>();
  readonly #uploaded = new Map<number, { buffer: GPUBuffer; source: HostData }>();
  readonly #arenaUploads = new Map<string, HostData>();
  #uniform: GPUBuffer | undefined;

  private constructor(readonly ctx: GpuContext, readonly plan: Plan, pipelines: GPUComputePipeline[], layouts: GPUBindGroupLayout[]) {
    this.#pipelines = pipelines;
    this.#layouts = layouts;
  }

  static async create(ctx: GpuContext, plan: Plan): Promise<Executable> {
    if (plan.format !== 'spiketrace-plan' || plan.version !== 1) throw new Error(`unsupported plan ${plan.format} v${plan.version}`);
    const { device } = ctx;
    // sizes first: an oversized buffer would otherwise surface as an opaque validation error
    for (const b of plan.buffers) {
      const bytes = byteSize(b.elements);
      if (bytes > ctx.limits.maxStorageBufferBindingSize || bytes > ctx.limits.maxBufferSize) {
        throw new Error(
          `${b.role} "${b.name}" needs ${bytes} bytes, more than this device binds (${Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize)})` +
            (b.role === 'xs' || b.role === 'ys' ? '; run fewer steps per call' : ''),
        );
      }
    }
    const rounds = Math.ceil(plan.steps / plan.stepsPerRound);
    if (rounds * UNIFORM_STRIDE > ctx.limits.maxBufferSize) {
      throw new Error(`${rounds} rounds need a ${rounds * UNIFORM_STRIDE}-byte uniform buffer, more than this device allows; run fewer steps per call`);
    }
    const layouts: GPUBindGroupLayout[] = [];
    const pipelines = await Promise.all(plan.kernels.map(async (k) => {
      const layout = device.createBindGroupLayout({
        label: k.name,
        entries: [
          { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 8 } },
          ...k.bindings.map((b) => ({
            binding: b.binding, visibility: GPUShaderStage.COMPUTE,
            buffer: { type: b.access === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
          })),
        ],
      });
      layouts.push(layout);
      const module = device.createShaderModule({ label: k.name, code: k.wgsl });
      device.pushErrorScope('validation');
      let pipeline: GPUComputePipeline | undefined;
      let failure: unknown;
      try {
        pipeline = await device.createComputePipelineAsync({
          label: k.name, layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
          compute: { module, entryPoint: 'main' },
        });
      } catch (e) {
        failure = e;
      }
      // always pop the scope, so a failure here never leaks into the next kernel's checks
      const err = await device.popErrorScope();
      if (failure || err || !pipeline) {
        const info = await module.getCompilationInfo();
        const msgs = info.messages.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('\n');
        throw new Error(`kernel ${k.name} failed to compile:\n${msgs || ((failure as Error | undefined)?.message ?? err?.message ?? '')}\n--- WGSL ---\n${k.wgsl}`);
      }
      return pipeline;
    }));
    // layouts were pushed in completion order of the map callbacks' synchronous part: same order
    return new Executable(ctx, plan, pipelines, layouts);
  }

  #ownedBuffer(b: PlanBuffer): GPUBuffer {
    let buf = this.#owned.get(b.id);
    if (!buf) {
      buf = createBuffer(this.ctx.device, {
        label: b.name, size: byteSize(b.elements),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      this.#owned.set(b.id, buf);
    }
    return buf;
  }

  #uploadedBuffer(b: PlanBuffer, data: HostData): GPUBuffer {
    if (data.length !== b.elements) {
      throw new RangeError(`${b.role} "${b.name}": got ${data.length} elements, the plan needs ${b.elements}`);
    }
    const prev = this.#uploaded.get(b.id);
    if (prev && prev.source === data && b.role === 'captured') return prev.buffer;
    const buffer = prev?.buffer ?? createBuffer(this.ctx.device, {
      label: b.name, size: byteSize(b.elements), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    writeHost(this.ctx.device, buffer, data, b.dtype);
    this.#uploaded.set(b.id, { buffer, source: data });
    return buffer;
  }

  async run(inputs: RunInputs, opts: RunOptions = {}): Promise<RunResult> {
    const { device } = this.ctx;
    const plan = this.plan;
    const rounds = planRounds(plan);
    const t0 = performance.now();
    // where each buffer lives for this run
    const resident = new Map<number, ResidentBuffer>();
    const single = new Map<number, GPUBuffer>();
    for (const b of plan.buffers) {
      if (b.role === 'state' || b.role === 'carry') {
        const r = inputs.resident(b);
        if (r.ctx !== this.ctx) throw new Error(`${b.role} "${b.name}" lives on another device`);
        resident.set(b.id, r);
      } else if (b.arena) {
        continue; // lives inside an arena (below)
      } else if (b.role === 'xs' || b.role === 'captured') {
        single.set(b.id, this.#uploadedBuffer(b, inputs.upload(b)));
      } else {
        single.set(b.id, this.#ownedBuffer(b));
      }
    }
    // arena members: xs every run, captured once per data array; ys are read back from the arena
    for (const b of plan.buffers) {
      if (!b.arena || (b.role !== 'xs' && b.role !== 'captured')) continue;
      const data = inputs.upload(b);
      if (data.length !== b.elements) throw new RangeError(`${b.role} "${b.name}": got ${data.length} elements, the plan needs ${b.elements}`);
      const key = `${b.arena.buffer}:${b.id}`;
      if (b.role === 'captured' && this.#arenaUploads.get(key) === data) continue;
      writeHost(device, single.get(b.arena.buffer) as GPUBuffer, data, b.dtype, b.arena.offset * 4);
      this.#arenaUploads.set(key, data);
    }
    const startCur = new Map([...resident].map(([id, r]) => [id, r.cur]));
    const bufferAt = (id: number, side: 'cur' | 'next' | 'only', parity: number): GPUBuffer => {
      const r = resident.get(id);
      if (!r) return single.get(id) as GPUBuffer;
      const b = plan.buffers[id] as PlanBuffer;
      if (!b.pingPong) return r.current;
      const cur = ((startCur.get(id) as number) + parity) % 2;
      return r.buffers[side === 'next' ? 1 - cur : cur] as GPUBuffer;
    };
    // the round uniform: {t0, count} per round at a fixed stride
    const stride = Math.max(UNIFORM_STRIDE, this.ctx.limits.minUniformBufferOffsetAlignment);
    const need = rounds * stride;
    if (!this.#uniform || this.#uniform.size < need) {
      if (this.#uniform) destroyBuffer(this.#uniform);
      this.#uniform = createBuffer(device, { label: 'rounds', size: need, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      const words = new Uint32Array(need / 4);
      for (let r = 0; r < rounds; r++) {
        const first = r * plan.stepsPerRound;
        words[(r * stride) / 4] = first;
        words[(r * stride) / 4 + 1] = Math.min(plan.stepsPerRound, plan.steps - first);
      }
      device.queue.writeBuffer(this.#uniform, 0, words);
    }
    const uniform = this.#uniform;
    const groups = plan.kernels.map((k, ki) => [0, 1].map((parity) => device.createBindGroup({
      label: `${k.name}.${parity}`, layout: this.#layouts[ki] as GPUBindGroupLayout,
      entries: [
        { binding: 0, resource: { buffer: uniform, offset: 0, size: 8 } },
        ...k.bindings.map((b) => ({ binding: b.binding, resource: { buffer: bufferAt(b.buffer, b.side, parity) } })),
      ],
    })));
    const dims = plan.kernels.map((k) => this.#grid(k));
    const pings = plan.buffers.some((b) => b.pingPong);
    const profiled = opts.profile && device.features.has('timestamp-query')
      ? Math.min(rounds, Math.floor(MAX_PROFILED_DISPATCHES / Math.max(1, plan.kernels.length))) : 0;
    const queries = profiled > 0 ? device.createQuerySet({ type: 'timestamp', count: 2 * profiled * plan.kernels.length }) : undefined;
    for (let r0 = 0; r0 < rounds; r0 += plan.roundsPerSubmit) {
      const enc = device.createCommandEncoder();
      const r1 = Math.min(rounds, r0 + plan.roundsPerSubmit);
      let pass: GPUComputePassEncoder | undefined;
      for (let r = r0; r < r1; r++) {
        const parity = pings ? r % 2 : 0;
        plan.kernels.forEach((_, ki) => {
          if (queries && r < profiled) {
            // a pass per profiled dispatch, timestamped at its start and end
            pass?.end();
            const q = 2 * (r * plan.kernels.length + ki);
            pass = enc.beginComputePass({ timestampWrites: { querySet: queries, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 } });
          } else if (!pass) {
            pass = enc.beginComputePass();
          }
          pass.setPipeline(this.#pipelines[ki] as GPUComputePipeline);
          pass.setBindGroup(0, (groups[ki] as GPUBindGroup[])[parity] as GPUBindGroup, [r * stride]);
          const [x, y] = dims[ki] as [number, number];
          pass.dispatchWorkgroups(x, y);
          if (queries && r < profiled) {
            pass.end();
            pass = undefined;
          }
        });
      }
      pass?.end();
      device.queue.submit([enc.finish()]);
      if (opts.onProgress) {
        const done = Math.min(plan.steps, r1 * plan.stepsPerRound);
        void device.queue.onSubmittedWorkDone().then(() => opts.onProgress?.(done, plan.steps));
      }
    }
    // the final value of a ping-pong buffer sits in copy (start + rounds) % 2
    for (const [id, r] of resident) {
      if ((plan.buffers[id] as PlanBuffer).pingPong) r.cur = ((startCur.get(id) as number) + rounds) % 2;
    }
    const data = await this.#readback((id) => {
      const b = plan.buffers[id] as PlanBuffer;
      if (b.arena) return { buffer: single.get(b.arena.buffer) as GPUBuffer, offset: b.arena.offset * 4 };
      return { buffer: (resident.get(id)?.current ?? single.get(id)) as GPUBuffer, offset: 0 };
    });
    const gpuMs = performance.now() - t0;
    if (!queries) return { data, gpuMs };
    const profile = await this.#kernelTimes(queries, profiled);
    queries.destroy();
    return { data, gpuMs, profile };
  }

  /** The profiled dispatches' durations (end minus start of their passes), summed per kernel. */
  async #kernelTimes(queries: GPUQuerySet, rounds: number): Promise<RunProfile> {
    const { device } = this.ctx;
    const bytes = queries.count * 8;
    const resolved = createBuffer(device, { label: 'timestamps', size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = createBuffer(device, { label: 'timestamps-read', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.resolveQuerySet(queries, 0, queries.count, resolved, 0);
    enc.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const ns = new BigInt64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    destroyBuffer(staging);
    destroyBuffer(resolved);
    const kernels = this.plan.kernels;
    const total = new Float64Array(kernels.length);
    for (let r = 0; r < rounds; r++) {
      for (let ki = 0; ki < kernels.length; ki++) {
        const q = 2 * (r * kernels.length + ki);
        // timestamps may be quantized or reordered between passes: never a negative duration
        total[ki]! += Math.max(0, Number((ns[q + 1] as bigint) - (ns[q] as bigint))) / 1e6;
      }
    }
    return {
      steps: Math.min(this.plan.steps, rounds * this.plan.stepsPerRound),
      kernels: kernels.map((k, ki) => {
        const head = k.wgsl.slice(0, Math.max(0, k.wgsl.indexOf('\n'))).replace(/^\/\/ /, '');
        return { kernel: k.name, parts: head.includes(': ') ? head.slice(head.indexOf(': ') + 2) : head, dispatches: rounds, ms: total[ki] as number };
      }),
    };
  }

  async #readback(bufferOf: (id: number) => { buffer: GPUBuffer; offset: number }): Promise<Map<number, HostData>> {
    const { device } = this.ctx;
    const ids = this.plan.readback;
    const out = new Map<number, HostData>();
    if (ids.length === 0) {
      await device.queue.onSubmittedWorkDone();
      return out;
    }
    const offsets: number[] = [];
    let total = 0;
    for (const id of ids) {
      offsets.push(total);
      total += byteSize((this.plan.buffers[id] as PlanBuffer).elements);
    }
    const staging = createBuffer(device, { label: 'readback', size: total, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    ids.forEach((id, k) => {
      const b = this.plan.buffers[id] as PlanBuffer;
      const src = bufferOf(id);
      // an arena member is copied exactly (its neighbours follow it); a whole buffer in full
      enc.copyBufferToBuffer(src.buffer, src.offset, staging, offsets[k] as number, b.arena ? b.elements * 4 : byteSize(b.elements));
    });
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    // one copy per result, straight out of the mapped range
    const mapped = staging.getMappedRange();
    ids.forEach((id, k) => {
      const b = this.plan.buffers[id] as PlanBuffer;
      out.set(id, fromWords(mapped, offsets[k] as number, b.elements, b.dtype));
    });
    staging.unmap();
    destroyBuffer(staging);
    return out;
  }

  #grid(k: PlanKernel): [number, number] {
    const groups = Math.max(1, Math.ceil(k.invocations / k.workgroupSize));
    const maxX = this.ctx.limits.maxComputeWorkgroupsPerDimension;
    const x = Math.min(groups, maxX);
    return [x, Math.ceil(groups / x)];
  }

  /**
   * Free the buffers this executable made for its runs (temps, results, uploads, the round
   * uniform), keeping the pipelines: the next run makes them again.
   */
  releaseBuffers(): void {
    for (const b of this.#owned.values()) destroyBuffer(b);
    for (const { buffer } of this.#uploaded.values()) destroyBuffer(buffer);
    if (this.#uniform) destroyBuffer(this.#uniform);
    this.#uniform = undefined;
    this.#owned.clear();
    this.#uploaded.clear();
    this.#arenaUploads.clear();
  }

  destroy(): void {
    this.releaseBuffers();
  }
}

export { acquireDevice, doneWithDevice };
