/**
 * Resident buffers: a State's (or carry's) value kept on the GPU between calls, as two copies
 * that swap roles as rounds run (reads from `cur`, writes to the other).
 */
import type { GpuContext } from './device.ts';
import type { ElemType } from './plan.ts';
import { createBuffer, destroyBuffer } from './memory.ts';

export type HostData = Float32Array | Int32Array | Uint32Array | Uint8Array;

export function byteSize(elements: number): number {
  return Math.max(16, Math.ceil((elements * 4) / 16) * 16);
}

/** Host data as the 32-bit words a buffer holds (bool widens to u32). */
export function toWords(data: HostData, dtype: ElemType): Float32Array | Int32Array | Uint32Array {
  if (dtype === 'bool' || data instanceof Uint8Array) return Uint32Array.from(data as Uint8Array);
  return data as Float32Array | Int32Array | Uint32Array;
}

export function fromWords(bytes: ArrayBuffer, offset: number, elements: number, dtype: ElemType): HostData {
  switch (dtype) {
    case 'f32': return new Float32Array(bytes.slice(offset, offset + elements * 4));
    case 'i32': return new Int32Array(bytes.slice(offset, offset + elements * 4));
    case 'u32': return new Uint32Array(bytes.slice(offset, offset + elements * 4));
    case 'bool': return Uint8Array.from(new Uint32Array(bytes.slice(offset, offset + elements * 4)));
  }
}

/** Upload host data into a buffer (bool widened to u32). */
export function writeHost(device: GPUDevice, buffer: GPUBuffer, data: HostData, dtype: ElemType, byteOffset = 0): void {
  const w = toWords(data, dtype);
  device.queue.writeBuffer(buffer, byteOffset, w.buffer as ArrayBuffer, w.byteOffset, w.byteLength);
}

const USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class ResidentBuffer {
  readonly buffers: GPUBuffer[] = [];
  /** Index of the copy that holds the current value. */
  cur = 0;
  /** The host value last uploaded or read back (identity marks "GPU copy is up to date"). */
  syncedWith: unknown = undefined;

  constructor(
    readonly ctx: GpuContext,
    readonly elements: number,
    readonly dtype: ElemType,
    readonly label: string,
  ) {
    this.ensurePair();
  }

  ensurePair(): void {
    while (this.buffers.length < 2) {
      this.buffers.push(createBuffer(this.ctx.device, { label: `${this.label}.${this.buffers.length}`, size: byteSize(this.elements), usage: USAGE() }));
    }
  }

  get current(): GPUBuffer {
    return this.buffers[this.cur] as GPUBuffer;
  }

  write(data: HostData, source: unknown): void {
    if (data.length !== this.elements) throw new RangeError(`${this.label}: ${data.length} elements for a buffer of ${this.elements}`);
    writeHost(this.ctx.device, this.current, data, this.dtype);
    this.syncedWith = source;
  }

  destroy(): void {
    for (const b of this.buffers) destroyBuffer(b);
    this.buffers.length = 0;
  }
}
