/**
 * The state paradigm, compiled: brainpy.state's walk-through (States, units, initAllStates,
 * the environment, forLoop, jit), traced to an SSA graph, compiled to WGSL and run on WebGPU.
 *
 *   npm run demo        (or: npx tsx examples/state-paradigm.ts)
 *
 * Python's `neuron(x)` is spelled `neuron.call(x)` here (JavaScript objects are not callable);
 * Python's operators are methods: `t > 50*u.ms` is `t.gt(u.ms(50))`, `a + b` is `a.add(b)`.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
import { Tensor } from '@spiketrace/compiler';
import { linePlot, savePlot } from './lib/plot.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'output');

// ---- State: a trackable variable
const voltage = new brainstate.State(u.mV(-65));
const weights = new brainstate.State(Tensor.fromArray([0.1, 0.2, 0.3, 0.4], [2, 2]));
console.log(String(voltage.value));
voltage.value = voltage.value.add(u.mV(5));
console.log(String(voltage.value));
console.log('weights:', String(weights.value));

// ---- State types carry intent
class LeakyUnit extends brainstate.nn.Module {
  tau: brainstate.ParamState<u.Quantity>;
  v: brainstate.ShortTermState<u.Quantity>;
  constructor(size: number, tau = u.ms(10)) {
    super();
    this.tau = new brainstate.ParamState(tau);                         // trainable
    this.v = new brainstate.ShortTermState(u.math.zeros([size], u.mV)); // dynamical
  }
  override update(x: u.Quantity): u.Quantity {
    const dt = brainstate.environ.getDt();
    this.v.value = this.v.value.add(this.v.value.neg().add(x).div(this.tau.value).mul(dt));
    return this.v.value;
  }
}
const unit = new LeakyUnit(3);
console.log('LeakyUnit states:', [...unit.states().keys()].join(', '),
  '| params:', [...unit.states(brainstate.ParamState).keys()].join(', '));

// ---- initAllStates: allocate the dynamical variables
{
  const neuron = new brainpy.LIF(100, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10) });
  brainstate.nn.initAllStates(neuron);
  console.log('unbatched V shape:', `(${neuron.V.value.shape.join(', ')})`);
  brainstate.nn.initAllStates(neuron, { batchSize: 32 });
  console.log('batched V shape:', `(${neuron.V.value.shape.join(', ')})`);
}

// ---- environ.context: the simulation clock
brainstate.environ.context({ dt: u.ms(0.1) }, () => {
  console.log('dt =', String(brainstate.environ.getDt()));
  brainstate.environ.context({ t: u.ms(3) }, () => console.log('t =', String(brainstate.environ.get('t'))));
});

// ---- forLoop: a step current into one LIF neuron
const neuron = new brainpy.LIF(1, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10), spkReset: 'hard' });
brainstate.nn.initAllStates(neuron);

const step = (t: u.Quantity) => brainstate.environ.context({ t }, () => {
  const current = u.math.where(t.gt(u.ms(50)), u.mA(20), u.mA(0));
  neuron.call(u.math.ones([1]).mul(current));
  return neuron.V.value;
});

const times = brainstate.environ.context({ dt: u.ms(0.1) }, () => u.math.arange(u.ms(0), u.ms(200), brainstate.environ.getDt()));
const t0 = performance.now();
const voltages = await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, times));
const run = brainstate.transform.lastRun();
console.log(`forLoop: ${times.shape[0]} steps, V stacked to (${voltages.shape.join(', ')}) in ${voltages.unit.name}; ` +
  `${run?.lowering}, ${run?.dispatches} dispatch(es), ${(performance.now() - t0).toFixed(0)} ms with tracing and compilation, on ${run?.device}`);

const tMs = times.toDecimal(u.ms).data;
const vMv = voltages.toDecimal(u.mV).data;
const spikes = Array.from(vMv).filter((v, i) => i > 0 && v < (vMv[i - 1] as number) - 5).length;
console.log(`spikes after the current switches on at 50 ms: ${spikes}`);

const svg = await linePlot([{ name: 'V', x: tMs, y: vMv }], {
  title: 'LIF neuron, step current at 50 ms', xLabel: 'time (ms)', yLabel: 'V (mV)',
  hlines: [{ y: -50, label: 'threshold', color: 'red', dash: true }],
});
const files = await savePlot(svg, path.join(outDir, 'lif-voltage'));

// ---- jit: one compiled step, called repeatedly
const oneStep = brainstate.transform.jit((current: u.Quantity) => {
  neuron.call(current);
  return neuron.getSpike();
});
brainstate.nn.initAllStates(neuron);
await brainstate.environ.context({ dt: u.ms(0.1), t: u.ms(0) }, async () => {
  const first = oneStep(u.math.ones([1]).mul(u.mA(20)));   // first call traces and compiles
  const second = oneStep(u.math.ones([1]).mul(u.mA(20)));  // later calls reuse the compiled step
  console.log('jit spikes:', String(await first), String(await second), '| V after two steps:', String(neuron.V.value),
    '| traces so far:', brainstate.transform.traceCount());
});

console.log(`figure: ${path.relative(process.cwd(), files.svg)} and ${path.relative(process.cwd(), files.png)}`);
releaseDevice();
