/**
 * The walk-through's LIF neuron against an independent float64 computation of the same update
 * (spike steps exact, voltages to 1e-5 relative), single and batched, soft and hard reset, under
 * temporal fusion, the dispatch chain and the CPU interpreter.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';

afterAll(() => releaseDevice());

const DT = 0.1, TAU = 10, V_REST = -65, V_TH = -50, V_RESET = -65, T = 2000;
const LOWERINGS = ['temporal-fusion', 'dispatch-chain', 'interpret'] as const;

/** brainpy.state's LIF update in float64, written from its equations, not from our code. */
function reference(drive: (t: number, i: number) => number, n: number, steps: number, reset: 'soft' | 'hard', v0 = 0) {
  const V = new Float64Array(n).fill(v0);
  const trace: number[][] = [];
  const spikes: number[][] = [];
  const k = 1 - Math.exp(-DT / TAU); // dt * exprel(-dt/tau) / tau
  for (let s = 0; s < steps; s++) {
    const t = s * DT;
    const row: number[] = [];
    for (let i = 0; i < n; i++) {
      const spk = V[i]! >= V_TH ? 1 : 0; // spike from the stored V
      if (spk) {
        V[i] = reset === 'hard' ? V_RESET : V[i]! - (V_TH - V_RESET);
        spikes.push([s, i]);
      }
      V[i] = V[i]! + k * (-V[i]! + V_REST + drive(t, i));
      row.push(V[i]!);
    }
    trace.push(row);
  }
  return { trace, spikes };
}

function spikeList(v: Float32Array | Float64Array, n: number, steps: number, v0: number): number[][] {
  // a spike at step s is visible as V(s-1) >= V_th (the stored V that step s resets)
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < n; i++) {
      const prev = s === 0 ? v0 : (v[(s - 1) * n + i] as number);
      if (prev >= V_TH) out.push([s, i]);
    }
  }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: number[][], rel: number): void {
  const flat = expected.flat();
  expect(actual.length).toBe(flat.length);
  let worst = 0, at = -1;
  for (let i = 0; i < flat.length; i++) {
    const e = flat[i]!, a = actual[i]!;
    const err = Math.abs(a - e) / Math.max(1e-30, Math.abs(e));
    if (err > worst) [worst, at] = [err, i];
  }
  expect(worst, `worst relative error ${worst} at ${at}: ${actual[at]} vs ${flat[at]}`).toBeLessThanOrEqual(rel);
}

describe('LIF walk-through', () => {
  it.each(LOWERINGS)('single neuron, step current, hard reset (%s)', async (lowering) => {
    const neuron = new brainpy.LIF(1, { V_rest: u.mV(V_REST), V_th: u.mV(V_TH), V_reset: u.mV(V_RESET), tau: u.ms(TAU), spkReset: 'hard' });
    brainstate.nn.initAllStates(neuron);
    expect(neuron.V.value.shape).toEqual([1]);
    const step = (t: u.Quantity) => brainstate.environ.context({ t }, () => {
      const current = u.math.where(t.gt(u.ms(50)), u.mA(20), u.mA(0));
      neuron.call(u.math.ones([1]).mul(current));
      return neuron.V.value;
    });
    const voltages = await brainstate.environ.context({ dt: u.ms(DT) }, () =>
      brainstate.transform.forLoop(step, u.math.arange(u.ms(0), u.ms(200), brainstate.environ.getDt()), { lowering }));
    expect(voltages.shape).toEqual([T, 1]);
    expect(brainstate.transform.lastRun()?.lowering).toBe(lowering);
    const v = voltages.toDecimal(u.mV).data as Float32Array;
    // t is read back from float32 in the kernel: reproduce the comparison the way the kernel sees it
    const ref = reference((t) => (Math.fround(t) > 50 ? 20 : 0), 1, T, 'hard');
    expect(spikeList(v, 1, T, 0)).toEqual(ref.spikes);
    expect(ref.spikes.length).toBe(11); // t=0 (V starts at 0 mV, above threshold) plus ten driven spikes
    expectClose(v, ref.trace, 1e-5);
    // the final State is the last stacked value, read back once
    expect(neuron.V.value.toDecimal(u.mV).data[0]).toBe(v[T - 1]);
  });

  it.each(LOWERINGS)('batched neurons with heterogeneous drive, soft reset (%s)', async (lowering) => {
    const B = 2, N = 3, steps = 600;
    const neuron = new brainpy.LIF(N, {
      V_rest: u.mV(V_REST), V_th: u.mV(V_TH), V_reset: u.mV(V_RESET), tau: u.ms(TAU), V_initializer: u.mV(-60),
    });
    brainstate.nn.initAllStates(neuron, { batchSize: B });
    expect(neuron.V.value.shape).toEqual([B, N]);
    const drive = [14, 16, 18, 20, 25, 40]; // mV through R = 1 ohm, one per (batch, neuron)
    const current = u.mA(drive).reshape([B, N]);
    const step = (t: u.Quantity) => brainstate.environ.context({ t }, () => {
      neuron.call(current);
      return neuron.V.value;
    });
    const times = u.math.arange(u.ms(0), u.ms(steps * DT - DT / 2), u.ms(DT));
    const out = await brainstate.environ.context({ dt: u.ms(DT) }, () => brainstate.transform.forLoop(step, times, { lowering }));
    expect(out.shape).toEqual([steps, B, N]);
    const ref = reference((_t, i) => drive[i]!, B * N, steps, 'soft', -60);
    const v = out.toDecimal(u.mV).data as Float32Array;
    expect(spikeList(v, B * N, steps, -60)).toEqual(ref.spikes);
    expect(ref.spikes.length).toBeGreaterThan(20);
    expectClose(v, ref.trace, 1e-5);
  });

  it('temporal fusion and the dispatch chain give identical traces', async () => {
    const results: Float32Array[] = [];
    for (const lowering of ['temporal-fusion', 'dispatch-chain'] as const) {
      const neuron = new brainpy.LIF(70, { V_rest: u.mV(V_REST), V_th: u.mV(V_TH), V_reset: u.mV(V_RESET), tau: u.ms(TAU), V_initializer: u.mV(-58) });
      brainstate.nn.initAllStates(neuron, { batchSize: 3 });
      const drive = u.mA(Array.from({ length: 210 }, (_, i) => 10 + (i % 17) * 1.7)).reshape([3, 70]);
      const step = () => { neuron.call(drive); return neuron.V.value; };
      const out = await brainstate.environ.context({ dt: u.ms(DT) }, () => brainstate.transform.forLoop(step, { length: 400, lowering }));
      results.push(out.toDecimal(u.mV).data as Float32Array);
    }
    expect(Array.from(results[0]!)).toEqual(Array.from(results[1]!));
  });
});

describe('carried values in temporal fusion', () => {
  it('reuses the spike of the new V as the next step\'s reset spike, bit-identical to the chain', async () => {
    class Counted extends brainstate.nn.Module {
      lif = new brainpy.LIF(300, { V_rest: u.mV(-65), V_reset: u.mV(-65), V_th: u.mV(-50), tau: u.ms(10), spkReset: 'hard', V_initializer: u.mV(-65) });
      count = new brainstate.ShortTermState<u.Quantity>(undefined, { name: 'count' });
      drive = u.mA(Array.from({ length: 300 }, (_, i) => 14 + (i % 29)));
      override initState() { this.count.reset(u.math.zeros([300])); }
      override update() { this.count.value = this.count.value.add(u.q(this.lif.call(this.drive))); }
    }
    const out: number[][] = [];
    for (const lowering of ['temporal-fusion', 'dispatch-chain'] as const) {
      const net = new Counted();
      brainstate.nn.initAllStates(net);
      const step = () => net.update();
      await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, { length: 1500, lowering }));
      if (lowering === 'temporal-fusion') expect(brainstate.transform.lastRun()?.plan).toMatch(/temporal-fusion/);
      out.push([...net.count.value.mantissa.data, ...net.lif.V.value.mantissa.data]);
      const g = brainstate.transform.graphsOf(step)[0]!.optimized;
      const { lower } = await import('@spiketrace/compiler');
      if (lowering === 'temporal-fusion') expect(lower(g, 10).kernels[0]!.wgsl).toMatch(/var c\d+: f32 = /);
    }
    expect(out[0]!.slice(0, 300).reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
    expect(out[0]).toEqual(out[1]);
  });
});
