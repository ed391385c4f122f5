/**
 * BundleRunner: runs a compiled bundle with the runtime alone. States live on the GPU between
 * runs (their host copies are refreshed by each run's one readback); inputs are typed arrays in
 * the bundle's units; outputs come back stacked over the bundle's steps.
 */
import {
  decodeArray, validateManifest, BundleError, type BundleInput, type BundleManifest, type BundleState, type WordArray,
} from './bundle.ts';
import { acquireDevice, doneWithDevice, type GpuContext } from './device.ts';
import { Executable } from './executable.ts';
import type { PlanBuffer } from './plan.ts';
import { ResidentBuffer, type HostData } from './resident.ts';

/** A value for an input or a state: the data in the declared unit, or data with its unit named. */
export type UnitArray = WordArray | { data: WordArray; unit: string };

export interface BundleRunOptions {
  inputs?: Record<string, UnitArray>;
  onProgress?: (done: number, total: number) => void;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

function unwrap(what: string, v: UnitArray, unit: string): WordArray {
  if (ArrayBuffer.isView(v)) return v;
  if (v.unit !== unit) throw new BundleError(`${what} is given in ${v.unit || 'no unit'}, the bundle expects ${unit || 'no unit'}`);
  return v.data;
}

export class BundleRunner {
  readonly #states = new Map<string, { spec: BundleState; host: HostData; resident: ResidentBuffer }>();
  #disposed = false;

  private constructor(
    readonly manifest: BundleManifest,
    readonly ctx: GpuContext,
    readonly executable: Executable,
    readonly ownsDevice: boolean,
  ) {
    for (const s of manifest.states) {
      const host = decodeArray(s.initial);
      const r = new ResidentBuffer(ctx, size(s.shape), s.dtype, s.name);
      r.write(host, host);
      this.#states.set(s.name, { spec: s, host, resident: r });
    }
  }

  /**
   * Validate and prepare a bundle: a manifest object, its JSON text, or (in Node) a file path.
   * Every check (format, version, hash, kernels, device limits) runs before any dispatch.
   */
  static async load(source: BundleManifest | string | { manifest: BundleManifest }, opts: { device?: GPUDevice } = {}): Promise<BundleRunner> {
    const manifest = await validateManifest(await readSource(source));
    let ctx: GpuContext;
    let owns = false;
    if (opts.device) {
      const d = opts.device;
      ctx = {
        device: d, adapterDescription: 'caller-provided device', cpuAdapter: false, generation: -1,
        limits: {
          maxStorageBuffersPerShaderStage: d.limits.maxStorageBuffersPerShaderStage,
          maxStorageBufferBindingSize: d.limits.maxStorageBufferBindingSize,
          maxBufferSize: d.limits.maxBufferSize,
          maxComputeWorkgroupsPerDimension: d.limits.maxComputeWorkgroupsPerDimension,
          minUniformBufferOffsetAlignment: d.limits.minUniformBufferOffsetAlignment,
          maxComputeInvocationsPerWorkgroup: d.limits.maxComputeInvocationsPerWorkgroup,
          maxComputeWorkgroupStorageSize: d.limits.maxComputeWorkgroupStorageSize,
        },
      };
    } else {
      ctx = await acquireDevice();
      owns = true;
    }
    try {
      const need = manifest.requires;
      const have = ctx.limits;
      for (const k of ['maxStorageBuffersPerShaderStage', 'maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
        if (need[k] > have[k]) {
          throw new BundleError(`bundle "${manifest.name}" needs ${k} = ${need[k]}, this device (${ctx.adapterDescription}) allows ${have[k]}`);
        }
      }
      const exe = await Executable.create(ctx, manifest.plan);
      return new BundleRunner(manifest, ctx, exe, owns);
    } catch (e) {
      if (owns) doneWithDevice();
      throw e;
    }
  }

  get stateNames(): string[] {
    return [...this.#states.keys()];
  }

  /** The current host value of a state (refreshed by every run). */
  getState(name: string): WordArray {
    return this.#state(name).host;
  }

  /** Replace a state's value (uploaded before the next run). */
  setState(name: string, value: UnitArray): void {
    const st = this.#state(name);
    const data = unwrap(`state "${name}"`, value, st.spec.unit);
    if (data.length !== size(st.spec.shape)) {
      throw new BundleError(`state "${name}" holds ${size(st.spec.shape)} values (shape [${st.spec.shape.join(', ')}]), got ${data.length}`);
    }
    st.host = data;
    st.resident.write(data, data);
  }

  /** Run all of the bundle's steps; resolves to each output stacked over the steps. */
  async run(opts: BundleRunOptions = {}): Promise<Record<string, WordArray>> {
    if (this.#disposed) throw new BundleError(`bundle "${this.manifest.name}" was disposed`);
    const m = this.manifest;
    const inputs = new Map<number, WordArray>();
    const given = opts.inputs ?? {};
    for (const k of Object.keys(given)) {
      if (!m.inputs.some((i) => i.name === k)) throw new BundleError(`bundle "${m.name}" has no input "${k}" (inputs: ${m.inputs.map((i) => i.name).join(', ') || 'none'})`);
    }
    for (const spec of m.inputs) inputs.set(spec.index, this.#input(spec, given[spec.name]));
    const bySlot = new Map([...this.#states.values()].map((s) => [s.spec.slot, s]));
    const res = await this.executable.run({
      resident: (b: PlanBuffer) => {
        const s = bySlot.get(b.index);
        if (!s || b.role !== 'state') throw new BundleError(`bundle "${m.name}": no state for buffer ${b.name}`);
        if (s.resident.syncedWith !== s.host) s.resident.write(s.host, s.host);
        return s.resident;
      },
      upload: (b: PlanBuffer) => {
        if (b.role === 'captured') return decodeArray(m.captured[b.index]!);
        const d = inputs.get(b.index);
        if (!d) throw new BundleError(`bundle "${m.name}": no data for input buffer ${b.name}`);
        return d;
      },
    }, opts.onProgress ? { onProgress: opts.onProgress } : {});
    const out: Record<string, WordArray> = {};
    for (const b of m.plan.buffers) {
      const data = res.data.get(b.id);
      if (!data) continue;
      if (b.role === 'state') {
        const s = bySlot.get(b.index)!;
        s.host = data;
        s.resident.syncedWith = data;
      } else if (b.role === 'ys') {
        const o = m.outputs.find((x) => x.index === b.index);
        if (o) out[o.name] = data;
      }
    }
    return out;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const s of this.#states.values()) s.resident.destroy();
    this.executable.destroy();
    if (this.ownsDevice) doneWithDevice();
  }

  #state(name: string) {
    const s = this.#states.get(name);
    if (!s) throw new BundleError(`bundle "${this.manifest.name}" has no state "${name}" (states: ${this.stateNames.join(', ')})`);
    return s;
  }

  #input(spec: BundleInput, v: UnitArray | undefined): WordArray {
    const what = `input "${spec.name}"`;
    if (v === undefined) throw new BundleError(`bundle "${this.manifest.name}" needs ${what} (${this.manifest.options.steps} steps of shape [${spec.shape.join(', ')}] in ${spec.unit || 'no unit'})`);
    const data = unwrap(what, v, spec.unit);
    const want = this.manifest.options.steps * size(spec.shape);
    if (data.length !== want) {
      throw new BundleError(`${what} needs ${want} values (${this.manifest.options.steps} steps of shape [${spec.shape.join(', ')}]), got ${data.length}`);
    }
    return data;
  }
}

async function readSource(source: BundleManifest | string | { manifest: BundleManifest }): Promise<unknown> {
  if (typeof source !== 'string') return 'manifest' in source && !('format' in source) ? source.manifest : source;
  const text = source.trimStart();
  if (text.startsWith('{')) return JSON.parse(text);
  // a path (Node only); the specifier is hidden from browser bundlers
  const fsName = 'node:fs/promises';
  const fs = (await import(/* @vite-ignore */ fsName)) as { readFile(p: string, enc: string): Promise<string> };
  return JSON.parse(await fs.readFile(source, 'utf8'));
}
