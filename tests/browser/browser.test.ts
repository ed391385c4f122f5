/**
 * End to end: the browser example (examples/browser) built, served on 127.0.0.1, and run by
 * Debian's Chromium headless through playwright-core, with WebGPU on (SwiftShader's adapter on a
 * machine without a GPU). The numbers the page computed must equal this process's run of the very
 * same bundle files with BundleRunner (Dawn; lavapipe on a machine without a GPU).
 *
 * Chromium is installed with apt-get when missing and we are root (see chromium.ts); otherwise the
 * test fails and says what to install.
 *
 * Tolerance for V: |V_page - V_node| <= 1e-4 mV per element (about 13 f32 ulps at 65 mV). The two
 * adapters are different compilers of the same WGSL (SwiftShader's and Mesa's llvmpipe JITs): the
 * WGSL spec allows exp() and friends a few ulps of error and lets an implementation fuse or reorder
 * a*b+c, so the last bits can differ; the LIF's decay contracts such differences rather than
 * growing them, and a hard reset puts both back on exactly V_reset. 1e-4 mV is far below anything
 * that shows on a plot and ~1e5 times smaller than the smallest per-step change of V after the
 * input turns on, so a wrong kernel, a wrong input or a step shift fails it. Spike (reset) steps,
 * and a `spikes` output when a bundle has one, must be equal exactly.
 *
 * The COBA network (4000 neurons, 200 ms, spikes packed 32 per u32 word): where the page's adapter
 * allows the storage buffers per shader stage the bundle needs (manifest.requires, 13), the page's
 * unpacked spike (step, neuron) list must equal the Node run's exactly, and so must the packed words.
 * Chromium's SwiftShader adapter allows 10 (Chromium's tiered limits; 12 untiered, with
 * --disable-dawn-features=tiered_adapter_limits), so there the test checks instead that the page
 * reports the runtime's refusal (naming both numbers) and runs the other bundles; the page's
 * packed-spikes path (unpacking, raster, rates) is then checked exactly on a test-only packed
 * population that fits in 10 buffers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleRunner, releaseDevice, setIdleRelease, type WordArray } from '@spiketrace/runtime';
import { brainpy, brainstate, u, type ModelSpec } from 'spiketrace';
import { buildBrowserExample, repoRoot, type BuildResult } from '../../examples/browser/build.ts';
import type { PageResult } from '../../examples/browser/main.ts';
import { serveStatic, type StaticServer } from '../../examples/browser/serve.ts';
import { CHROMIUM_FLAGS, ensureChromium } from './chromium.ts';
import { packSpikes, unpackSpikes } from '../../examples/models/coba.ts';

const V_TOL_MV = 1e-4;
const SCREENSHOT = join(repoRoot, 'out', 'browser', 'screenshot.png');
const SCREENSHOT_PACKED = join(repoRoot, 'out', 'browser', 'screenshot-packed.png');

let built: BuildResult;
let server: StaticServer | undefined;
let context: BrowserContext | undefined;
let userDataDir: string | undefined;
let page: Page;
let pageResult: PageResult;
const consoleLines: string[] = [];
/** This process's run of each bundle: outputs and final states, by bundle name. */
const nodeRuns: NodeRuns = {};

/** The steps at which V was reset (a drop of more than 1 mV): the page uses the same rule. */
function resetSteps(v: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 1; i < v.length; i++) if (v[i]! < v[i - 1]! - 1) out.push(i);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; at: number } {
  let max = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= max)) { max = d; at = i; } // NaN counts as the worst
  }
  return { max, at };
}

type NodeRuns = Record<string, { outputs: Record<string, WordArray>; finalState: Record<string, WordArray>; steps: number }>;

/** This process's run (Dawn) of every bundle of a build, from the same files, with the same inputs (t_i = f32(i * dt)). */
async function runInNode(b: BuildResult, into: NodeRuns): Promise<void> {
  for (const [name, file] of Object.entries(b.bundles)) {
    const runner = await BundleRunner.load(readFileSync(file, 'utf8'));
    try {
      const m = runner.manifest;
      const dt = Number(/^([0-9.]+) ms$/.exec(m.options.dt)?.[1]);
      if (!(dt > 0)) throw new Error(`bundle ${name}: the test reads dt in ms, got "${m.options.dt}"`);
      const inputs: Record<string, Float32Array> = {};
      for (const inp of m.inputs) {
        if (inp.name !== 't') throw new Error(`bundle ${name}: the test makes only a time input t, not "${inp.name}"`);
        inputs.t = Float32Array.from({ length: m.options.steps }, (_, i) => Math.fround(i * dt));
      }
      const outputs = await runner.run({ inputs });
      const finalState = Object.fromEntries(runner.stateNames.map((s) => [s, runner.getState(s)]));
      into[name] = { outputs, finalState, steps: m.options.steps };
    } finally {
      runner.dispose();
    }
  }
}

/** Open a served page in the browser and wait for its results. */
async function runInPage(url: string): Promise<{ page: Page; result: PageResult }> {
  const p = await context!.newPage();
  p.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  p.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  await p.goto(url, { waitUntil: 'load' });
  await p.waitForFunction(() => window.__spiketrace && window.__spiketrace.status !== 'running', null, { timeout: 45_000 });
  return { page: p, result: await p.evaluate(() => window.__spiketrace) };
}

/** A bundle the page's runtime refused must need more than the page's adapter allows, and say so. */
function expectRefusedForLimits(pr: PageResult, name: string): void {
  const pb = pr.bundles[name]!;
  const need = pb.requires!.maxStorageBuffersPerShaderStage, have = pr.adapter!.limits.maxStorageBuffersPerShaderStage;
  expect(need, `bundle ${name} was refused, though the adapter allows ${have} storage buffers per stage`).toBeGreaterThan(have);
  expect(pb.refused).toMatch(new RegExp(`^BundleError: bundle "${name}" needs maxStorageBuffersPerShaderStage = ${need}, this device \\(.*\\) allows ${have}$`));
  expect(Object.keys(pb.outputs)).toEqual([]);
}

/** Every output of every bundle equal to Node's: spikes exactly, the rest within V_TOL_MV (bundles refused for the adapter's limits excepted). */
function expectSameAsNode(node: NodeRuns, pr: PageResult): void {
  expect(Object.keys(pr.bundles).sort()).toEqual(Object.keys(node).sort());
  for (const [name, nr] of Object.entries(node)) {
    const pb = pr.bundles[name]!;
    if (pb.refused !== undefined) {
      expectRefusedForLimits(pr, name);
      continue;
    }
    expect(Object.keys(pb.outputs).sort(), `bundle ${name}: outputs`).toEqual(Object.keys(nr.outputs).sort());
    for (const [o, nv] of Object.entries(nr.outputs)) {
      const pv = pb.outputs[o]!;
      expect(pv.length, `bundle ${name}: ${o} length`).toBe(nv.length);
      if (o === 'spikes') expect(pv, `bundle ${name}: spikes`).toEqual(Array.from(nv));
      else expect(maxAbsDiff(pv, nv).max, `bundle ${name}: ${o}`).toBeLessThanOrEqual(V_TOL_MV);
    }
    for (const [st, nv] of Object.entries(nr.finalState)) {
      expect(maxAbsDiff(pb.finalState[st]!, nv).max, `bundle ${name}: final ${st}`).toBeLessThanOrEqual(V_TOL_MV);
    }
  }
}

/**
 * Test only: LIFs with graded constant currents whose output is `spikes`: [T, 40] of 0/1, or (packed)
 * 70 neurons packed 32 per u32 word as the COBA bundle records them (3 words per step, the last one
 * partly used), so that the page's raster paths and the exact spike comparison run on any adapter.
 */
function testPopulation(packed = false): ModelSpec {
  const n = packed ? 70 : 40;
  const neuron = new brainpy.LIF(n, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10), spkReset: 'hard', name: 'pop' });
  const current = u.mA(Array.from({ length: n }, (_, i) => 16 + i * 0.5));
  return {
    name: packed ? 'test-population-packed' : 'test-population',
    description: `Test only: ${n} LIF neurons with graded constant currents${packed ? ', spikes packed 32 per u32 word' : ''}.`,
    model: neuron, inputs: { t: u.ms(0) }, dt: u.ms(0.1), steps: 2000,
    step: ({ t }) => brainstate.environ.context({ t }, () => {
      const spikes = neuron.call(current);
      return { spikes: packed ? packSpikes(spikes) : spikes };
    }),
  };
}

beforeAll(async () => {
  const chromiumPath = await ensureChromium();

  built = await buildBrowserExample();

  await runInNode(built, nodeRuns);

  server = await serveStatic(built.outDir, 0, '127.0.0.1');
  userDataDir = mkdtempSync(join(tmpdir(), 'spiketrace-chromium-'));
  // launchPersistentContext owns --user-data-dir: a fresh directory per run.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    viewport: { width: 1000, height: 900 },
    timeout: 60_000,
  });
  ({ page, result: pageResult } = await runInPage(server.url));
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
}, 600_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await server?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  releaseDevice();
  setIdleRelease(1000);
});

describe('the browser example (Debian Chromium headless, WebGPU)', () => {
  it('builds a browser bundle with the runtime only', () => {
    const foreign = built.browserInputs.filter((p) => !p.startsWith('runtime/src/') && !p.startsWith('examples/browser/'));
    expect(foreign, 'files outside runtime/ and examples/browser/ in main.js').toEqual([]);
    expect(built.catalog.map((c) => c.name)).toEqual(['lif-walkthrough', 'coba']);
    expect(built.catalog[1]).toMatchObject({ neurons: 4000, excitatory: 3200 });
  });

  it('runs every bundle in the page without error (or reports that the adapter is below what it needs)', () => {
    expect(pageResult.error, `the page failed; its console:\n${consoleLines.join('\n')}`).toBeUndefined();
    expect(pageResult.status).toBe('done');
    expect(Object.keys(pageResult.bundles).sort()).toEqual(Object.keys(built.bundles).sort());
    expect(pageResult.bundles['lif-walkthrough']!.refused).toBeUndefined();
    for (const b of Object.values(pageResult.bundles)) if (b.refused !== undefined) expectRefusedForLimits(pageResult, b.name);
  });

  it('reports a WebGPU adapter', () => {
    const a = pageResult.adapter;
    expect(a, 'window.__spiketrace.adapter').toBeDefined();
    expect(a!.summary).not.toBe('unknown adapter');
    expect(a!.vendor || a!.architecture || a!.description).not.toBe('');
    expect(pageResult.runtimeAdapter ?? '').not.toBe('');
    expect(a!.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
    console.log(`browser test: Chromium's WebGPU adapter: ${a!.summary} (runtime: ${pageResult.runtimeAdapter}); ` +
      `limits ${JSON.stringify(a!.limits)}; screenshot: ${relative(repoRoot, SCREENSHOT)}`);
  });

  it("computes the walk-through LIF's V trace that Node computes", () => {
    const node = nodeRuns['lif-walkthrough']!;
    const nodeV = node.outputs.V!;
    const pageV = pageResult.outputs.V!;
    expect(nodeV.length).toBe(2000);
    expect(pageV.length).toBe(nodeV.length);
    const { max, at } = maxAbsDiff(pageV, nodeV);
    console.log(`browser test: lif-walkthrough V: max |page - node| = ${max.toExponential(3)} mV at step ${at} (tolerance ${V_TOL_MV} mV); ${pageV.filter((x, i) => x === nodeV[i]).length}/${pageV.length} bit-equal`);
    expect(max).toBeLessThanOrEqual(V_TOL_MV);
    // spike times exactly, both from the raw traces and as the page reported them
    const nodeSpikes = resetSteps(nodeV);
    expect(nodeSpikes.length).toBeGreaterThan(0);
    expect(resetSteps(pageV)).toEqual(nodeSpikes);
    expect(pageResult.bundles['lif-walkthrough']!.resetSteps.V).toEqual(nodeSpikes);
    // the final state
    const nodeFinal = node.finalState['lif.V']!;
    const pageFinal = pageResult.finalState['lif.V']!;
    expect(pageFinal.length).toBe(nodeFinal.length);
    expect(maxAbsDiff(pageFinal, nodeFinal).max).toBeLessThanOrEqual(V_TOL_MV);
  });

  it("computes the COBA network's spike raster that Node computes, exactly", () => {
    const node = nodeRuns['coba'];
    expect(node, 'the COBA bundle in the build').toBeDefined();
    const pb = pageResult.bundles['coba']!;
    const n = 4000, steps = node!.steps;
    expect(steps).toBe(2000);
    expect(node!.outputs.spikes!.length).toBe(steps * Math.ceil(n / 32));
    if (pb.refused !== undefined) {
      // this adapter allows fewer storage buffers per stage than the bundle binds: the page must say so
      expectRefusedForLimits(pageResult, 'coba');
      const ns = unpackSpikes(node!.outputs.spikes!, steps, n);
      console.log(`browser test: coba NOT compared with Node: the page's adapter allows ${pageResult.adapter!.limits.maxStorageBuffersPerShaderStage} ` +
        `storage buffers per shader stage, the bundle needs ${pb.requires!.maxStorageBuffersPerShaderStage}; the page reported "${pb.refused}". ` +
        `(Node ran it: ${ns.step.length} spikes.) The packed-spikes path is checked on a test-only population below.`);
      expect(ns.step.length).toBeGreaterThan(1000);
      return;
    }
    expect(pb.packedSpikes).toBe(true);
    expect(pb.neurons).toBe(n);
    expect(pb.requires!.maxStorageBuffersPerShaderStage).toBeGreaterThan(8);
    expect(pageResult.adapter!.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(pb.requires!.maxStorageBuffersPerShaderStage);
    const words = node!.outputs.spikes!;
    expect(words.length).toBe(steps * Math.ceil(n / 32));
    const ns = unpackSpikes(words, steps, n);
    const nodeList = Array.from(ns.step, (t, k) => [t, ns.neuron[k]!] as [number, number]);
    const pageList = pb.spikes!;
    const key = (l: ReadonlyArray<readonly [number, number]>) => new Set(l.map(([t, j]) => t * n + j));
    const a = key(nodeList), b = key(pageList);
    const onlyNode = [...a].filter((x) => !b.has(x)).length, onlyPage = [...b].filter((x) => !a.has(x)).length;
    const secs = steps * 1e-4;
    const nodeRate = nodeList.length / n / secs;
    console.log(`browser test: coba: ${nodeList.length} spikes in Node (${nodeRate.toFixed(2)} Hz), ${pageList.length} in the page ` +
      `(${pb.rates!.all.toFixed(2)} Hz; E ${pb.rates!.E?.toFixed(2)} Hz, I ${pb.rates!.I?.toFixed(2)} Hz); only in Node ${onlyNode}, only in the page ${onlyPage}; ` +
      `page run ${pb.runMs.toFixed(0)} ms`);
    expect(nodeList.length).toBeGreaterThan(1000);
    expect(pageList).toEqual(nodeList);
    expect(pb.outputs.spikes).toEqual(Array.from(words));
  });

  it('agrees with Node on every output of every bundle (spikes exactly)', () => {
    expectSameAsNode(nodeRuns, pageResult);
  });

  it('draws a raster for an unpacked output named spikes, equal to Node\'s (a test-only population)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spiketrace-browser-'));
    const extra = await serveStatic(dir, 0, '127.0.0.1');
    try {
      const b = await buildBrowserExample(dir, () => {}, [testPopulation]);
      const node: NodeRuns = {};
      await runInNode(b, node);
      const { page: p, result } = await runInPage(extra.url);
      await p.close();
      expect(result.error, `the page failed; its console:\n${consoleLines.join('\n')}`).toBeUndefined();
      const nodeSpikes = node['test-population']!.outputs.spikes!;
      expect(nodeSpikes.length).toBe(2000 * 40);
      const count = Array.from(nodeSpikes).reduce((a, x) => a + x, 0);
      expect(count).toBeGreaterThan(100);
      expect(result.bundles['test-population']!.spikes!.length).toBe(count);
      expectSameAsNode(node, result);
    } finally {
      await extra.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unpacks and draws packed u32 spikes (32 neurons per word) exactly as Node decodes them (a test-only packed population)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spiketrace-browser-'));
    const extra = await serveStatic(dir, 0, '127.0.0.1');
    try {
      const b = await buildBrowserExample(dir, () => {}, [() => testPopulation(true)]);
      const node: NodeRuns = {};
      await runInNode(b, node);
      const { page: p, result } = await runInPage(extra.url);
      await p.screenshot({ path: SCREENSHOT_PACKED, fullPage: true });
      await p.close();
      expect(result.error, `the page failed; its console:\n${consoleLines.join('\n')}`).toBeUndefined();
      const name = 'test-population-packed', n = 70, steps = 2000;
      const words = node[name]!.outputs.spikes!;
      expect(words.length).toBe(steps * 3);
      const ns = unpackSpikes(words, steps, n);
      expect(ns.step.length).toBeGreaterThan(100);
      expect(ns.neuron.some((j) => j >= 64), 'spikes in the partly used last word').toBe(true);
      const pb = result.bundles[name]!;
      expect(pb.refused).toBeUndefined();
      expect(pb.packedSpikes).toBe(true);
      expect(pb.neurons).toBe(n);
      expect(pb.spikes).toEqual(Array.from(ns.step, (t, k) => [t, ns.neuron[k]!]));
      expect(pb.rates!.all).toBeCloseTo(ns.step.length / n / (steps * 1e-4), 9);
      expectSameAsNode(node, result);
    } finally {
      await extra.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

