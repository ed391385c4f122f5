/** PoissonSpike: reproducible trains, the rate it is given, the same bits on the GPU as on the CPU. */
import { afterAll, describe, expect, it } from 'vitest';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';

afterAll(() => releaseDevice());

async function trains(lowering: brainstate.transform.Lowering, seed: number, steps = 2000) {
  const src = new brainpy.PoissonSpike(500, { freqs: u.Hz(20), seed });
  const step = () => src.call();
  const out = await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, { length: steps, lowering }));
  return out.data as Float32Array;
}

describe('PoissonSpike', () => {
  it('fires at its rate, identically on the interpreter and the GPU, and differently per seed', async () => {
    const cpu = await trains('interpret', 1);
    const gpu = await trains('temporal-fusion', 1);
    expect(Array.from(gpu)).toEqual(Array.from(cpu));
    const rate = cpu.reduce((a, x) => a + x, 0) / 500 / 0.2; // Hz over 200 ms
    expect(Math.abs(rate - 20)).toBeLessThan(1.5); // 2000 expected spikes: sd ~ 2.2%
    const other = await trains('temporal-fusion', 2);
    expect(Array.from(other)).not.toEqual(Array.from(gpu));
  });

  it('per-neuron rates and clear errors', async () => {
    const freqs = u.Hz(Array.from({ length: 4 }, (_, i) => i * 100));
    const src = new brainpy.PoissonSpike(4, { freqs, seed: 3 });
    const out = await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(() => src.call(), { length: 5000 }));
    const counts = [0, 0, 0, 0];
    out.data.forEach((x, k) => { counts[k % 4]! += x; });
    expect(counts[0]).toBe(0);
    // 5000 steps of 0.1 ms: expected counts 50, 100, 150; allow 3 standard deviations
    counts.slice(1).forEach((c, i) => {
      const expected = (i + 1) * 100 * 0.5;
      expect(Math.abs(c - expected)).toBeLessThan(3 * Math.sqrt(expected));
    });
    expect(() => new brainpy.PoissonSpike(3, { freqs: u.mV(1), name: 'noise' })).toThrow(/noise: freqs must be a frequency/);
    expect(() => new brainpy.PoissonSpike(3, { freqs: u.Hz([1, 2]), name: 'noise' })).toThrow(/noise: freqs has shape \[2\], expected a scalar or \[3\]/);
  });
});

describe('PoissonInput', () => {
  it('adds weight x Binomial(numInput, freq dt) to the target before its update; same on the GPU', async () => {
    const run = async (lowering: brainstate.transform.Lowering) => {
      const lif = new brainpy.LIF(200, { V_rest: u.mV(-65), V_th: u.mV(100), V_reset: u.mV(-65), tau: u.ms(10), V_initializer: u.mV(-65), name: 'post' });
      new brainpy.PoissonInput(lif, { numInput: 50, freq: u.Hz(40), weight: u.mV(0.5), seed: 9, name: 'bg' });
      brainstate.nn.initAllStates(lif);
      const out = await brainstate.environ.context({ dt: u.ms(0.1) }, () =>
        brainstate.transform.forLoop(() => { lif.call(u.mA(0)); return lif.V.value; }, { length: 2000, lowering }));
      return out.toDecimal(u.mV).data as Float32Array;
    };
    const cpu = await run('interpret');
    const gpu = await run('dispatch-chain');
    // the same draws (one missed or extra input would move V by 0.5 mV); the arithmetic agrees to
    // float32 rounding, not bit for bit: a GPU compiler may contract a * b + c into an fma (an H100
    // did, 1 ulp here and there), which WGSL cannot forbid
    let worst = 0;
    gpu.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - cpu[i]!) / Math.abs(cpu[i]!)); });
    expect(worst).toBeLessThan(1e-6);
    // mean drive: 50 sources x 40 Hz x 0.5 mV = 1 mV/ms into tau = 10 ms: V settles near -65 + 10 mV
    const tail = cpu.subarray(1000 * 200);
    const mean = tail.reduce((a, x) => a + x, 0) / tail.length;
    expect(Math.abs(mean - -55)).toBeLessThan(0.5);
    expect(() => new brainpy.PoissonInput(new brainpy.LIF(2), { numInput: 0, freq: u.Hz(1), weight: u.mV(1), name: 'p' })).toThrow(/p: numInput must be a positive integer/);
  });
});
