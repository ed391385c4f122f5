/**
 * The WebGPU device: one per process, acquired on first use (Dawn's `webgpu` package in Node,
 * `navigator.gpu` in a browser) with the adapter's own limits, and released when idle so that
 * Node can exit (Dawn keeps the event loop alive while a device exists).
 */

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapterDescription: string;
  /** The adapter runs shaders on the CPU (lavapipe, SwiftShader, a fallback adapter). */
  readonly cpuAdapter: boolean;
  /** Bumped on every acquisition: buffers of an older generation are gone. */
  readonly generation: number;
  readonly limits: {
    maxStorageBuffersPerShaderStage: number;
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupsPerDimension: number;
    minUniformBufferOffsetAlignment: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupStorageSize: number;
  };
}

export class DeviceUnavailableError extends Error {
  override name = 'DeviceUnavailableError';
}

let pending: Promise<GpuContext> | undefined;
// NOTE: Dawn frees its instance when the GPU object is garbage collected, even while a device made
// from it is alive (a crash in ProcessEvents). Keep it referenced for the life of the process.
let gpuInstance: GPU | undefined;
let live: GpuContext | undefined;
let generation = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
let idleReleaseMs = 1000;
let busy = 0;

/** How long an unused device is kept before it is released (ms); 0 keeps it until releaseDevice(). */
export function setIdleRelease(ms: number): void {
  idleReleaseMs = ms;
}

async function getGpu(): Promise<GPU> {
  if (gpuInstance) return gpuInstance;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  // Node: Dawn's bindings. The module specifier is held in a variable so browser bundlers skip it.
  const spec = 'webgpu';
  let mod: { create: (flags: string[]) => GPU; globals: object };
  try {
    mod = (await import(/* @vite-ignore */ spec)) as typeof mod;
  } catch (e) {
    throw new DeviceUnavailableError(`WebGPU is not available: no navigator.gpu and the 'webgpu' package did not load (${(e as Error).message})`);
  }
  Object.assign(globalThis, mod.globals);
  const flags = process.env.SPIKETRACE_DAWN_FLAGS ? process.env.SPIKETRACE_DAWN_FLAGS.split(',') : [];
  gpuInstance = mod.create(flags);
  return gpuInstance;
}

async function open(): Promise<GpuContext> {
  if (typeof process !== 'undefined' && process.env && !process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  const gpu = await getGpu();
  const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ?? (await gpu.requestAdapter());
  if (!adapter) {
    throw new DeviceUnavailableError(
      'no WebGPU adapter found. On Linux without a GPU install Mesa\'s lavapipe: ' +
        'apt-get install -y libvulkan1 && apt-get install -y -t bookworm-backports mesa-vulkan-drivers (npm test does this when run as root)',
    );
  }
  const al = adapter.limits;
  const want = {
    maxStorageBuffersPerShaderStage: al.maxStorageBuffersPerShaderStage,
    maxStorageBufferBindingSize: al.maxStorageBufferBindingSize,
    maxBufferSize: al.maxBufferSize,
    maxComputeWorkgroupsPerDimension: al.maxComputeWorkgroupsPerDimension,
    maxComputeInvocationsPerWorkgroup: al.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: al.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupStorageSize: al.maxComputeWorkgroupStorageSize,
  };
  const features: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredLimits: want, requiredFeatures: features });
  const info = adapter.info;
  const ctx: GpuContext = {
    device,
    adapterDescription: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter',
    cpuAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter) ||
      /llvmpipe|lavapipe|swiftshader|software/i.test([info?.vendor, info?.architecture, info?.description, info?.device].join(' ')),
    generation: ++generation,
    limits: {
      maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      minUniformBufferOffsetAlignment: device.limits.minUniformBufferOffsetAlignment,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
    },
  };
  void device.lost.then(() => {
    if (live === ctx) {
      live = undefined;
      pending = undefined;
    }
  });
  live = ctx;
  return ctx;
}

/** The shared device, acquired on first call. Pair with `release()` of the returned lease. */
export async function acquireDevice(): Promise<GpuContext> {
  busy++;
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  try {
    pending ??= open();
    return await pending;
  } catch (e) {
    pending = undefined;
    busy--;
    throw e;
  }
}

/** Mark the end of a use begun with acquireDevice(); an idle device is released after a while. */
export function doneWithDevice(): void {
  busy = Math.max(0, busy - 1);
  if (busy === 0 && idleReleaseMs > 0 && live) {
    idleTimer = setTimeout(releaseDevice, idleReleaseMs);
    (idleTimer as { unref?: () => void }).unref?.();
  }
}

/** Destroy the device now (resident buffers are lost; States keep their host values). */
export function releaseDevice(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  const ctx = live;
  live = undefined;
  pending = undefined;
  ctx?.device.destroy();
}

export function currentDevice(): GpuContext | undefined {
  return live;
}
