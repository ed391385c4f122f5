/**
 * The COBA E/I network (Vogels & Abbott 2005), built from brainpy.state's pieces (LIFRef,
 * EventFixedProb, Expon, COBA, AlignPostProj) in physical units, run for 1 s of biological time
 * (dt = 0.1 ms) with forLoop. Prints the mean rates of E and I and the wall time, and writes a
 * spike raster and the population rate (SVG and PNG) under examples/output/.
 *
 *   npx tsx examples/coba.ts [--json] [--seed N] [--duration MS] [--neurons N] [--lowering NAME]
 *
 * Spikes come back packed (20 neurons per f32 word for n = 4000, see packSpikes), so the whole
 * raster of every neuron is recorded in 8 MB instead of a 160 MB [10000, 4000] f32 array; the
 * raster plot shows the first 400 excitatory and the first 100 inhibitory neurons.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { u, brainstate, releaseDevice } from 'spiketrace';
import { coba, packSpikes, unpackSpikes } from './models/coba.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'output');

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
    duration: { type: 'string', default: '1000' },
    neurons: { type: 'string', default: '4000' },
    lowering: { type: 'string' },
  },
});
const seed = Number(args.seed), duration = Number(args.duration), n = Number(args.neurons);
for (const [name, v] of [['--seed', seed], ['--duration', duration], ['--neurons', n]] as const) {
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number, got ${String(v)}`);
}
const LOWERINGS = ['persistent-workgroup', 'auto', 'temporal-fusion', 'dispatch-chain', 'interpret'];
const lowering = (args.lowering ?? 'auto') as brainstate.transform.Lowering;
if (!LOWERINGS.includes(lowering)) throw new Error(`--lowering must be one of ${LOWERINGS.join(', ')}, got ${lowering}`);

const DT = 0.1;
const net = coba({ n, seed });
brainstate.nn.initAllStates(net);
const times = u.math.arange(u.ms(0), u.ms(duration - DT / 2), u.ms(DT));
const steps = times.shape[0]!;

const t0 = performance.now();
const packed = await brainstate.environ.context({ dt: u.ms(DT) }, () =>
  brainstate.transform.forLoop((t: u.Quantity) => packSpikes(net.step(t)), times, lowering === 'auto' ? {} : { lowering }));
const wallSeconds = (performance.now() - t0) / 1000;
const run = brainstate.transform.lastRun();

const spikes = unpackSpikes(packed.data, steps, n);
let nSpkE = 0, nSpkI = 0;
for (const i of spikes.neuron) i < net.nE ? nSpkE++ : nSpkI++;
const seconds = (steps * DT) / 1000;
const rateE = nSpkE / net.nE / seconds, rateI = nSpkI / net.nI / seconds;

if (args.json) {
  console.log(JSON.stringify({ rateE, rateI, wallSeconds, steps, lowering: run?.lowering ?? lowering, neurons: n, seed, device: run?.device }));
} else {
  const { linePlot, rasterPlot, savePlot } = await import('./lib/plot.ts'); // only when plotting
  console.log(`COBA network: ${n} LIFRef neurons (${net.nE} E, ${net.nI} I), p = ${net.opts.prob}, seed ${seed}, ${steps} steps of ${DT} ms`);
  console.log(`mean rate: E ${rateE.toFixed(2)} Hz, I ${rateI.toFixed(2)} Hz (${spikes.step.length} spikes)`);
  console.log(`wall time ${wallSeconds.toFixed(2)} s with tracing and compilation (${run?.lowering}, ${run?.kernels} kernels, ${run?.dispatches} dispatches, on ${run?.device ?? 'the CPU'})`);

  // raster: the first 400 E and the first 100 I neurons (I drawn above E)
  const rt: number[] = [], ri: number[] = [];
  const showE = Math.min(400, net.nE), showI = Math.min(100, net.nI);
  for (let k = 0; k < spikes.step.length; k++) {
    const i = spikes.neuron[k]!;
    const row = i < showE ? i : i >= net.nE && i < net.nE + showI ? showE + (i - net.nE) : -1;
    if (row >= 0) {
      rt.push(spikes.step[k]! * DT);
      ri.push(row);
    }
  }
  const raster = await rasterPlot(rt, ri, {
    title: `COBA spike raster (neurons 0-${showE - 1}: E, ${showE}-${showE + showI - 1}: I)`, xLabel: 'time (ms)', yLabel: 'neuron',
  });
  // population rate in 1 ms bins
  const bin = Math.round(1 / DT), nb = Math.floor(steps / bin);
  const cE = new Float64Array(nb), cI = new Float64Array(nb);
  for (let k = 0; k < spikes.step.length; k++) {
    const b = Math.floor(spikes.step[k]! / bin);
    if (b >= nb) continue;
    if (spikes.neuron[k]! < net.nE) cE[b]! += 1;
    else cI[b]! += 1;
  }
  const tb = Array.from({ length: nb }, (_, b) => (b + 0.5) * bin * DT);
  const hz = (c: Float64Array, pop: number) => Array.from(c, (x) => x / pop / (bin * DT / 1000));
  const rate = await linePlot([{ name: 'E', x: tb, y: hz(cE, net.nE) }, { name: 'I', x: tb, y: hz(cI, net.nI) }], {
    title: `COBA population rate (1 ms bins): E ${rateE.toFixed(1)} Hz, I ${rateI.toFixed(1)} Hz`, xLabel: 'time (ms)', yLabel: 'rate (Hz)',
  });
  const f1 = await savePlot(raster, path.join(outDir, 'coba-raster'));
  const f2 = await savePlot(rate, path.join(outDir, 'coba-rate'));
  console.log(`figures: ${[f1.svg, f1.png, f2.svg, f2.png].map((f) => path.relative(process.cwd(), f)).join(', ')}`);
}
releaseDevice();
