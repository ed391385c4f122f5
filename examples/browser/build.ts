/**
 * Builds the browser example into out/browser/ (git-ignored):
 *  1. compiles each model below with `compile` (in Node) and saves its bundle next to the page;
 *  2. writes bundles.json, the list the page loads (with each model's threshold for the plot, and
 *     for a network the neuron count and the excitatory range, to unpack and draw its spikes);
 *  3. bundles main.ts with esbuild for the browser (ESM). main.ts imports only '@spiketrace/runtime',
 *     and the build fails if anything of the compiler, units, state or models packages gets in;
 *  4. copies index.html and a font (DejaVu Sans, so the plot's labels look the same everywhere).
 *
 *   npx tsx examples/browser/build.ts [outDir]
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { compile, u, type ModelSpec } from 'spiketrace';
import { cobaSpec } from '../models/coba-spec.ts';
import { lifWalkthrough } from '../models/lif-walkthrough.ts';
import type { CatalogEntry } from './main.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const defaultOutDir = join(repoRoot, 'out', 'browser');

/**
 * The models the page shows, in order: the walk-through's LIF (portable: WebGPU's default limits),
 * and the COBA network (4000 neurons, 200 ms), whose plan binds more than the default 8 storage
 * buffers per shader stage (its spec compiles with `maxStorageBuffers: COBA_STORAGE_BUFFERS`): it runs
 * only on an adapter with at least `manifest.requires` of them (the page says so, and shows what its
 * adapter allows).
 */
export const MODELS: ReadonlyArray<() => ModelSpec> = [lifWalkthrough, () => cobaSpec()];

export interface BuildResult {
  outDir: string;
  /** Each bundle's manifest path, by bundle name. */
  bundles: Record<string, string>;
  catalog: CatalogEntry[];
  /** Every source file that went into main.js (relative to the repository root). */
  browserInputs: string[];
  mainJsBytes: number;
}

/** A quantity field of the model (V_th, V_reset), in mV, when there is one. */
function inMv(model: unknown, field: string): number | undefined {
  const v = (model as Record<string, unknown>)[field];
  if (!(v instanceof u.Quantity)) return undefined;
  try {
    return v.to(u.mV(1).unit).item();
  } catch {
    return undefined;
  }
}

/** Packages that must never reach the browser bundle. */
const FORBIDDEN = ['compiler/', 'packages/units/', 'packages/state/', 'packages/models/', 'packages/spiketrace/', 'kernels/'];

export async function buildBrowserExample(
  outDir: string = defaultOutDir,
  log: (m: string) => void = () => {},
  models: ReadonlyArray<() => ModelSpec> = MODELS,
): Promise<BuildResult> {
  await mkdir(outDir, { recursive: true });
  const bundles: Record<string, string> = {};
  const catalog: CatalogEntry[] = [];
  for (const make of models) {
    const spec = make();
    const bundle = await compile(spec);
    const file = await bundle.save(outDir);
    bundles[bundle.name] = file;
    const entry: CatalogEntry = { file: relative(outDir, file), name: bundle.name, description: bundle.manifest.description };
    const th = inMv(spec.model, 'V_th');
    const reset = inMv(spec.model, 'V_reset');
    if (th !== undefined) entry.threshold_mV = th;
    if (reset !== undefined) entry.reset_mV = reset;
    // a network (the COBA model): its size and excitatory count, to unpack packed spikes and split rates
    const net = spec.model as unknown as { n?: unknown; nE?: unknown };
    if (typeof net.n === 'number') entry.neurons = net.n;
    if (typeof net.nE === 'number') entry.excitatory = net.nE;
    catalog.push(entry);
    log(`compiled ${bundle.name} -> ${relative(repoRoot, file)} (${bundle.manifest.plan.lowering}, needs ${bundle.manifest.requires.maxStorageBuffersPerShaderStage} storage buffers per stage)`);
  }
  await writeFile(join(outDir, 'bundles.json'), JSON.stringify(catalog, null, 1));

  const r = await esbuild({
    entryPoints: [join(here, 'main.ts')],
    outfile: join(outDir, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: repoRoot,
  });
  const browserInputs = Object.keys(r.metafile.inputs).map((p) => relative(repoRoot, resolve(repoRoot, p)).split('\\').join('/'));
  const leaked = browserInputs.filter((p) => FORBIDDEN.some((f) => p.startsWith(f) || p.includes(`/${f}`)));
  if (leaked.length) throw new Error(`the browser bundle must hold only the runtime, but it pulls in: ${leaked.join(', ')}`);
  const mainJsBytes = Object.entries(r.metafile.outputs).find(([k]) => k.endsWith('main.js'))?.[1].bytes ?? 0;
  log(`bundled main.ts -> ${relative(repoRoot, join(outDir, 'main.js'))} (${mainJsBytes} bytes from ${browserInputs.length} files)`);

  await copyFile(join(here, 'index.html'), join(outDir, 'index.html'));
  const require = createRequire(import.meta.url);
  const fontDir = dirname(require.resolve('dejavu-fonts-ttf/package.json'));
  await copyFile(join(fontDir, 'ttf', 'DejaVuSans.ttf'), join(outDir, 'DejaVuSans.ttf'));
  return { outDir, bundles, catalog, browserInputs, mainJsBytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ? resolve(process.argv[2]) : defaultOutDir;
  buildBrowserExample(out, (m) => console.log(m)).then(
    (r) => console.log(`built ${relative(process.cwd(), r.outDir) || '.'}: serve it with npx tsx examples/browser/serve.ts`),
    (e: unknown) => {
      console.error(`build failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
