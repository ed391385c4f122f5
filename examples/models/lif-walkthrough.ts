/**
 * The walk-through's LIF neuron as a model spec: what `compile`, `spiketrace compile` and the
 * browser example take. One input per step (the time t), one output (V).
 */
import { u, brainstate, brainpy, type ModelSpec } from 'spiketrace';

export function lifWalkthrough(): ModelSpec {
  const neuron = new brainpy.LIF(1, {
    V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10), spkReset: 'hard', name: 'lif',
  });
  return {
    name: 'lif-walkthrough',
    description: 'One LIF neuron (brainpy.state walk-through): a 20 mA step current from t = 50 ms, hard reset.',
    model: neuron,
    inputs: { t: u.ms(0) },
    step: ({ t }) => brainstate.environ.context({ t }, () => {
      const current = u.math.where((t as u.Quantity).gt(u.ms(50)), u.mA(20), u.mA(0));
      neuron.call(u.math.ones([1]).mul(current));
      return { V: neuron.V.value };
    }),
    dt: u.ms(0.1),
    steps: 2000,
  };
}

export default lifWalkthrough;
