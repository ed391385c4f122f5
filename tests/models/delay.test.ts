/** Delays: `delayed(owner, 'V').at(d)` returns the State's value d/dt updates ago, under every lowering. */
import { afterAll, describe, expect, it } from 'vitest';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';

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
