/**
 * Throwaway experiment (measured, not asserted): COBA at n neurons with homogeneous weights
 * (6 nS / 67 nS: counts times the weight) against per-synapse weights of the same means
 * (Normal(6, 1.5) nS / Normal(67, 15) nS: each delivered spike adds its synapse's fixed-point
 * weight), per lowering. Same connectivity and initial V; the rates differ a little (the weights do).
 *
 *   npx tsx bench/experiments/coba-weights.ts [--n=4000] [--steps=3000] [--runs=3]
 *
 * Per configuration one warm-up call, then `runs` timed calls (initAllStates + forLoop with
 * packed spikes read back), median, divided by the steps.
 */
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
import { coba, packSpikes } from '../../examples/models/coba.ts';
import { numArg } from '../lib/args.ts';

const N = numArg('n', 4000);
const STEPS = numArg('steps', 3000);
const RUNS = numArg('runs', 3);
const DT = 0.1;
const times = u.math.arange(u.ms(0), u.ms(STEPS * DT - DT / 2), u.ms(DT));

async function measure(perSynapse: boolean, lowering: 'persistent-workgroup' | 'dispatch-chain') {
  const net = coba(perSynapse ? { n: N, wE: brainpy.Normal(u.nS(6), u.nS(1.5), { seed: 1 }), wI: brainpy.Normal(u.nS(67), u.nS(15), { seed: 2 }) } : { n: N });
  const step = (t: u.Quantity) => packSpikes(net.step(t));
  const once = async () => {
    brainstate.nn.initAllStates(net);
    const t0 = performance.now();
    const packed = await brainstate.environ.context({ dt: u.ms(DT) }, () => brainstate.transform.forLoop(step, times, { lowering }));
    return { ms: performance.now() - t0, packed };
  };
  const first = await once();
  let spikes = 0;
  for (const w of first.packed.data as Uint32Array) for (let b = w; b; b &= b - 1) spikes++;
  const ms: number[] = [];
  for (let r = 0; r < RUNS; r++) ms.push((await once()).ms);
  ms.sort((a, b) => a - b);
  return { usPerStep: (ms[Math.floor(ms.length / 2)]! * 1000) / STEPS, rateHz: spikes / N / (STEPS * DT / 1000) };
}

const rows = [];
for (const lowering of ['persistent-workgroup', 'dispatch-chain'] as const) {
  if (lowering === 'persistent-workgroup' && N > 4000) continue;
  const homogeneous = await measure(false, lowering);
  const perSynapse = await measure(true, lowering);
  rows.push({ lowering, homogeneous, perSynapse, ratio: perSynapse.usPerStep / homogeneous.usPerStep });
}
console.log(JSON.stringify({ n: N, steps: STEPS, runs: RUNS, rows }, null, 1));
releaseDevice();
