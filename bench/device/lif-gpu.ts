/**
 * The LIF workload on a lent GPU machine: Spiketrace's temporal fusion and dispatch chain at
 * N = 1e3 .. 1e7, T = 1000, medians of 5 calls after a warm-up (each call re-initializes the
 * States, uploads them, runs all steps and reads V and the spike counts back).
 * Bundled with esbuild and run by bench/device/run.sh; prints one JSON line per configuration.
 */
import { brainstate, releaseDevice } from 'spiketrace';
import { SpiketraceLif } from '../peers/spiketrace.ts';

const T = 1000;
const sizes = (process.env.SIZES ?? '1e3,1e4,1e5,1e6,1e7').split(',').map(Number);
for (const N of sizes) {
  const lif = new SpiketraceLif(N);
  for (const variant of ['temporal-fusion', 'dispatch-chain'] as const) {
    if (variant === 'dispatch-chain' && N > 1e6) continue;
    const t0 = performance.now();
    await lif.run(variant, T);
    const first = performance.now() - t0;
    const times: number[] = [];
    let spikes = 0;
    for (let r = 0; r < 5; r++) {
      const s = performance.now();
      const res = await lif.run(variant, T);
      times.push(performance.now() - s);
      spikes = res.out.count[0] ?? -1;
    }
    times.sort((a, b) => a - b);
    const median = times[2] as number;
    const info = brainstate.transform.lastRun();
    const parts = (await lif.run(variant, T)).parts;
    // the fixed per-call cost: the same call with one step
    const fixed: number[] = [];
    await lif.run(variant, 1);
    for (let r = 0; r < 5; r++) {
      const s = performance.now();
      await lif.run(variant, 1);
      fixed.push(performance.now() - s);
    }
    fixed.sort((a, b) => a - b);
    console.log(JSON.stringify({
      peer: 'spiketrace', variant, N, T, firstMs: first, medianMs: median, minMs: times[0],
      neuronStepsPerS: (N * T) / (median / 1000), usPerStep: (median * 1000) / T, spikesPerNeuron: spikes,
      dispatches: info?.dispatches, device: info?.device, fixedMsT1: fixed[2], marginalUsPerStep: ((median - (fixed[2] as number)) * 1000) / (T - 1), parts,
    }));
  }
}
releaseDevice();
process.exit(0);
