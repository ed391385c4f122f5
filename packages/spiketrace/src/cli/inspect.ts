/** `spiketrace inspect <model.ts|bundle.json>`: what the compiler did, step by step. */
import { readFile } from 'node:fs/promises';
import { Tensor, type Graph } from '@spiketrace/compiler';
import { describePlan, validateManifest, type BundleManifest } from '@spiketrace/runtime';
import { environ, transform, type ArrayValue } from '@spiketrace/state';
import { isQuantity, Quantity } from '@spiketrace/units';
import type { CompileOptions, ModelSpec } from '../compile.ts';
import type { CommandSpec, Parsed } from './args.ts';
import { COMPILE_OPTIONS, compileModelFile, compileOptions } from './compile.ts';
import { CliError } from './errors.ts';
import { summaryLines } from './format.ts';
import { isBundlePath, resolveFile } from './load-model.ts';

export const inspectCommand: CommandSpec = {
  name: 'inspect',
  synopsis: '<model.ts|bundle.json> [--steps N] [--dt 0.1ms] [--lowering mode] [--batch N]',
  summary: 'Show what the compiler did: for a model file, the traced graph before and after the passes, then the plan and each kernel\'s WGSL; for a bundle, its states, inputs and outputs, the plan and the WGSL.',
  positionals: ['model.ts|bundle.json'],
  options: { ...COMPILE_OPTIONS },
};

/** Trace one step of a model as `compile` does (States must be initialized): the graphs before and after the passes. */
export function traceGraphs(spec: ModelSpec, opts: CompileOptions): { traced: Graph; optimized: Graph } {
  const dt = opts.dt ?? spec.dt;
  const steps = opts.steps ?? spec.steps ?? 1;
  const names = Object.keys(spec.inputs ?? {});
  const perStep = names.map((k) => {
    const v = (spec.inputs ?? {})[k] as ArrayValue;
    const m = isQuantity(v) ? v.mantissa : v;
    const t = Tensor.full([steps, ...m.shape], 0, m.dtype);
    return isQuantity(v) ? new Quantity(t, v.unit) : t;
  });
  const c = environ.context({ dt }, () => transform.traceStep({
    kind: 'forLoop', fn: () => undefined, steps, perStep, leadingAxis: true, carry: [], staticKey: `${spec.name}:inspect`, opts: {},
    body: (slices) => {
      const ys = spec.step(Object.fromEntries(names.map((k, i) => [k, slices[i] as ArrayValue]))) ?? {};
      return { ys: Object.values(ys), carry: [] };
    },
  }));
  return { traced: c.traced, optimized: c.graph };
}

function section(title: string): string {
  return `\n== ${title} ${'='.repeat(Math.max(3, 72 - title.length))}`;
}

function planAndKernels(m: BundleManifest): string[] {
  const lines = [section('plan'), describePlan(m.plan)];
  for (const k of m.plan.kernels) {
    lines.push(section(`kernel ${k.name} (workgroup ${k.workgroupSize}, ${k.invocations} invocations) WGSL`), k.wgsl.trimEnd());
  }
  return lines;
}

export async function runInspect(args: Parsed, out: (s: string) => void): Promise<void> {
  const [file] = args.positionals as [string];
  if (isBundlePath(file)) {
    const abs = resolveFile(file, 'bundle file');
    for (const k of ['steps', 'dt', 'lowering', 'batch'] as const) {
      if (args.options[k] !== undefined) throw new CliError(`--${k} does not apply to a bundle (it is fixed at compile time); inspect the model file instead`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(abs, 'utf8'));
    } catch (e) {
      throw new CliError(`${file} is not valid JSON: ${(e as Error).message}`);
    }
    const m = await validateManifest(raw);
    out([...summaryLines(m), ...(m.description ? [`  ${m.description}`] : []), ...planAndKernels(m)].join('\n'));
    return;
  }
  const { spec, bundle } = await compileModelFile(file, args.options);
  // compile() initialized the States; trace again for the graphs it does not keep
  const { traced, optimized } = traceGraphs(spec, compileOptions(args.options));
  const m = bundle.manifest;
  out([
    `model ${spec.name}${spec.description ? `: ${spec.description}` : ''}`,
    ...summaryLines(m),
    section(`traced graph (before passes): ${traced.nodes.length} nodes`), traced.toString(),
    section(`optimized graph (after passes): ${optimized.nodes.length} nodes`), optimized.toString(),
    ...planAndKernels(m),
  ].join('\n'));
}
