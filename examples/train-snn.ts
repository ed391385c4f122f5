/**
 * Training a spiking network by backpropagation through time, brainpy.state style: a two-layer
 * LIF network with a leaky readout learns to classify spike-pattern templates that differ only in
 * spike timing (examples/models/train-snn.ts has the task and the network).
 *
 *   npx tsx examples/train-snn.ts [--json] [--seed N] [--iterations N] [--batch N] [--lowering NAME]
 *
 * Each iteration: `transform.grad` runs the rollout (`forLoop` over the sequence) on the GPU,
 * the loss (softmax cross-entropy of the time-averaged readout) on the host, and the backward
 * pass as a reverse loop on the GPU; `braintools.optim.Adam` then updates the weights on the GPU.
 * Prints the held-out loss and accuracy before and after, and writes the training loss curve and
 * the hidden layers' spike rasters for one held-out sample before and after training (SVG, PNG)
 * under examples/output/. `--json` prints one JSON object instead: initialLoss and finalLoss (on
 * the held-out set, before and after training), heldOutAccuracy, chance, wallSeconds.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ops, Tensor } from '@spiketrace/compiler';
import { brainstate, brainpy, braintools, releaseDevice } from 'spiketrace';
import { DT, PatternTask, SNN } from './models/train-snn.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'output');

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
    iterations: { type: 'string', default: '100' },
    batch: { type: 'string', default: '32' },
    lowering: { type: 'string', default: 'auto' },
  },
});
const seed = Number(args.seed), iterations = Number(args.iterations), batch = Number(args.batch);
for (const [name, v] of [['--seed', seed], ['--iterations', iterations], ['--batch', batch]] as const) {
  if (!Number.isInteger(v) || v < 0 || (name !== '--seed' && v < 1)) throw new Error(`${name} must be a ${name === '--seed' ? 'non-negative' : 'positive'} integer, got ${String(v)}`);
}
const LOWERINGS = ['auto', 'dispatch-chain', 'persistent-workgroup', 'interpret'];
const lowering = args.lowering as brainstate.transform.Lowering;
if (!LOWERINGS.includes(lowering)) throw new Error(`--lowering must be one of ${LOWERINGS.join(', ')}, got ${lowering}`);

const task = new PatternTask({ seed });
const net = new SNN({ nIn: task.nIn, classes: task.classes, seed });
const params = net.states(brainstate.ParamState);
const opt = new braintools.optim.Adam({ lr: 0.01, lowering }).registerTrainableWeights(params);
const HELD_OUT = 256;
const heldOut = task.sample(HELD_OUT, new brainpy.Random(seed * 1000 + 999));
const trainRng = new brainpy.Random(seed * 1000 + 1);

const step = (x: Tensor) => net.step(x).r;
/** Mean cross-entropy of the time-averaged readout; the logits come back as aux. */
async function lossOf(x: Tensor, labels: Tensor): Promise<[Tensor, Tensor]> {
  brainstate.nn.initAllStates(net, { batchSize: labels.shape[0] });
  const rs = await brainstate.environ.context({ dt: DT }, () => brainstate.transform.forLoop(step, x, { lowering })) as Tensor;
  const logits = ops.mean(rs, 0);
  return [ops.mean(braintools.metric.softmaxCrossEntropyWithIntegerLabels(logits, labels)), logits];
}
const gradFn = brainstate.transform.grad(lossOf, { gradStates: params, hasAux: true, returnValue: true });

function accuracy(logits: Tensor, labels: Tensor): number {
  const K = logits.shape[1] as number;
  let right = 0;
  for (let b = 0; b < labels.shape[0]!; b++) {
    let best = 0;
    for (let k = 1; k < K; k++) if ((logits.data[b * K + k] as number) > (logits.data[b * K + best] as number)) best = k;
    if (best === labels.data[b]) right++;
  }
  return right / (labels.shape[0] as number);
}

async function evaluate(): Promise<{ loss: number; acc: number }> {
  const [loss, logits] = await lossOf(heldOut.x, heldOut.labels);
  return { loss: loss.item(), acc: accuracy(logits, heldOut.labels) };
}

/** Hidden spikes (both layers) for the first held-out sample: times and row indices. */
async function raster(): Promise<{ t: number[]; i: number[] }> {
  brainstate.nn.initAllStates(net, { batchSize: 1 });
  const x = Tensor.fromArray(heldOut.x.data.filter((_v, k) => Math.floor(k / task.nIn) % HELD_OUT === 0), [task.steps, 1, task.nIn]);
  const spikes = await brainstate.environ.context({ dt: DT }, () => brainstate.transform.forLoop((xt: Tensor) => {
    const { s1, s2 } = net.step(xt);
    return [s1, s2];
  }, x, { lowering })) as [Tensor, Tensor];
  const h = net.n1.varshape[0] as number;
  const t: number[] = [], i: number[] = [];
  spikes.forEach((s, layer) => s.data.forEach((v, k) => {
    if (v) { t.push(Math.floor(k / h)); i.push(layer * h + (k % h)); }
  }));
  return { t, i };
}

const t0 = performance.now();
const before = await evaluate();
const rasterBefore = args.json ? undefined : await raster();
const losses: number[] = [];
const bar = !args.json && process.stderr.isTTY;
for (let it = 0; it < iterations; it++) {
  const { x, labels } = task.sample(batch, trainRng);
  const [grads, loss] = await gradFn(x, labels) as [unknown, Tensor, Tensor];
  await opt.update(grads);
  losses.push(loss.item());
  if (bar) {
    const w = 30, fill = Math.round(((it + 1) / iterations) * w);
    process.stderr.write(`\rtraining [${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${it + 1}/${iterations}  loss ${loss.item().toFixed(4)}\x1b[K`);
  }
}
if (bar) process.stderr.write('\r\x1b[K');
const after = await evaluate();
const wallSeconds = (performance.now() - t0) / 1000;
const chance = 1 / task.classes;

if (args.json) {
  console.log(JSON.stringify({
    initialLoss: before.loss, finalLoss: after.loss, heldOutAccuracy: after.acc, chance, wallSeconds,
    initialAccuracy: before.acc, iterations, batch, seed, lowering, device: brainstate.transform.lastRun()?.device,
  }));
} else {
  const rasterAfter = await raster();
  const { linePlot, rasterPlot, savePlot } = await import('./lib/plot.ts');
  console.log(`task: ${task.classes} spike-timing templates over ${task.nIn} channels, ${task.steps} steps of 1 ms (jitter +-${task.jitter}, drop ${task.drop}, noise ${task.noise}); seed ${seed}`);
  console.log(`network: ${task.nIn} -> LIF ${net.n1.varshape[0]} -> LIF ${net.n2.varshape[0]} -> LeakyRateReadout ${task.classes}; Adam lr 0.01, batch ${batch}, ${iterations} iterations`);
  console.log(`held-out (${HELD_OUT} samples): loss ${before.loss.toFixed(4)} -> ${after.loss.toFixed(4)}, accuracy ${(before.acc * 100).toFixed(1)}% -> ${(after.acc * 100).toFixed(1)}% (chance ${(chance * 100).toFixed(0)}%)`);
  console.log(`wall time ${wallSeconds.toFixed(1)} s (${(wallSeconds / iterations * 1000).toFixed(0)} ms per iteration, forward + backward + update, on ${brainstate.transform.lastRun()?.device ?? 'the CPU'})`);
  const curve = await linePlot([{ name: 'training loss', x: losses.map((_l, i) => i + 1), y: losses }], {
    title: `BPTT training: held-out accuracy ${(before.acc * 100).toFixed(0)}% -> ${(after.acc * 100).toFixed(0)}%`, xLabel: 'iteration', yLabel: 'cross-entropy',
  });
  const h = net.n1.varshape[0] as number;
  const r1 = await rasterPlot(rasterBefore!.t, rasterBefore!.i, { title: `hidden spikes before training (0-${h - 1}: layer 1, ${h}-${2 * h - 1}: layer 2)`, xLabel: 'step (ms)', yLabel: 'neuron' });
  const r2 = await rasterPlot(rasterAfter.t, rasterAfter.i, { title: 'hidden spikes after training (same sample)', xLabel: 'step (ms)', yLabel: 'neuron' });
  const files = [await savePlot(curve, path.join(outDir, 'train-loss')), await savePlot(r1, path.join(outDir, 'train-raster-before')), await savePlot(r2, path.join(outDir, 'train-raster-after'))];
  console.log(`figures: ${files.flatMap((f) => [f.svg, f.png]).map((f) => path.relative(process.cwd(), f)).join(', ')}`);
}
releaseDevice();
