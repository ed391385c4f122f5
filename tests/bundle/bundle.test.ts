/**
 * Bundles: compile -> manifest -> BundleRunner gives the compile-then-run API's results; the
 * generated module type-checks under strict settings, pulls in the runtime only, and runs; bad
 * bundles and bad inputs fail with clear errors before any dispatch.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from 'ts-morph';
import { build } from 'esbuild';
import { u, brainstate, brainpy, compile, BundleRunner, BundleError, writeBundleModule, releaseDevice, type BundleManifest } from 'spiketrace';
import { contentHash } from '@spiketrace/runtime';
import { lifWalkthrough } from '../../examples/models/lif-walkthrough.ts';

const root = path.resolve(import.meta.dirname, '../..');
const outDir = path.join(root, 'out', 'test-bundle');
const T = 2000;
const times = Float32Array.from({ length: T }, (_, i) => Math.fround(i * 0.1));
let manifest: BundleManifest;
let apiV: Float32Array;

beforeAll(async () => {
  mkdirSync(outDir, { recursive: true });
  manifest = (await compile(lifWalkthrough())).manifest;
  // the compile-then-run API on the same model
  const spec = lifWalkthrough();
  brainstate.nn.initAllStates(spec.model);
  const ts = brainstate.environ.context({ dt: u.ms(0.1) }, () => u.math.arange(u.ms(0), u.ms(200), u.ms(0.1)));
  const v = await brainstate.environ.context({ dt: u.ms(0.1) }, () =>
    brainstate.transform.forLoop((t: u.Quantity) => spec.step({ t })!.V as u.Quantity, ts));
  apiV = v.toDecimal(u.mV).data as Float32Array;
});

afterAll(() => releaseDevice());

describe('compile', () => {
  it('records states, inputs, outputs, the plan and a content hash', async () => {
    expect(manifest.format).toBe('spiketrace-bundle');
    expect(manifest.version).toBe(1);
    expect(manifest.states.map((s) => [s.name, s.unit, s.shape, s.written])).toEqual([['lif.V', 'mV', [1], true]]);
    expect(manifest.inputs).toEqual([{ name: 't', dtype: 'f32', shape: [], unit: 'ms', index: 0 }]);
    expect(manifest.outputs).toEqual([{ name: 'V', dtype: 'f32', shape: [1], unit: 'mV', index: 0 }]);
    expect(manifest.options).toEqual({ dt: '0.1 ms', steps: T, batchSize: null, lowering: 'temporal-fusion' });
    expect(manifest.plan.kernels[0]!.wgsl).toContain('fn main');
    expect(manifest.hash).toBe(await contentHash(manifest));
    // the same model and options give the same hash
    expect((await compile(lifWalkthrough())).manifest.hash).toBe(manifest.hash);
    expect((await compile(lifWalkthrough(), { steps: 10 })).manifest.hash).not.toBe(manifest.hash);
  });

  it('saves a JSON manifest and the kernels; the runner loads the file', async () => {
    const bundle = await compile(lifWalkthrough());
    const file = await bundle.save(outDir);
    expect(readFileSync(path.join(outDir, 'lif-walkthrough.kernels', `${manifest.plan.kernels[0]!.name}.wgsl`), 'utf8')).toContain('fn main');
    const runner = await BundleRunner.load(file);
    const out = await runner.run({ inputs: { t: times } });
    expect(Array.from(out.V!)).toEqual(Array.from(apiV));
    runner.dispose();
  });

  it('compiles a plain Module with named outputs, batched', async () => {
    const neuron = new brainpy.LIF(3, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10), name: 'pop', V_initializer: u.mV(-60) });
    const bundle = await compile(neuron, { dt: u.ms(0.1), steps: 50, batchSize: 2, inputs: { I: u.mA([10, 20, 30]) }, outputs: ['V'] });
    expect(bundle.manifest.states[0]!.shape).toEqual([2, 3]);
    const runner = await BundleRunner.load(bundle.manifest);
    const out = await runner.run({ inputs: { I: new Float32Array(50 * 3).fill(30) } });
    expect(out.V!.length).toBe(50 * 6);
    const k = 1 - Math.exp(-0.01);
    let v = -60;
    for (let s = 0; s < 50; s++) v += k * (-v - 65 + 30);
    expect(out.V![49 * 6]).toBeCloseTo(v, 3);
    runner.dispose();
  });
});

describe('BundleRunner', () => {
  it('equals the compile-then-run API, keeps states between runs, and takes state writes', async () => {
    const runner = await BundleRunner.load(manifest);
    const out = await runner.run({ inputs: { t: times } });
    expect(Array.from(out.V!)).toEqual(Array.from(apiV));
    expect(runner.getState('lif.V')[0]).toBe(apiV[T - 1]);
    // a second run continues from the final state
    const again = await runner.run({ inputs: { t: times } });
    expect(again.V![0]).not.toBe(out.V![0]);
    runner.setState('lif.V', Float32Array.from([0]));
    const reset = await runner.run({ inputs: { t: times } });
    expect(Array.from(reset.V!)).toEqual(Array.from(apiV));
    runner.dispose();
  });
});

describe('generated module', () => {
  const file = path.join(outDir, 'gen', 'lif-walkthrough.ts');

  it('type-checks under the strict settings', async () => {
    await writeBundleModule({ manifest }, file);
    const project = new Project({
      compilerOptions: {
        strict: true, target: 9 /* ES2022 */, module: 199 /* NodeNext */, moduleResolution: 99 /* NodeNext */,
        noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true, verbatimModuleSyntax: true,
        types: ['@webgpu/types', 'node'], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      },
    });
    project.addSourceFileAtPath(file);
    project.resolveSourceFileDependencies();
    const diags = project.getPreEmitDiagnostics().map((d) => `${d.getSourceFile()?.getFilePath()}: ${String(d.getMessageText())}`);
    expect(diags).toEqual([]);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/export class LifWalkthrough/);
    expect(text).toMatch(/get lif_V\(\): Float32Array/);
    expect(text).toMatch(/HiddenState `lif\.V`: shape \[1\], f32, in mV/);
  }, 120_000);

  it('bundles with esbuild without the compiler, units or state packages, and runs', async () => {
    await writeBundleModule({ manifest }, file);
    const driver = path.join(outDir, 'gen', 'driver.ts');
    writeFileSync(driver, [
      "import { LifWalkthrough } from './lif-walkthrough.ts';",
      "import { releaseDevice } from '@spiketrace/runtime';",
      'const m = await LifWalkthrough.create();',
      'const t = Float32Array.from({ length: 2000 }, (_, i) => Math.fround(i * 0.1));',
      'const out = await m.run({ inputs: { t } });',
      'console.log(JSON.stringify({ V: Array.from(out.V), final: m.lif_V[0] }));',
      'm.dispose(); releaseDevice(); process.exit(0);',
    ].join('\n'));
    const result = await build({
      entryPoints: [driver], bundle: true, platform: 'node', format: 'esm', metafile: true, write: true,
      outfile: path.join(outDir, 'gen', 'driver.mjs'), external: ['webgpu'], logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('runtime/src/bundle-runner.ts'))).toBe(true);
    expect(inputs.filter((p) => /compiler\/|packages\/(units|state|models|spiketrace)\/|ts-morph|typescript/.test(p))).toEqual([]);
    const stdout = execFileSync(process.execPath, [path.join(outDir, 'gen', 'driver.mjs')], {
      cwd: root, env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' }, encoding: 'utf8', timeout: 60_000,
    });
    const res = JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as { V: number[]; final: number };
    expect(res.V).toEqual(Array.from(apiV));
    expect(res.final).toBe(apiV[T - 1]);
  }, 120_000);
});

describe('bad bundles and inputs fail before any dispatch', () => {
  const tampered = (f: (m: BundleManifest) => void): BundleManifest => {
    const m = JSON.parse(JSON.stringify(manifest)) as BundleManifest;
    f(m);
    return m;
  };
  const rehash = async (m: BundleManifest) => ({ ...m, hash: await contentHash(m) });

  it('wrong format or version', async () => {
    await expect(BundleRunner.load(tampered((m) => { (m as { format: string }).format = 'x'; }))).rejects.toThrow(/not a Spiketrace bundle/);
    await expect(BundleRunner.load(await rehash(tampered((m) => { m.version = 2; })))).rejects.toThrow(/version 2; this runtime reads version 1/);
  });

  it('hash mismatch', async () => {
    await expect(BundleRunner.load(tampered((m) => { m.options.steps = 3; }))).rejects.toThrow(/content hash mismatch/);
  });

  it('missing kernel', async () => {
    await expect(BundleRunner.load(await rehash(tampered((m) => { m.plan.kernels[0]!.wgsl = ''; })))).rejects.toThrow(/kernel 0 .* has no WGSL/);
    await expect(BundleRunner.load(await rehash(tampered((m) => { m.plan.kernels = []; })))).rejects.toThrow(/has no kernels/);
  });

  it('device limits below what the bundle needs', async () => {
    await expect(BundleRunner.load(await rehash(tampered((m) => { m.requires.maxStorageBuffersPerShaderStage = 100_000; }))))
      .rejects.toThrow(/needs maxStorageBuffersPerShaderStage = 100000, this device .* allows \d+/);
  });

  it('inputs of the wrong shape, unit or name; unknown states', async () => {
    const runner = await BundleRunner.load(manifest);
    const submits = countSubmits();
    await expect(runner.run({ inputs: { t: new Float32Array(5) } })).rejects.toThrow(/input "t" needs 2000 values \(2000 steps of shape \[\]\), got 5/);
    await expect(runner.run({ inputs: { t: { data: times, unit: 's' } } })).rejects.toThrow(/input "t" is given in s, the bundle expects ms/);
    await expect(runner.run({ inputs: {} })).rejects.toThrow(/needs input "t"/);
    await expect(runner.run({ inputs: { t: times, I: times } })).rejects.toThrow(/has no input "I"/);
    expect(() => runner.setState('V', new Float32Array(1))).toThrow(/has no state "V" \(states: lif\.V\)/);
    expect(() => runner.setState('lif.V', new Float32Array(2))).toThrow(/holds 1 values/);
    expect(submits()).toBe(0);
    await expect(runner.run({ inputs: { t: { data: times, unit: 'ms' } } })).resolves.toBeDefined();
    runner.dispose();
    await expect(runner.run({ inputs: { t: times } })).rejects.toThrow(BundleError);
  });
});

/** Count queue submissions from here on (the runtime's first GPU work in a run is a submit). */
function countSubmits(): () => number {
  let n = 0;
  const proto = (globalThis as unknown as { GPUQueue: { prototype: { submit: (...a: unknown[]) => unknown } } }).GPUQueue.prototype;
  const orig = proto.submit;
  proto.submit = function (this: unknown, ...a: unknown[]) {
    n++;
    return orig.apply(this, a);
  };
  return () => {
    proto.submit = orig;
    return n;
  };
}
