/** States, Modules, initAllStates and the environment (no GPU). */
import { describe, expect, it } from 'vitest';
import { u, brainstate, brainpy } from 'spiketrace';
import { Tensor } from '@spiketrace/compiler';

const { nn, environ } = brainstate;

describe('State', () => {
  it('holds and updates a Quantity eagerly', () => {
    const s = new brainstate.State(u.mV(-65));
    expect(String(s.value)).toBe('-65. mV');
    s.value = s.value.add(u.mV(5));
    expect(String(s.value)).toBe('-60. mV');
    const w = new brainstate.State(Tensor.fromArray([0.1, 0.2, 0.3, 0.4], [2, 2]));
    expect(w.value.shape).toEqual([2, 2]);
    expect(String(w.value)).toBe('[[0.1, 0.2], [0.3, 0.4]]');
  });

  it('kinds are labels that filters key off', () => {
    class Unit extends nn.Module {
      tau = new brainstate.ParamState(u.ms(10));
      v = new brainstate.ShortTermState(u.math.zeros([3], u.mV));
      h = new brainstate.HiddenState(u.math.zeros([3], u.mV));
      cells = [new brainpy.LIF(2, { name: 'inner' })];
    }
    const m = new Unit('unit');
    expect([...m.states().keys()]).toEqual(['unit.tau', 'unit.v', 'unit.h', 'unit.cells[0].V']);
    expect([...m.states(brainstate.ParamState).keys()]).toEqual(['unit.tau']);
    expect([...m.states(brainstate.ShortTermState).keys()]).toEqual(['unit.v', 'unit.h', 'unit.cells[0].V']);
    expect(m.nodes().map((n) => n.name)).toEqual(['unit', 'inner']);
    expect(m.h.name).toBe('unit.h');
  });
});

describe('initAllStates', () => {
  it('allocates unbatched and batched shapes and resets values', () => {
    const neuron = new brainpy.LIF(100, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10) });
    nn.initAllStates(neuron);
    expect(neuron.V.value.shape).toEqual([100]);
    nn.initAllStates(neuron, { batchSize: 32 });
    expect(neuron.V.value.shape).toEqual([32, 100]);
    neuron.V.value = u.math.full([32, 100], u.mV(-50));
    nn.resetAllStates(neuron, { batchSize: 32 });
    expect(neuron.V.value.toDecimal(u.mV).data.every((x) => x === 0)).toBe(true); // V_initializer default 0 mV
    expect(() => nn.initAllStates(neuron, { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
  });
});

describe('Dynamics hooks', () => {
  it('call() runs before-updates, update, after-updates in order', () => {
    const log: string[] = [];
    class D extends nn.Dynamics {
      override update(x: unknown) { log.push(`update ${String(x)}`); return 'ret'; }
    }
    const d = new D(1);
    d.addBeforeUpdate('a', (...args) => log.push(`before ${args.length}`));
    d.addBeforeUpdate('b', (x) => log.push(`before-input ${String(x)}`), { receiveInput: true });
    d.addAfterUpdate('c', (r) => log.push(`after ${String(r)}`));
    d.addAfterUpdate('d', (...args) => log.push(`after-no-output ${args.length}`), { ignoreOutput: true });
    d.call(7);
    expect(log).toEqual(['before 0', 'before-input 7', 'update 7', 'after ret', 'after-no-output 0']);
    expect(() => d.addBeforeUpdate('a', () => 0)).toThrow(/"a" exists already/);
  });
});

describe('environ', () => {
  it('nests, restores on exit and on throw, and names missing keys', () => {
    environ.context({ dt: u.ms(0.1) }, () => {
      expect(String(environ.getDt())).toBe('0.1 ms');
      environ.context({ dt: u.ms(0.2), t: u.ms(3) }, () => {
        expect(String(environ.getDt())).toBe('0.2 ms');
        expect(String(environ.get('t'))).toBe('3. ms');
      });
      expect(String(environ.getDt())).toBe('0.1 ms');
      expect(() => environ.context({ t: u.ms(1) }, () => { throw new Error('boom'); })).toThrow('boom');
      expect(() => environ.get('t')).toThrow(/key "t" not found/);
      expect(environ.get('t', null)).toBeNull();
    });
    expect(() => environ.getDt()).toThrow(brainstate.EnvironmentError);
  });
});
