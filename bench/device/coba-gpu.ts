/**
 * The COBA network on a lent GPU machine: 1 s of biological time (10 000 steps) at N = 4000 and
 * 40 000 (80 inputs per neuron), under each lowering that applies; wall time per call (after a
 * warm-up call), microseconds per step, rates. Each configuration is also timed at a tenth of the
 * steps, so that the marginal cost of a step (without the call's fixed costs: State set-up, upload,
 * readback) is (long − short) / (steps − steps / 10). One JSON line per configuration.
 *
 *   SIZES=4000,40000 STEPS=10000 LOWERINGS=persistent-workgroup,dispatch-chain node coba-gpu.mjs
 *
 * With VARIANTS=1 the persistent workgroup also runs with the compiler's knobs turned
 * (`compiler`: register arrays off; 512 and 256 invocations), for the question of whether
 * 1024 invocations with two register arrays per State spill registers on this GPU.
 *
 * With PROFILE=1 each configuration also makes one profiled call (timestamp queries around the
 * dispatches of the first rounds, runtime/src/executable.ts) and prints the GPU µs per step of
 * each kernel: for the persistent workgroup that is the whole shader's time per step without the
 * host, for the chain it shows which dispatch dominates.
 */
import { u, brainstate, releaseDevice } from 'spiketrace';
import { coba, packSpikes, unpackSpikes } from '../../examples/models/coba.ts';

const sizes = (process.env.SIZES ?? '4000,40000').split(',').map(Number);
const steps = Number(process.env.STEPS ?? 10000);
const lowerings = (process.env.LOWERINGS ?? 'persistent-workgroup,dispatch-chain').split(',') as brainstate.transform.Lowering[];

async function timed(n: number, lowering: brainstate.transform.Lowering, count: number, compiler: brainstate.transform.CompilerOptions = {}) {
  const net = coba({ n, seed: 1 });
  const times = u.math.arange(u.ms(0), u.ms(count * 0.1 - 0.05), u.ms(0.1));
  const step = (t: u.Quantity) => packSpikes(net.step(t));
  const run = async () => {
    brainstate.nn.initAllStates(net);
    const t0 = performance.now();
    const packed = await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, times, { lowering, compiler }));
    return { ms: performance.now() - t0, packed };
  };
  const first = await run();
  const calls = [await run(), await run(), await run()].sort((a, b) => a.ms - b.ms);
  let profile: { kernel: string; parts: string; usPerStep: number }[] | undefined;
  if (process.env.PROFILE === '1') {
    brainstate.nn.initAllStates(net);
    await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, times, { lowering, compiler, profile: true }));
    const p = brainstate.transform.lastRun()?.profile;
    profile = p?.kernels.map((k) => ({ kernel: k.kernel, parts: k.parts, usPerStep: (k.ms * 1000) / p.steps }));
  }
  return { first, med: calls[1]!, profile };
}

const variants: { label: string; compiler: brainstate.transform.CompilerOptions }[] = [{ label: 'default', compiler: {} }];
if (process.env.VARIANTS === '1') {
  variants.push({ label: 'no registers', compiler: { registers: false } }, { label: '512 invocations', compiler: { maxWorkgroupSize: 512 } }, { label: '256 invocations', compiler: { maxWorkgroupSize: 256 } });
}

for (const n of sizes) {
  for (const lowering of lowerings) {
    if (lowering === 'persistent-workgroup' && n > 16384) continue;
    for (const { label, compiler } of lowering === 'persistent-workgroup' ? variants : variants.slice(0, 1)) {
    try {
      const short = await timed(n, lowering, Math.round(steps / 10), compiler);
      const { first, med, profile } = await timed(n, lowering, steps, compiler);
      const sp = unpackSpikes(med.packed.data, steps, n);
      const nE = Math.floor(0.8 * n);
      let e = 0;
      for (const k of sp.neuron) if (k < nE) e++;
      const secs = (steps * 0.1) / 1000;
      const info = brainstate.transform.lastRun();
      console.log(JSON.stringify({
        n, lowering: info?.lowering, variant: label, steps, firstMs: first.ms, medianMs: med.ms, usPerStep: (med.ms * 1000) / steps,
        shortMs: short.med.ms, marginalUsPerStep: ((med.ms - short.med.ms) * 1000) / (steps - Math.round(steps / 10)),
        rateE: e / nE / secs, rateI: (sp.neuron.length - e) / (n - nE) / secs, dispatches: info?.dispatches, device: info?.device,
        ...(profile ? { profile } : {}),
      }));
    } catch (err) {
      console.log(JSON.stringify({ n, lowering, variant: label, error: String((err as Error).message).slice(0, 300) }));
    }
    }
  }
}
releaseDevice();
process.exit(0);
