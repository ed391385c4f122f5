/** `spiketrace devices`: the WebGPU adapters Dawn (or the browser) finds, and their key limits. */
import type { CommandSpec, Parsed } from './args.ts';
import { CliError } from './errors.ts';

export const devicesCommand: CommandSpec = {
  name: 'devices',
  synopsis: '[--json]',
  summary: 'List the WebGPU adapters found (vendor, architecture, description) with the limits that decide what a bundle can run: storage buffers per stage, binding and buffer sizes, workgroups, and features.',
  positionals: [],
  options: { json: { kind: 'boolean', help: 'print JSON' } },
};

const KEY_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupStorageSize',
] as const;

interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  fallback: boolean;
  limits: Record<string, number>;
  features: string[];
}

let gpu: GPU | undefined; // held for the life of the process (Dawn frees its instance on GC)

async function getGpu(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (gpu) return gpu;
  let mod: { create(flags: string[]): GPU; globals: object };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (e) {
    throw new CliError(`WebGPU is not available: the 'webgpu' package did not load (${(e as Error).message.split('\n')[0]})`);
  }
  Object.assign(globalThis, mod.globals);
  gpu = mod.create(process.env.SPIKETRACE_DAWN_FLAGS ? process.env.SPIKETRACE_DAWN_FLAGS.split(',') : []);
  return gpu;
}

function report(a: GPUAdapter): AdapterReport {
  const info = a.info;
  const limits: Record<string, number> = {};
  for (const k of KEY_LIMITS) limits[k] = Number((a.limits as unknown as Record<string, number>)[k]);
  return {
    vendor: info?.vendor ?? '', architecture: info?.architecture ?? '', device: info?.device ?? '', description: info?.description ?? '',
    fallback: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter),
    limits, features: [...a.features].map(String).sort(),
  };
}

export async function listAdapters(): Promise<AdapterReport[]> {
  const g = await getGpu();
  const tries: GPURequestAdapterOptions[] = [{ powerPreference: 'high-performance' }, { powerPreference: 'low-power' }, {}, { forceFallbackAdapter: true }];
  const found = new Map<string, AdapterReport>();
  for (const opts of tries) {
    let a: GPUAdapter | null = null;
    try {
      a = await g.requestAdapter(opts);
    } catch {
      a = null;
    }
    if (!a) continue;
    const r = report(a);
    const key = JSON.stringify([r.vendor, r.architecture, r.device, r.description]);
    if (!found.has(key)) found.set(key, r);
  }
  return [...found.values()];
}

export async function runDevices(args: Parsed, out: (s: string) => void): Promise<void> {
  if (process.env && !process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  const adapters = await listAdapters();
  if (args.options.json) {
    out(JSON.stringify({ adapters }, null, 2));
    if (!adapters.length) throw new CliError('no WebGPU adapter found');
    return;
  }
  if (!adapters.length) {
    throw new CliError('no WebGPU adapter found (on Linux without a GPU, install Mesa\'s lavapipe: apt-get install mesa-vulkan-drivers)');
  }
  const lines = [`${adapters.length} WebGPU adapter(s):`];
  adapters.forEach((a, i) => {
    lines.push(`[${i}] ${[a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown vendor'}: ${a.description || a.device || 'no description'}${a.fallback ? ' (fallback)' : ''}`);
    const w = Math.max(...KEY_LIMITS.map((k) => k.length));
    for (const k of KEY_LIMITS) lines.push(`    ${k.padEnd(w)}  ${a.limits[k]!.toLocaleString('en-US')}`);
    lines.push(`    features: ${a.features.join(', ') || 'none'}`);
  });
  out(lines.join('\n'));
}
