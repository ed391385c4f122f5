/**
 * The "train" bench suite on a lent GPU machine (bundled with esbuild; see bench/device/README.md):
 * first a cross-check file for train_jax.py (the weights, data, loss and gradients of one step at
 * T = 100, batch 32: JAX recomputes them), then the suite; results go to $OUT. With PROFILE=1 one
 * grad call at T = 1000, batch 32 is profiled first (GPU ms per kernel of the forward and reverse
 * runs, the first rounds of each: train-profile.json), for the question of where the gap to JAX is.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ops, type Tensor } from '@spiketrace/compiler';
import { brainstate, braintools } from 'spiketrace';
import { DT } from '../../examples/models/train-snn.ts';
import { setup, trainSuite } from '../suites/train.ts';

const out = process.env.OUT ?? '.';
{
  const s = setup(100, 32);
  const step = (x: Tensor) => s.net.step(x).r;
  const lossFn = async () => {
    brainstate.nn.initAllStates(s.net, { batchSize: 32 });
    const rs = await brainstate.environ.context({ dt: DT }, () => brainstate.transform.forLoop(step, s.data.x)) as Tensor;
    return ops.mean(braintools.metric.softmaxCrossEntropyWithIntegerLabels(ops.mean(rs, 0), s.data.labels));
  };
  const w = (k: string) => Array.from((s.params.get(k)!.value as { mantissa: Tensor }).mantissa.data);
  const init = { W1: w('snn.l1.weight'), W2: w('snn.l2.weight'), Wout: w('snn.out.weight') };
  const [g, loss] = await brainstate.transform.grad(lossFn, { gradStates: s.params, returnValue: true })() as [Map<string, { mantissa: Tensor }>, Tensor];
  const gr = (k: string) => Array.from(g.get(k)!.mantissa.data);
  writeFileSync(join(out, 'crosscheck.json'), JSON.stringify({
    T: 100, B: 32, x: Array.from(s.data.x.data), labels: Array.from(s.data.labels.data), ...init,
    loss: loss.item(), gW1: gr('snn.l1.weight'), gW2: gr('snn.l2.weight'), gWout: gr('snn.out.weight'),
  }));
}
if (process.env.PROFILE === '1') {
  // where a grad call's GPU time goes, per kernel of each run (T = 1000, batch 32, one profiled call)
  const s = setup(1000, 32);
  const step = (x: Tensor) => s.net.step(x).r;
  brainstate.transform.runGraphProfile(true);
  await brainstate.transform.grad(async () => {
    brainstate.nn.initAllStates(s.net, { batchSize: 32 });
    const rs = await brainstate.environ.context({ dt: DT }, () => brainstate.transform.forLoop(step, s.data.x, { profile: true })) as Tensor;
    return ops.mean(braintools.metric.softmaxCrossEntropyWithIntegerLabels(ops.mean(rs, 0), s.data.labels));
  }, { gradStates: s.params })();
  const kernels = Object.entries(brainstate.transform.runGraphProfile().kernelMs).sort((a, b) => b[1] - a[1]);
  writeFileSync(join(out, 'train-profile.json'), JSON.stringify(kernels.map(([kernel, ms]) => ({ kernel, ms })), null, 1));
  console.log(JSON.stringify({ profiledKernels: kernels.slice(0, 12) }));
}
await trainSuite.run({ raw: [], flags: { runs: process.env.RUNS ?? '5', parts: process.env.PARTS ?? 'speed,memory', out: process.env.STEM ?? 'train-gpu', dir: out, lowering: process.env.LOWERING ?? 'auto' } });
process.exit(0);
