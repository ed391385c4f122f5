/** `spiketrace compile <model.ts>`: compile a model file to a bundle and a typed module. */
import path from 'node:path';
import { writeBundleModule } from '@spiketrace/compiler';
import { compile, type CompileOptions, type ModelSpec } from '../compile.ts';
import type { Bundle } from '../bundle.ts';
import type { CommandSpec, OptionSpec, Parsed } from './args.ts';
import { CliError } from './errors.ts';
import { summaryLines } from './format.ts';
import { loadModel } from './load-model.ts';
import { parseDuration } from './units.ts';

const LOWERINGS = ['auto', 'temporal-fusion', 'dispatch-chain'] as const;

/** The options that shape a compile: shared by compile, run and inspect of a model file. */
export const COMPILE_OPTIONS: Record<string, OptionSpec> = {
  steps: { kind: 'int', value: 'N', help: 'time steps per run (default: the model\'s steps)' },
  dt: { kind: 'string', value: 'time', help: 'time step, e.g. 0.1ms, 100us, 0.0001s (default: the model\'s dt)' },
  lowering: { kind: 'string', value: 'mode', help: 'auto | temporal-fusion | dispatch-chain (default auto)' },
  batch: { kind: 'int', value: 'N', help: 'batch size for the model\'s States (default: unbatched)' },
};

export const compileCommand: CommandSpec = {
  name: 'compile',
  synopsis: '<model.ts> [--out dir] [--steps N] [--dt 0.1ms] [--lowering auto|temporal-fusion|dispatch-chain] [--batch N]',
  summary: 'Compile a model file (default export: a ModelSpec or a function returning one) to a bundle: writes <out>/<name>.bundle.json, the kernels\' WGSL under <out>/<name>.kernels/, and a typed module <out>/<name>.ts.',
  positionals: ['model.ts'],
  options: { out: { kind: 'string', value: 'dir', help: 'output folder (default: out/bundles)' }, ...COMPILE_OPTIONS },
};

export function compileOptions(opts: Parsed['options']): CompileOptions {
  const o: CompileOptions = {};
  if (opts.steps !== undefined) o.steps = opts.steps as number;
  if (opts.batch !== undefined) o.batchSize = opts.batch as number;
  if (opts.dt !== undefined) o.dt = parseDuration(String(opts.dt));
  if (opts.lowering !== undefined) {
    const l = String(opts.lowering);
    if (!(LOWERINGS as readonly string[]).includes(l)) throw new CliError(`--lowering must be one of ${LOWERINGS.join(', ')}, got "${l}"`);
    o.lowering = l as CompileOptions['lowering'];
  }
  return o;
}

export interface CompiledModel {
  spec: ModelSpec;
  bundle: Bundle;
  loadMs: number;
  compileMs: number;
}

/** Load a model file and compile it with the command-line options. */
export async function compileModelFile(file: string, opts: Parsed['options']): Promise<CompiledModel> {
  const copts = compileOptions(opts);
  const t0 = performance.now();
  const spec = await loadModel(file);
  const t1 = performance.now();
  if (!copts.dt && !spec.dt) throw new CliError(`${spec.name}: the model has no dt; pass --dt (e.g. --dt 0.1ms)`);
  if (!copts.steps && !spec.steps) throw new CliError(`${spec.name}: the model has no steps; pass --steps N`);
  const bundle = await compile(spec, copts);
  return { spec, bundle, loadMs: t1 - t0, compileMs: performance.now() - t1 };
}

export async function runCompile(args: Parsed, out: (s: string) => void): Promise<void> {
  const [file] = args.positionals as [string];
  const dir = path.resolve(String(args.options.out ?? 'out/bundles'));
  const { bundle, compileMs } = await compileModelFile(file, args.options);
  const bundleFile = await bundle.save(dir);
  const moduleFile = await writeBundleModule(bundle, path.join(dir, `${bundle.name}.ts`));
  const rel = (p: string) => path.relative(process.cwd(), p) || p;
  const lines = [
    `compiled ${file} in ${compileMs.toFixed(0)} ms`,
    ...summaryLines(bundle.manifest),
    'wrote:',
    `  ${rel(bundleFile)}`,
    `  ${rel(moduleFile)}`,
    ...bundle.manifest.plan.kernels.map((k) => `  ${rel(path.join(dir, `${bundle.name}.kernels`, `${k.name}.wgsl`))}`),
  ];
  out(lines.join('\n'));
}
