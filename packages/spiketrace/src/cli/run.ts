/** `spiketrace run <bundle.json|model.ts>`: run a bundle (a model file is compiled first). */
import { readFile } from 'node:fs/promises';
import { BundleRunner, type BundleInput, type BundleManifest, type WordArray } from '@spiketrace/runtime';
import type { CommandSpec, Parsed } from './args.ts';
import { COMPILE_OPTIONS, compileModelFile } from './compile.ts';
import { CliError } from './errors.ts';
import { shapeText, unitText } from './format.ts';
import { isBundlePath, resolveFile } from './load-model.ts';
import { progressBar } from './progress.ts';
import { secondsOf, timeUnitSeconds } from './units.ts';

export const runCommand: CommandSpec = {
  name: 'run',
  synopsis: '<bundle.json|model.ts> [--steps N] [--json]',
  summary: 'Run a bundle, or compile a model file and run it, on the WebGPU device; print timings and a summary of each output.',
  positionals: ['bundle.json|model.ts'],
  options: {
    json: { kind: 'boolean', help: 'print one JSON object (no progress bar)' },
    ...COMPILE_OPTIONS,
    steps: { kind: 'int', value: 'N', help: 'steps to run; a model file is compiled for N steps, a bundle must have been compiled for N' },
  },
  details: [
    'Inputs: an input named "t" in a unit of time gets t_i = i * dt; any other input is zeros (the output says which).',
    'A bundle\'s steps, dt, lowering and batch are fixed when it is compiled: to change them, run the model file or recompile.',
  ].join('\n'),
};

type InputSource = 'time' | 'zeros';

interface Stats {
  min: number;
  max: number;
  mean: number;
}

function stats(a: ArrayLike<number>): Stats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Number(a[i]);
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return a.length ? { min, max, mean: sum / a.length } : { min: NaN, max: NaN, mean: NaN };
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

function alloc(dtype: BundleInput['dtype'], n: number): WordArray {
  switch (dtype) {
    case 'f32': return new Float32Array(n);
    case 'i32': return new Int32Array(n);
    case 'u32': return new Uint32Array(n);
    case 'bool': return new Uint8Array(n);
  }
}

/** Default inputs for every step: the time for a time-valued "t", zeros otherwise. */
export function defaultInputs(m: BundleManifest): { inputs: Record<string, WordArray>; sources: Record<string, InputSource> } {
  const steps = m.options.steps;
  const inputs: Record<string, WordArray> = {};
  const sources: Record<string, InputSource> = {};
  for (const spec of m.inputs) {
    const n = size(spec.shape);
    const data = alloc(spec.dtype, steps * n);
    const perUnit = timeUnitSeconds(spec.unit);
    if (spec.name === 't' && perUnit !== undefined) {
      const dt = secondsOf(m.options.dt) / perUnit;
      for (let i = 0; i < steps; i++) data.fill(i * dt, i * n, (i + 1) * n);
      sources[spec.name] = 'time';
    } else {
      sources[spec.name] = 'zeros';
    }
    inputs[spec.name] = data;
  }
  return { inputs, sources };
}

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(7)) : x;
}

export interface OutputSummary {
  dtype: string;
  /** Shape of the whole result: [steps, ...per-step shape]. */
  shape: number[];
  unit: string;
  /** min / max / mean over the last step. */
  last: Stats;
  /** min / max over every step. */
  all: { min: number; max: number };
  /** The last step's values (when it has at most 64). */
  lastValues?: number[];
}

export async function runRun(args: Parsed, out: (s: string) => void): Promise<void> {
  const [file] = args.positionals as [string];
  const json = Boolean(args.options.json);
  const abs = resolveFile(file, isBundlePath(file) ? 'bundle file' : 'model file');
  const timings: Record<string, number> = {};
  let runner: BundleRunner;
  const t0 = performance.now();
  if (isBundlePath(abs)) {
    let text: string;
    try {
      text = await readFile(abs, 'utf8');
      JSON.parse(text);
    } catch (e) {
      throw new CliError(`${file} is not valid JSON: ${(e as Error).message}`);
    }
    const m = JSON.parse(text) as Partial<BundleManifest>;
    const steps = args.options.steps as number | undefined;
    if (steps !== undefined && m.options && steps !== m.options.steps) {
      throw new CliError(`${file} was compiled for ${m.options.steps} steps, not ${steps}: recompile with spiketrace compile <model.ts> --steps ${steps}, or run the model file`);
    }
    for (const k of ['dt', 'lowering', 'batch'] as const) {
      if (args.options[k] !== undefined) throw new CliError(`--${k} is fixed when a bundle is compiled; recompile (spiketrace compile <model.ts> --${k} ...) or run the model file`);
    }
    runner = await BundleRunner.load(text);
    timings.loadMs = performance.now() - t0;
  } else {
    const c = await compileModelFile(file, args.options);
    timings.loadMs = c.loadMs;
    timings.compileMs = c.compileMs;
    const t1 = performance.now();
    runner = await BundleRunner.load(c.bundle.manifest);
    timings.deviceMs = performance.now() - t1;
  }
  try {
    const m = runner.manifest;
    const steps = m.options.steps;
    const { inputs, sources } = defaultInputs(m);
    const bar = progressBar(`${m.name}`, { enabled: !json });
    const t2 = performance.now();
    let outs: Record<string, WordArray>;
    try {
      outs = await runner.run({ inputs, onProgress: (done, total) => bar.update(done, total) });
    } finally {
      bar.finish();
    }
    timings.runMs = performance.now() - t2;
    const stepsPerSecond = steps / (timings.runMs / 1000);
    const outputs: Record<string, OutputSummary> = {};
    for (const o of m.outputs) {
      const data = outs[o.name];
      if (!data) continue;
      const n = size(o.shape);
      const lastStep = data.subarray((steps - 1) * n, steps * n);
      const all = stats(data);
      const s: OutputSummary = {
        dtype: o.dtype, shape: [steps, ...o.shape], unit: o.unit,
        last: { min: round(stats(lastStep).min), max: round(stats(lastStep).max), mean: round(stats(lastStep).mean) },
        all: { min: round(all.min), max: round(all.max) },
      };
      if (n <= 64) s.lastValues = Array.from(lastStep, (v) => Number(v));
      outputs[o.name] = s;
    }
    const r = (x: number | undefined) => (x === undefined ? undefined : Number(x.toFixed(3)));
    if (json) {
      out(JSON.stringify({
        name: m.name, file, hash: m.hash, steps, dt: m.options.dt, lowering: m.plan.lowering, device: runner.ctx.adapterDescription,
        inputs: sources,
        timings: { loadMs: r(timings.loadMs), compileMs: r(timings.compileMs), deviceMs: r(timings.deviceMs), runMs: r(timings.runMs), stepsPerSecond: Math.round(stepsPerSecond) },
        outputs,
      }, null, 2));
      return;
    }
    const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(5));
    const lines = [`ran ${m.name}: ${steps} steps of ${m.options.dt} (${m.plan.lowering}) on ${runner.ctx.adapterDescription}`];
    const tl = [
      timings.compileMs !== undefined ? `load ${timings.loadMs!.toFixed(0)} ms, compile ${timings.compileMs.toFixed(0)} ms, device setup ${timings.deviceMs!.toFixed(0)} ms` : `load ${timings.loadMs!.toFixed(0)} ms`,
      `run ${timings.runMs.toFixed(1)} ms`,
      `${Math.round(stepsPerSecond).toLocaleString('en-US')} steps/s`,
    ];
    lines.push(`  timings: ${tl.join(', ')}`);
    for (const i of m.inputs) {
      lines.push(`  input ${i.name}: ${sources[i.name] === 'time' ? `t_i = i * dt (${unitText(i.unit)})` : `zeros (no data given for ${i.dtype}${shapeText(i.shape)} ${unitText(i.unit)})`}`);
    }
    for (const [name, s] of Object.entries(outputs)) {
      lines.push(
        `  output ${name}: ${s.dtype}${shapeText(s.shape)} ${unitText(s.unit)}; last step min ${fmt(s.last.min)} max ${fmt(s.last.max)} mean ${fmt(s.last.mean)}` +
          `; over all steps ${fmt(s.all.min)} .. ${fmt(s.all.max)}`,
      );
    }
    out(lines.join('\n'));
  } finally {
    runner.dispose();
  }
}
