/**
 * Where a COBA step's GPU time goes, per dispatch (measured, not asserted): `forLoop(..., {
 * profile: true })` puts timestamp queries around every dispatch of the first rounds
 * (runtime/src/executable.ts) and `lastRun().profile` sums them per kernel.
 *
 *   npx tsx bench/experiments/kernel-profile.ts [--n=4000,40000] [--steps=600] [--lowering=dispatch-chain]
 *
 * One warm-up call, then one profiled call per N; prints µs per step per kernel (over the
 * profiled steps), its share of the profiled GPU time, and what the kernel runs. Each profiled
 * dispatch gets a compute pass of its own, so the sum is a little above an unprofiled step.
 */
import { u, brainstate, releaseDevice } from 'spiketrace';
import { coba, packSpikes } from '../../examples/models/coba.ts';
import { argOf, numArg } from '../lib/args.ts';

const SIZES = argOf('n', '4000,40000').split(',').map(Number);
const STEPS = numArg('steps', 600);
const LOWERING = argOf('lowering', 'dispatch-chain') as 'dispatch-chain' | 'persistent-workgroup' | 'auto';
const DT = 0.1;

const report = [];
for (const n of SIZES) {
  const net = coba({ n });
  const step = (t: u.Quantity) => packSpikes(net.step(t));
  const times = u.math.arange(u.ms(0), u.ms(STEPS * DT - DT / 2), u.ms(DT));
  const call = async (profile: boolean) => {
    brainstate.nn.initAllStates(net);
    await brainstate.environ.context({ dt: u.ms(DT) }, () => brainstate.transform.forLoop(step, times, { lowering: LOWERING, profile }));
    return brainstate.transform.lastRun()!;
  };
  const plain = await call(false);
  const info = await call(true);
  const p = info.profile;
  if (!p) {
    console.log(JSON.stringify({ n, note: 'this device has no timestamp queries' }));
    continue;
  }
  const total = p.kernels.reduce((a, k) => a + k.ms, 0);
  report.push({
    n, lowering: info.lowering, device: info.device, profiledSteps: p.steps,
    unprofiledUsPerStep: (plain.wallMs * 1000) / STEPS,
    gpuUsPerStep: (total * 1000) / p.steps,
    kernels: p.kernels.map((k) => ({ usPerStep: +((k.ms * 1000) / p.steps).toFixed(2), share: +(k.ms / total).toFixed(3), runs: k.parts })),
  });
}
console.log(JSON.stringify(report, null, 1));
releaseDevice();
