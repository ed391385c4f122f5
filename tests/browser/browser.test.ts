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

const V_TOL_MV = 1e-4;
const SCREENSHOT = join(repoRoot, 'out', 'browser', 'screenshot.png');

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

/** Every output of every bundle equal to Node's: spikes exactly, the rest within V_TOL_MV. */
function expectSameAsNode(node: NodeRuns, pr: PageResult): void {
  expect(Object.keys(pr.bundles).sort()).toEqual(Object.keys(node).sort());
  for (const [name, nr] of Object.entries(node)) {
    const pb = pr.bundles[name]!;
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
 * Test only, until the COBA network exists: 40 LIFs with graded constant currents whose output is
 * `spikes` ([T, 40] of 0/1), so that the page's raster path and the exact spike comparison run.
 */
function testPopulation(): ModelSpec {
  const n = 40;
  const neuron = new brainpy.LIF(n, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10), spkReset: 'hard', name: 'pop' });
  const current = u.mA(Array.from({ length: n }, (_, i) => 16 + i * 0.5));
  return {
    name: 'test-population', description: 'Test only: 40 LIF neurons with graded constant currents (a stand-in for the COBA raster).',
    model: neuron, inputs: { t: u.ms(0) }, dt: u.ms(0.1), steps: 2000,
    step: ({ t }) => brainstate.environ.context({ t }, () => ({ spikes: neuron.call(current) })),
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
    expect(built.catalog.map((c) => c.name)).toContain('lif-walkthrough');
  });

  it('runs every bundle in the page without error', () => {
    expect(pageResult.error, `the page failed; its console:\n${consoleLines.join('\n')}`).toBeUndefined();
    expect(pageResult.status).toBe('done');
    expect(Object.keys(pageResult.bundles).sort()).toEqual(Object.keys(built.bundles).sort());
  });

  it('reports a WebGPU adapter', () => {
    const a = pageResult.adapter;
    expect(a, 'window.__spiketrace.adapter').toBeDefined();
    expect(a!.summary).not.toBe('unknown adapter');
    expect(a!.vendor || a!.architecture || a!.description).not.toBe('');
    expect(pageResult.runtimeAdapter ?? '').not.toBe('');
    console.log(`browser test: Chromium's WebGPU adapter: ${a!.summary} (runtime: ${pageResult.runtimeAdapter}); screenshot: ${relative(repoRoot, SCREENSHOT)}`);
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

  it('agrees with Node on every output of every bundle (spikes exactly)', () => {
    expectSameAsNode(nodeRuns, pageResult);
  });

  it('draws a raster for an output named spikes, equal to Node\'s (a test-only population)', async () => {
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
});

