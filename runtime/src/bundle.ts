/**
 * Ahead-of-time bundles: a compiled model as versioned, plain data (states, inputs, outputs, the
 * Plan with every kernel's WGSL, captured constants) plus a content hash. The runtime loads and
 * runs a bundle on its own: nothing here imports the compiler, units or state packages.
 */
import type { ElemType, Plan } from './plan.ts';

export const BUNDLE_FORMAT = 'spiketrace-bundle';
export const BUNDLE_VERSION = 1;

/** An array stored in a bundle: little-endian 32-bit words, base64. */
export interface BundleArray {
  dtype: ElemType;
  shape: number[];
  base64: string;
}

export interface BundleState {
  /** Module path, e.g. "lif.V". */
  name: string;
  /** State kind as declared (HiddenState, ParamState, ...). */
  kind: string;
  dtype: ElemType;
  shape: number[];
  /** Unit of the values ("mV"; "1" when dimensionless; "" for a plain Tensor). */
  unit: string;
  initial: BundleArray;
  /** The state slot the plan's buffers refer to. */
  slot: number;
  /** Whether the step writes it (then it is read back after every run). */
  written: boolean;
}

export interface BundleInput {
  name: string;
  dtype: ElemType;
  /** Shape of one step's slice; a run takes `steps` slices stacked on a leading axis. */
  shape: number[];
  unit: string;
  /** Index of the plan's xs buffer. */
  index: number;
}

export interface BundleOutput {
  name: string;
  dtype: ElemType;
  /** Shape of one step's value; a run returns `steps` of them stacked. */
  shape: number[];
  unit: string;
  /** Index of the plan's ys buffer. */
  index: number;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: number;
  /** `spiketrace@<version>` of the compiler that made it. */
  compiler: string;
  /** sha-256 of the canonical JSON of everything but this field. */
  hash: string;
  name: string;
  description: string;
  options: { dt: string; steps: number; batchSize: number | null; lowering: string };
  states: BundleState[];
  inputs: BundleInput[];
  outputs: BundleOutput[];
  captured: BundleArray[];
  plan: Plan;
  /** The device limits the plan needs. */
  requires: { maxStorageBuffersPerShaderStage: number; maxStorageBufferBindingSize: number; maxBufferSize: number };
}

export class BundleError extends Error {
  override name = 'BundleError';
}

/** JSON with object keys sorted at every level: the text the hash is taken over. */
export function canonicalJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v);
}

export async function contentHash(m: Omit<BundleManifest, 'hash'> | BundleManifest): Promise<string> {
  const { hash: _omit, ...rest } = m as BundleManifest;
  const bytes = new TextEncoder().encode(canonicalJson(rest));
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export type WordArray = Float32Array | Int32Array | Uint32Array | Uint8Array;

export function encodeArray(dtype: ElemType, shape: readonly number[], data: WordArray): BundleArray {
  const words = dtype === 'bool' ? Uint32Array.from(data as Uint8Array) : data;
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { dtype, shape: [...shape], base64: btoa(bin) };
}

export function decodeArray(a: BundleArray): WordArray {
  const bin = atob(a.base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const buf = bytes.buffer;
  switch (a.dtype) {
    case 'f32': return new Float32Array(buf);
    case 'i32': return new Int32Array(buf);
    case 'u32': return new Uint32Array(buf);
    case 'bool': return Uint8Array.from(new Uint32Array(buf));
  }
}

/**
 * Check a manifest before anything touches a device: format and version, the content hash,
 * and that the plan is whole (every kernel has WGSL, every binding names a buffer).
 */
export async function validateManifest(raw: unknown): Promise<BundleManifest> {
  const m = raw as Partial<BundleManifest>;
  if (!m || typeof m !== 'object' || m.format !== BUNDLE_FORMAT) {
    throw new BundleError(`not a Spiketrace bundle (format is ${JSON.stringify(m?.format)}, expected "${BUNDLE_FORMAT}")`);
  }
  if (m.version !== BUNDLE_VERSION) {
    throw new BundleError(`bundle "${m.name}" has version ${m.version}; this runtime reads version ${BUNDLE_VERSION}: recompile it`);
  }
  const want = await contentHash(m as BundleManifest);
  if (m.hash !== want) {
    throw new BundleError(`bundle "${m.name}": content hash mismatch (manifest says ${String(m.hash).slice(0, 12)}…, content is ${want.slice(0, 12)}…): it was changed after compilation`);
  }
  const plan = m.plan;
  if (!plan || !Array.isArray(plan.kernels) || plan.kernels.length === 0) throw new BundleError(`bundle "${m.name}": the plan has no kernels`);
  const ids = new Set(plan.buffers.map((b) => b.id));
  plan.kernels.forEach((k, i) => {
    if (typeof k.wgsl !== 'string' || !k.wgsl.includes('fn main')) throw new BundleError(`bundle "${m.name}": kernel ${i} (${k.name ?? '?'}) has no WGSL`);
    for (const b of k.bindings) {
      if (!ids.has(b.buffer)) throw new BundleError(`bundle "${m.name}": kernel ${k.name} binds buffer #${b.buffer}, which the plan does not declare`);
    }
  });
  return m as BundleManifest;
}
