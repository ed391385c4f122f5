/** Delays: `delayed(owner, 'V').at(d)` returns the State's value d/dt updates ago, under every lowering. */
import { afterAll, describe, expect, it } from 'vitest';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
import type { Tensor } from '@spiketrace/compiler';

afterAll(() => releaseDevice());

function setup() {
  const lif = new brainpy.LIF(3, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10), V_initializer: u.mV(-60), name: 'lif' });
  const drive = u.mA([14, 18, 25]);
  const reader = brainstate.environ.context({ dt: u.ms(0.1) }, () => brainpy.delayed(lif, 'V').at(u.ms(2)));
  const now = brainstate.environ.context({ dt: u.ms(0.1) }, () => brainpy.delayed(lif, 'V').at(u.ms(0)));
  brainstate.nn.initAllStates(lif);
  // read before the update: delay 0 is the value stored by the last update
  const step = () => {
    const late = reader();
    const last = now();
    lif.call(drive);
    return [late, last, lif.V.value];
  };
  return { lif, step };
}

describe('delays', () => {
  it.each(['interpret', 'dispatch-chain', 'persistent-workgroup'] as const)('V 2 ms ago equals V of 20 updates before (%s)', async (lowering) => {
    const { step } = setup();
    const T = 300;
    const [late, last, V] = await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, { length: T, lowering }));
    const l = late!.toDecimal(u.mV).data, z = last!.toDecimal(u.mV).data, v = V!.toDecimal(u.mV).data;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < 3; i++) {
        // the value read at step t before the update is V after update t-1-k (k = 20 or 0); earlier: the initial -60 mV
        expect(l[t * 3 + i]).toBe(t - 21 >= 0 ? v[(t - 21) * 3 + i] : -60);
        expect(z[t * 3 + i]).toBe(t - 1 >= 0 ? v[(t - 1) * 3 + i] : -60);
      }
    }
  });

  it('clear errors: not a multiple of dt, beyond the buffer, not a time, no such State', () => {
    const { lif } = setup();
    brainstate.environ.context({ dt: u.ms(0.1) }, () => {
      expect(() => brainpy.delayed(lif, 'V').at(u.ms(0.25))).toThrow(/lif\.V-delay: a delay of 0\.25 ms is not a non-negative multiple of dt = 0\.1 ms/);
      expect(() => brainpy.delayed(lif, 'V').at(u.ms(5))).toThrow(/exceeds the buffer of 20 steps allocated by initAllStates/);
      expect(() => brainpy.delayed(lif, 'V').at(u.mV(1))).toThrow(/a delay must be a time/);
      expect(() => brainpy.delayed(lif, 'W')).toThrow(/lif has no State "W" to delay/);
    });
  });
});

describe('delayed spike delivery through a projection', () => {
  it.each(['interpret', 'dispatch-chain', 'persistent-workgroup'] as const)('EventFixedProb of spikes 1.5 ms late equals a dense reference (%s)', async (lowering) => {
    const nPre = 40, nPost = 30, T = 400, d = 15;
    const pre = new brainpy.LIF(nPre, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10), spkReset: 'hard', V_initializer: u.mV(-65), name: 'pre' });
    const drive = u.mA(Array.from({ length: nPre }, (_, i) => 16 + (i % 9)));
    const comm = new brainpy.EventFixedProb(nPre, nPost, { prob: 0.2, weight: u.nS(2), seed: 5, name: 'proj' });
    const lateV = brainstate.environ.context({ dt: u.ms(0.1) }, () => brainpy.delayed(pre, 'V').at(u.ms(1.5)));
    brainstate.nn.initAllStates(pre);
    const step = () => {
      const late = pre.getSpike(lateV()); // the spike of V as stored d updates before the last one
      const g = comm.update(late);
      pre.call(drive);
      return [g, pre.getSpike()];
    };
    const [g, spk] = await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, { length: T, lowering }));
    const gs = (g as u.Quantity).toDecimal(u.nS).data, ss = (spk as Tensor).data;
    // reference: at step t the comm sees the spikes computed after update t-1-d
    const k = comm.k;
    let delivered = 0;
    for (let t = 0; t < T; t++) {
      const want = new Float32Array(nPost);
      const src = t - 1 - d;
      if (src >= 0) {
        for (let p = 0; p < nPre; p++) {
          if (ss[src * nPre + p]) for (let j = 0; j < k; j++) want[comm.indices[p * k + j]!]! += 2;
        }
      }
      for (let q = 0; q < nPost; q++) expect(gs[t * nPost + q], `step ${t} post ${q}`).toBe(want[q]);
      delivered += want.reduce((a, x) => a + x, 0);
    }
    expect(delivered).toBeGreaterThan(0);
  });
});
