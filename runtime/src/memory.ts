/**
 * GPU buffer accounting: every buffer the runtime creates goes through `createBuffer` here, so
 * the bytes alive on the device and their peak are known exactly (what checkpointed loops are
 * judged by). Counts are per process, over every device.
 */
const sizes = new WeakMap<GPUBuffer, number>();
let current = 0;
let peak = 0;

export function createBuffer(device: GPUDevice, desc: GPUBufferDescriptor): GPUBuffer {
  const b = device.createBuffer(desc);
  sizes.set(b, desc.size);
  current += desc.size;
  if (current > peak) peak = current;
  return b;
}

/** Destroy a buffer made by `createBuffer` (destroying twice counts once). */
export function destroyBuffer(b: GPUBuffer): void {
  const n = sizes.get(b);
  if (n !== undefined) {
    current -= n;
    sizes.delete(b);
  }
  b.destroy();
}

export interface GpuMemoryStats {
  /** Bytes in buffers alive now. */
  readonly current: number;
  /** The most bytes alive at once since the last `resetGpuMemoryPeak`. */
  readonly peak: number;
}

export function gpuMemoryStats(): GpuMemoryStats {
  return { current, peak };
}

/** Start a new peak measurement from what is alive now. */
export function resetGpuMemoryPeak(): void {
  peak = current;
}
