/** Bad input gets a clear error naming the culprit, and leaves the model's States as they were. */
import { afterAll, describe, expect, it } from 'vitest';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';

afterAll(() => releaseDevice());

function makeNeuron() {
  const neuron = new brainpy.LIF(4, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10), name: 'cell' });
  brainstate.nn.initAllStates(neuron);
  neuron.V.value = u.mV([-60, -55, -52, -70]);
  return neuron;
}

function snapshot(n: brainpy.LIF) {
  return { value: n.V.value, data: Array.from(n.V.value.mantissa.data) };
}

function expectUnchanged(n: brainpy.LIF, before: ReturnType<typeof snapshot>) {
  expect(n.V.value).toBe(before.value);
  expect(Array.from(n.V.value.mantissa.data)).toEqual(before.data);
}

const times = u.math.arange(u.ms(0), u.ms(1), u.ms(0.1));

describe('bad input', () => {
  it('a unit mismatch inside the step names both units and the line, at trace time', async () => {
    const n = makeNeuron();
    const before = snapshot(n);
    const step = () => { n.call(u.mA(1)); return n.V.value.add(u.ms(1)); };
    const err = await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, times)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(u.UnitMismatchError);
    expect((err as Error).message).toMatch(/cannot add mV and ms: units do not match \(mV != ms\) \(in the forLoop step, at .*bad-input\.test\.ts:\d+:\d+\)/);
    // a voltage where the neuron expects a current is named as such
    const wrong = () => { n.call(u.mV(5)); };
    await expect(brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(wrong, times)))
      .rejects.toThrow(/cell\.update: the input must be a current \(like mA\), got a quantity in mV/);
    expectUnchanged(n, before);
  });

  it('a write of another shape names the State and both shapes (eager and traced)', async () => {
    const n = makeNeuron();
    const before = snapshot(n);
    expect(() => { n.V.value = u.math.zeros([3], u.mV); }).toThrow(/cell\.V.*shape \[4\].*shape \[3\]/);
    const step = () => { n.V.value = u.math.zeros([2, 4], u.mV); };
    await expect(brainstate.transform.forLoop(step, { length: 5 })).rejects.toThrow(/cell\.V.*\[4\].*\[2, 4\]/);
    expectUnchanged(n, before);
  });

  it('a write in another unit names the State and the units', () => {
    const n = makeNeuron();
    const before = snapshot(n);
    expect(() => { n.V.value = u.math.zeros([4], u.ms); }).toThrow(/cell\.V.*mV.*ms/);
    expect(() => { n.V.value = u.math.zeros([4], u.V); }).toThrow(/convert with \.to\(mV\)/);
    expectUnchanged(n, before);
  });

  it('a missing dt says which key and how to set it', async () => {
    const n = makeNeuron();
    const before = snapshot(n);
    const step = () => { n.call(u.mA(1)); return n.V.value; };
    await expect(brainstate.transform.forLoop(step, times)).rejects.toThrow(/key "dt" not found.*environ\.context\(\{ dt/);
    expect(() => brainstate.environ.getDt()).toThrow(brainstate.EnvironmentError);
    expectUnchanged(n, before);
  });

  it('reading a State before initAllStates names it and the fix', async () => {
    const n = new brainpy.LIF(2, { name: 'fresh' });
    expect(() => n.V.value).toThrow(/"V" is read before it was initialized; call brainstate\.nn\.initAllStates/);
    const step = () => n.V.value;
    await expect(brainstate.transform.forLoop(step, { length: 3 })).rejects.toThrow(brainstate.StateError);
    expect(n.V.isInitialized).toBe(false);
  });

  it('a non-Quantity where a Quantity is required', async () => {
    const n = makeNeuron();
    const before = snapshot(n);
    expect(() => n.call(5 as unknown as u.Quantity)).toThrow(/cell.*must be a Quantity/);
    expect(() => new brainpy.LIF(1, { tau: 10 as unknown as u.Quantity, name: 'x' })).toThrow(/x: tau must be a Quantity/);
    expect(() => new brainpy.LIF(1, { tau: u.mV(10), name: 'y' })).toThrow(/y: tau is in mV/);
    expect(() => { n.V.value = 3 as unknown as u.Quantity; }).toThrow(/cannot set HiddenState "cell\.V" to the number 3/);
    await expect(brainstate.transform.forLoop(() => undefined, [1, 2] as unknown as u.Quantity)).rejects.toThrow(/operand 0 is a plain array of 2 item\(s\).*not a Quantity or Tensor/);
    expectUnchanged(n, before);
  });

  it('a traced value that escapes its transform is rejected when used later', async () => {
    const n = makeNeuron();
    let leaked: u.Quantity | undefined;
    await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(() => { leaked = n.V.value; }, { length: 2 }));
    expect(leaked?.isTraced).toBe(true);
    expect(() => leaked!.add(u.mV(1)).mantissa.data).toThrow(/escaped|traced/);
  });

  it('mismatched loop lengths name the operand', async () => {
    await expect(brainstate.transform.forLoop(() => undefined, u.math.zeros([5]), u.math.zeros([4])))
      .rejects.toThrow(/operand 1 has 4 steps along axis 0, expected 5/);
  });
});
