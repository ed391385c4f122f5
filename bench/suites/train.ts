/**
 * Suite "train": one BPTT training step of examples/train-snn.ts's network (32 inputs -> LIF 64 ->
 * LIF 64 -> LeakyRateReadout 4, softmax cross-entropy of the time-averaged readout).
 *
 * Part 1 (speed): forward + backward (`transform.grad` of the loss: the rollout on the GPU, the
 * loss on the host, the reverse loop on the GPU) and the Adam update, timed apart, at T = 100 and
 * 1000 steps, batch 32 and 128, plain `forLoop` against `checkpointedForLoop` (base 16). Median of
 * `--runs` calls after one warm-up call (which traces and compiles).
 * Part 2 (memory): the same step at batch 32 for T = 100, 1000 and 10 000, plain against
 * checkpointed: the peak bytes of GPU buffers alive during the step (above what was alive before
 * it: resident States, cached pipelines' nothing) and the bytes of saved values (stacked steps or
 * checkpoints, wherever they live) at their peak. One call each (after a warm-up at T = 100).
 *
 * Flags: --runs=N (default 3), --parts=speed,memory, --out=NAME (results file stem, default train),
 * --dir=PATH (default bench/results), --lowering=NAME (forward and reverse loops; default auto).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ops, Tensor } from '@spiketrace/compiler';
import { gpuMemoryStats, resetGpuMemoryPeak } from '@spiketrace/runtime';
import { brainstate, brainpy, braintools, releaseDevice } from 'spiketrace';
import { DT, PatternTask, SNN } from '../../examples/models/train-snn.ts';
import { ms } from '../lib/format.ts';
import { machineInfo } from '../lib/machine.ts';
import { measure, median } from '../lib/stats.ts';
import type { Suite, SuiteArgs } from '../run.ts';

interface Row {
  part: 'speed' | 'memory';
  T: number;
  batch: number;
  mode: 'plain' | 'checkpointed';
  base?: number;
  runs: number;
  gradMs: number;
  gradFirstMs: number;
  updateMs: number;
  stepMs: number;
  peakGpuBytes: number;
  savedBytes: number;
  loss: number;
  lowering?: string;
  /** GPU runs per grad call (forward, recomputation and reverse segments). */
  gpuRuns: number;
  /** Of grad: time inside Executable.run (uploads, dispatches, waiting, readback); the rest is host work. */
  executeMs: number;
  /** GPU runs per graph and lowering. */
  lowerings: Record<string, number>;
}

export function setup(T: number, batch: number) {
  const task = new PatternTask({ steps: T, seed: 0 });
  const net = new SNN({ nIn: task.nIn, classes: task.classes, seed: 0 });
  const params = net.states(brainstate.ParamState);
  const opt = new braintools.optim.Adam({ lr: 0.01 }).registerTrainableWeights(params);
  const data = task.sample(batch, new brainpy.Random(1));
  return { task, net, params, opt, data };
}

interface StepOut { gradMs: number; updateMs: number; peak: number; saved: number; loss: number; runs: number; executeMs: number; lowerings: Record<string, number> }

async function trainStep(s: ReturnType<typeof setup>, checkpoint: number | undefined, lowering: brainstate.Lowering): Promise<StepOut> {
  const step = (x: Tensor) => s.net.step(x).r;
  const lossFn = async () => {
    brainstate.nn.initAllStates(s.net, { batchSize: s.data.labels.shape[0] });
    const rs = await brainstate.environ.context({ dt: DT }, () => (checkpoint
      ? brainstate.transform.checkpointedForLoop(step, s.data.x, { base: checkpoint, lowering })
      : brainstate.transform.forLoop(step, s.data.x, { lowering }))) as Tensor;
    return ops.mean(braintools.metric.softmaxCrossEntropyWithIntegerLabels(ops.mean(rs, 0), s.data.labels));
  };
  const before = gpuMemoryStats().current;
  resetGpuMemoryPeak();
  brainstate.transform.runGraphProfile(true);
  const t0 = performance.now();
  const [grads, loss] = await brainstate.transform.grad(lossFn, { gradStates: s.params, returnValue: true })() as [unknown, Tensor];
  const gradMs = performance.now() - t0;
  const prof = brainstate.transform.runGraphProfile();
  const peak = gpuMemoryStats().peak - before;
  const saved = brainstate.transform.lastSavedBytes();
  const t1 = performance.now();
  await s.opt.update(grads);
  return { gradMs, updateMs: performance.now() - t1, peak, saved, loss: loss.item(), runs: prof.runs, executeMs: prof.executeMs, lowerings: prof.lowerings };
}

async function runConfig(part: Row['part'], T: number, batch: number, checkpoint: number | undefined, runs: number, lowering: brainstate.Lowering): Promise<Row> {
  const s = setup(T, batch);
  let last: StepOut = { gradMs: 0, updateMs: 0, peak: 0, saved: 0, loss: 0, runs: 0, executeMs: 0, lowerings: {} };
  const execs: number[] = [];
  const updates: number[] = [];
  const { timing } = await measure(async () => {
    last = await trainStep(s, checkpoint, lowering);
    updates.push(last.updateMs);
    execs.push(last.executeMs);
    return { out: last, parts: { grad: last.gradMs, update: last.updateMs } };
  }, runs);
  const gradMs = runs ? (timing.parts.grad as number) : last.gradMs;
  const updateMs = median(updates.slice(runs ? 1 : 0));
  const row: Row = {
    part, T, batch, mode: checkpoint ? 'checkpointed' : 'plain', ...(checkpoint ? { base: checkpoint } : {}), runs,
    gradMs: Math.round(gradMs * 10) / 10, gradFirstMs: Math.round((timing.firstParts.grad ?? last.gradMs) * 10) / 10,
    updateMs: Math.round(updateMs * 100) / 100, stepMs: Math.round((gradMs + updateMs) * 10) / 10,
    peakGpuBytes: last.peak, savedBytes: last.saved, loss: last.loss, lowering: brainstate.transform.lastRun()?.lowering,
    gpuRuns: last.runs, executeMs: Math.round(median(execs.slice(runs ? 1 : 0)) * 10) / 10, lowerings: last.lowerings,
  };
  console.error(`  T=${T} batch=${batch} ${row.mode}: grad ${ms(row.gradMs)} ms (${row.gpuRuns} GPU runs, ${ms(row.executeMs)} ms in them), update ${ms(row.updateMs)} ms, peak GPU ${(row.peakGpuBytes / 2 ** 20).toFixed(2)} MiB, saved ${(row.savedBytes / 2 ** 20).toFixed(2)} MiB; ${JSON.stringify(row.lowerings)}`);
  return row;
}

const mib = (b: number): string => (b / 2 ** 20).toFixed(b < 2 ** 20 ? 3 : 1);

function markdown(rows: Row[], info: ReturnType<typeof machineInfo>, runs: number): string {
  const speed = rows.filter((r) => r.part === 'speed');
  const mem = rows.filter((r) => r.part === 'memory');
  const lines = [
    '# Training step: forward + backward and update (`npm run bench -- train`)',
    '',
    `Machine: ${info.cpuModel}, ${info.cpus} CPUs; WebGPU adapter: ${info.adapter ?? '?'}; Node ${info.node}. ${new Date().toISOString().slice(0, 10)}.`,
    '',
    'Network: examples/train-snn.ts (32 inputs -> LIF 64 -> LIF 64 -> LeakyRateReadout 4, dt 1 ms), softmax cross-entropy of the',
    'time-averaged readout, Adam. "grad" = `transform.grad` of the loss: the rollout on the GPU, the loss on the host, the reverse',
    `loop on the GPU, gradients back on the host. Median of ${runs} calls after a warm-up call (which traces and compiles: "first").`,
    '',
  ];
  if (speed.length) {
    lines.push('| T | batch | loop | grad (ms) | of which in GPU runs (ms) | GPU runs | first grad (ms) | Adam update (ms) | step total (ms) | peak GPU buffers (MiB) | saved values (MiB) |',
      '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of speed) {
      lines.push(`| ${r.T} | ${r.batch} | ${r.mode}${r.base ? ` (base ${r.base})` : ''} | ${ms(r.gradMs)} | ${ms(r.executeMs)} | ${r.gpuRuns} | ${ms(r.gradFirstMs)} | ${ms(r.updateMs)} | ${ms(r.stepMs)} | ${mib(r.peakGpuBytes)} | ${mib(r.savedBytes)} |`);
    }
    lines.push('');
  }
  if (mem.length) {
    lines.push('## Memory against T (batch 32, one call each)', '',
      '| T | loop | peak GPU buffers (MiB) | saved values (MiB) | grad (ms) |', '|---:|---|---:|---:|---:|');
    for (const r of mem) lines.push(`| ${r.T} | ${r.mode}${r.base ? ` (base ${r.base})` : ''} | ${mib(r.peakGpuBytes)} | ${mib(r.savedBytes)} | ${ms(r.gradMs)} |`);
    lines.push('');
  }
  return lines.join('\n');
}

export const trainSuite: Suite = {
  name: 'train',
  description: 'BPTT training step of examples/train-snn.ts: time and peak GPU bytes, plain vs checkpointed loops',
  async run(args: SuiteArgs) {
    const runs = Number(args.flags.runs ?? 3);
    const parts = (args.flags.parts ?? 'speed,memory').split(',');
    const stem = args.flags.out ?? 'train';
    const lowering = (args.flags.lowering ?? 'auto') as brainstate.Lowering;
    const rows: Row[] = [];
    if (parts.includes('speed')) {
      for (const T of [100, 1000]) for (const batch of [32, 128]) for (const ck of [undefined, 16]) rows.push(await runConfig('speed', T, batch, ck, runs, lowering));
    }
    if (parts.includes('memory')) {
      for (const T of [100, 1000, 10_000]) for (const ck of [undefined, 16]) rows.push(await runConfig('memory', T, 32, ck, 0, lowering));
    }
    const info = machineInfo(brainstate.transform.lastRun()?.device);
    const dir = args.flags.dir ?? join('bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${stem}.json`), `${JSON.stringify({ machine: info, runs, rows }, null, 2)}\n`);
    const md = markdown(rows, info, runs);
    writeFileSync(join(dir, `${stem}.md`), md);
    console.log(md);
    releaseDevice();
  },
};
