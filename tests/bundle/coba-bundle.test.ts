/**
 * The COBA network as a bundle: compile(cobaSpec()) -> manifest -> BundleRunner gives exactly the
 * compile-then-run API's results (forLoop over the same model, inputs and seed): packed spikes
 * bit-identical, and the final States too. The manifest records the four States, the captured
 * connectivity, and the storage-buffer limit the plan needs (more than WebGPU's default 8, so the
 * bundle is compiled with maxStorageBuffers = COBA_STORAGE_BUFFERS and refused by a device below it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { u, brainstate, compile, BundleRunner, BundleError, releaseDevice, type BundleManifest } from 'spiketrace';
import { decodeArray } from '@spiketrace/runtime';
import { packSpikes, unpackSpikes, type CobaNet } from '../../examples/models/coba.ts';
import { cobaSpec, COBA_STORAGE_BUFFERS } from '../../examples/models/coba-spec.ts';

const N = 4000;
const T = 2000;
const SEED = 3;
const times = Float32Array.from({ length: T }, (_, i) => Math.fround(i * 0.1));

let manifest: BundleManifest;
let apiWords: Uint32Array;
let apiFinal: Record<string, ArrayLike<number>>;
let bundleWords: Uint32Array;
let bundleFinal: Record<string, ArrayLike<number>>;
let net: CobaNet;

beforeAll(async () => {
  const spec = cobaSpec({ n: N, seed: SEED, steps: T });
  net = spec.model as CobaNet;
  manifest = (await compile(spec)).manifest; // the spec asks for maxStorageBuffers: COBA_STORAGE_BUFFERS

  // the compile-then-run API on a fresh network with the same seed
  const api = cobaSpec({ n: N, seed: SEED, steps: T }).model as CobaNet;
  brainstate.nn.initAllStates(api);
  const ts = u.math.arange(u.ms(0), u.ms(T * 0.1 - 0.05), u.ms(0.1));
  expect(Array.from(ts.toDecimal(u.ms).data)).toEqual(Array.from(times));
  const packed = await brainstate.environ.context({ dt: u.ms(0.1) }, () =>
    brainstate.transform.forLoop((t: u.Quantity) => packSpikes(api.step(t)), ts));
  apiWords = Uint32Array.from(packed.data as ArrayLike<number>);
  apiFinal = Object.fromEntries([...api.states()].map(([k, s]) => {
    const v = s.value as u.Quantity;
    return [k, Array.from((v instanceof u.Quantity ? v.mantissa : v).data as ArrayLike<number>)];
  }));

  const runner = await BundleRunner.load(manifest);
  try {
    const out = await runner.run({ inputs: { t: times } });
    bundleWords = Uint32Array.from(out.spikes!);
    bundleFinal = Object.fromEntries(runner.stateNames.map((s) => [s, Array.from(runner.getState(s))]));
  } finally {
    runner.dispose();
  }
}, 120_000);

afterAll(() => releaseDevice());

describe('the COBA bundle', () => {
  it('records the four States, the packed spikes output, the captured connectivity and the limits it needs', () => {
    expect(manifest.name).toBe('coba');
    expect(manifest.options).toMatchObject({ dt: '0.1 ms', steps: T, batchSize: null });
    const states = Object.fromEntries(manifest.states.map((s) => [s.name, s]));
    const byName = (suffix: string) => Object.values(states).find((s) => s.name.endsWith(suffix));
    // V in mV, the last spike time in ms, the two conductances in a siemens unit (the synapse's own, mS)
    for (const [suffix, unit] of [['N.V', /^mV$/], ['N.last_spike_time', /^ms$/], ['[E_syn].g', /^[mnuµp]?S$/], ['[I_syn].g', /^[mnuµp]?S$/]] as const) {
      const s = byName(suffix);
      expect(s, `a State ending in ${suffix} (States: ${Object.keys(states).join(', ')})`).toBeDefined();
      expect(s!.shape).toEqual([N]);
      expect(s!.dtype).toBe('f32');
      expect(s!.unit).toMatch(unit);
      expect(s!.written).toBe(true);
    }
    expect(manifest.states).toHaveLength(4);
    // initial V is the seeded Normal(-55 mV, 5 mV) draw of the model
    expect(Array.from(decodeArray(byName('N.V')!.initial))).toEqual(Array.from(net.N.V.value.mantissa.data as ArrayLike<number>));

    expect(manifest.inputs).toEqual([{ name: 't', dtype: 'f32', shape: [], unit: 'ms', index: 0 }]);
    expect(manifest.outputs).toEqual([{ name: 'spikes', dtype: 'u32', shape: [Math.ceil(N / 32)], unit: '', index: 0 }]);

    // the connectivity of both projections, captured as i32 [n, k] target tables (rows outside the
    // projection's pre range are zero) with their [n] pre-range masks (bool: the step compares the mask with 0)
    for (const conn of [net.E.comm, net.I.comm] as const) {
      const c = conn as unknown as { indices: Int32Array; k: number; preRange: readonly [number, number] };
      const [s, e] = c.preRange;
      const table = manifest.captured.find((a) => a.dtype === 'i32' && a.shape.join() === `${N},${c.k}` &&
        Array.from(decodeArray(a).subarray(s * c.k, e * c.k)).every((x, i) => x === c.indices[i]));
      expect(table, `the captured target table of the pre range [${s}, ${e})`).toBeDefined();
      const mask = manifest.captured.filter((a) => (a.dtype === 'bool' || a.dtype === 'f32') && a.shape.join() === `${N}`)
        .map((a) => decodeArray(a)).find((m) => Array.from(m).every((x, i) => x === (i >= s && i < e ? 1 : 0)));
      expect(mask, `the captured mask of the pre range [${s}, ${e})`).toBeDefined();
    }

    // more than WebGPU's default 8 storage buffers per stage, within what it was compiled for
    const bindings = Math.max(...manifest.plan.kernels.map((k) => k.bindings.length));
    expect(manifest.requires.maxStorageBuffersPerShaderStage).toBe(bindings);
    expect(bindings).toBeGreaterThan(8);
    expect(bindings).toBeLessThanOrEqual(COBA_STORAGE_BUFFERS);
    const biggest = Math.max(...manifest.plan.buffers.map((b) => b.elements * 4));
    expect(manifest.requires.maxStorageBufferBindingSize).toBe(biggest);
    expect(manifest.requires.maxBufferSize).toBe(biggest);
  });

  it('equals the compile-then-run API bit for bit: packed spikes and final States', () => {
    expect(bundleWords.length).toBe(T * Math.ceil(N / 32));
    const api = unpackSpikes(apiWords, T, N);
    const bun = unpackSpikes(bundleWords, T, N);
    // a live network: both populations fire (the asynchronous-irregular state, a few to tens of Hz)
    let e = 0;
    for (const j of api.neuron) if (j < net.nE) e++;
    const rateE = e / net.nE / (T * 1e-4), rateI = (api.neuron.length - e) / net.nI / (T * 1e-4);
    console.log(`coba bundle test: n = ${N}, ${T} steps, seed ${SEED}, ${manifest.plan.lowering}: ${api.step.length} spikes (E ${rateE.toFixed(1)} Hz, I ${rateI.toFixed(1)} Hz); bundle ${bun.step.length} spikes`);
    expect(rateE).toBeGreaterThan(1);
    expect(rateI).toBeGreaterThan(1);
    expect(bundleWords).toEqual(apiWords);
    expect(Object.keys(bundleFinal).sort()).toEqual(Object.keys(apiFinal).sort());
    for (const [k, v] of Object.entries(apiFinal)) expect(bundleFinal[k], `final ${k}`).toEqual(v);
  });

  it('fits WebGPU\'s default 8 storage buffers as an arena-packed dispatch chain; below what a kernel needs, compile says which arrays', async () => {
    const b8 = await compile(cobaSpec({ n: 100, steps: 10 }), { maxStorageBuffers: 8 });
    expect(b8.manifest.plan.lowering).toBe('dispatch-chain');
    expect(Math.max(...b8.manifest.plan.kernels.map((k) => k.bindings.length))).toBeLessThanOrEqual(8);
    expect(b8.manifest.plan.buffers.some((b) => b.arena)).toBe(true);
    const err = await compile(cobaSpec({ n: 100, steps: 10 }), { maxStorageBuffers: 2 }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/reads and writes \d+ arrays \(.*\), but the device allows 2 storage buffers per shader stage/);
    await expect(compile(cobaSpec({ n: 100, steps: 10 }), { maxStorageBuffers: 0 })).rejects.toThrow(/maxStorageBuffers must be a positive integer/);
  });

  it('is refused, before any GPU work, by a device with only the default 8 storage buffers per stage', async () => {
    const limits = {
      maxStorageBuffersPerShaderStage: 8, maxStorageBufferBindingSize: 134_217_728, maxBufferSize: 268_435_456,
      maxComputeWorkgroupsPerDimension: 65_535, minUniformBufferOffsetAlignment: 256, maxComputeInvocationsPerWorkgroup: 256,
    };
    const device = { limits } as unknown as GPUDevice; // never used: the limit check comes first
    const err = await BundleRunner.load(manifest, { device }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect(String(err)).toMatch(new RegExp(`needs maxStorageBuffersPerShaderStage = ${manifest.requires.maxStorageBuffersPerShaderStage}, .* allows 8`));
  });
});
