/**
 * transform.grad / vectorGrad: brainstate's return conventions, units, and the bad inputs the
 * issue names (non-scalar loss, gradStates never read, integer State, unit-carrying loss). These
 * functions use eager ops only, so the tape differentiates them on the host; loops are covered
 * by grad-loop.test.ts and bptt.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ops, Tensor } from '@spiketrace/compiler';
import { HiddenState, ParamState, State, transform } from '@spiketrace/state';
import * as u from '@spiketrace/units';

const t = (xs: number[]): Tensor => Tensor.fromArray(xs);
const sumsq = (x: Tensor): Tensor => ops.reduce('sum', ops.mul(x, x));

describe('grad return conventions (brainstate)', () => {
  const a = new ParamState(t([1, 2, 3]));
  const b = new ParamState(t([-1, 0.5]));
  const f = () => ops.add(sumsq(a.value as Tensor), ops.mul(3, ops.reduce('sum', b.value as Tensor)));

  it('state gradients mirror gradStates: a State, an array, an object, a Map', async () => {
    const one = await transform.grad(f, { gradStates: a })() as Tensor;
    expect([...one.data]).toEqual([2, 4, 6]);
    const arr = await transform.grad(f, { gradStates: [a, b] })() as Tensor[];
    expect(arr.map((g) => [...g.data])).toEqual([[2, 4, 6], [3, 3]]);
    const obj = await transform.grad(f, { gradStates: { a, b } })() as { a: Tensor; b: Tensor };
    expect([...obj.b.data]).toEqual([3, 3]);
    const map = await transform.grad(f, { gradStates: new Map([['x.a', a], ['x.b', b]]) })() as Map<string, Tensor>;
    expect([...map.keys()]).toEqual(['x.a', 'x.b']);
    expect([...(map.get('x.a') as Tensor).data]).toEqual([2, 4, 6]);
  });

  it('argnums (default 0 without states), both -> [stateGrads, argGrads], returnValue and hasAux order', async () => {
    const h = (x: Tensor, y: Tensor) => ops.add(sumsq(x), ops.mul(2, sumsq(y)));
    expect([...(await transform.grad(h)(t([1, -2]), t([3])) as Tensor).data]).toEqual([2, -4]);
    const both = await transform.grad(h, { argnums: [0, 1] })(t([1]), t([3])) as Tensor[];
    expect(both.map((g) => [...g.data])).toEqual([[2], [12]]);
    const mixed = await transform.grad((x: Tensor) => ops.add(f(), sumsq(x)), { gradStates: { b }, argnums: 0 })(t([5])) as [{ b: Tensor }, Tensor];
    expect([...mixed[0].b.data]).toEqual([3, 3]);
    expect([...mixed[1].data]).toEqual([10]);
    const [g, v] = await transform.grad(f, { gradStates: a, returnValue: true })() as [Tensor, Tensor];
    expect(v.item()).toBeCloseTo(14 - 1.5, 5);
    expect([...g.data]).toEqual([2, 4, 6]);
    const aux = await transform.grad(() => [f(), 'note'] as const, { gradStates: a, hasAux: true })() as [Tensor, string];
    expect(aux[1]).toBe('note');
    const all = await transform.grad(() => [f(), 7] as const, { gradStates: a, hasAux: true, returnValue: true })() as [Tensor, Tensor, number];
    expect(all[2]).toBe(7);
    expect(all[1].item()).toBeCloseTo(12.5, 5);
  });

  it('vectorGrad sums over the outputs (a ones cotangent)', async () => {
    const g = await transform.vectorGrad((x: Tensor) => ops.mul(x, x))(t([1, 2, -3])) as Tensor;
    expect([...g.data]).toEqual([2, 4, -6]);
  });

  it('units: the gradient comes in the value\'s unit, or loss/value units with unitAware', async () => {
    const V = new ParamState(u.mV([1, 2]));
    const loss = () => sumsq(V.value.div(u.mV(1)).toDecimal());
    const g = await transform.grad(loss, { gradStates: V })() as u.Quantity;
    expect(g.unit.name).toBe('mV');
    expect([...g.mantissa.data]).toEqual([2, 4]);
    const ga = await transform.grad(loss, { gradStates: V, unitAware: true })() as u.Quantity;
    expect(ga.unit.sameDim(u.mV(1).unit.pow(-1))).toBe(true);
  });

  it('the State keeps its value, and the function runs once', async () => {
    let calls = 0;
    await transform.grad(() => { calls++; return f(); }, { gradStates: a })();
    expect(calls).toBe(1);
    expect([...(a.value as Tensor).data]).toEqual([1, 2, 3]);
  });
});

describe('grad refuses bad input with a clear error', () => {
  const p = new ParamState(t([1, 2]));
  it('a non-scalar result without vectorGrad', async () => {
    await expect(transform.grad(() => ops.mul(p.value as Tensor, 2), { gradStates: p })()).rejects.toThrow(/returns a value of shape \[2\]; grad needs a scalar .*vectorGrad/);
  });
  it('gradStates that the function never reads', async () => {
    const unused = new ParamState(t([0]), { name: 'unused.w' });
    await expect(transform.grad(() => sumsq(p.value as Tensor), { gradStates: [p, unused] })()).rejects.toThrow(/ParamState "unused.w" is in gradStates but the function never reads it/);
  });
  it('an integer State', async () => {
    const n = new HiddenState(Tensor.fromArray([1, 2], [2], 'i32'), { name: 'counter' });
    await expect(transform.grad(() => sumsq(p.value as Tensor), { gradStates: n })()).rejects.toThrow(/HiddenState "counter" holds i32 values; only f32 States have gradients/);
  });
  it('a loss that carries a unit', async () => {
    const V = new ParamState(u.mV([1, 2]), { name: 'V' });
    await expect(transform.grad(() => u.math.sum(V.value), { gradStates: V })()).rejects.toThrow(/returns a value in mV; differentiate a dimensionless loss/);
  });
  it('a non-array result, and a non-State in gradStates', async () => {
    await expect(transform.grad(() => 3, { gradStates: p })()).rejects.toThrow(/returned the number 3; it must return a Quantity or Tensor/);
    await expect(transform.grad(() => sumsq(p.value as Tensor), { gradStates: [p, 5 as unknown as State] })()).rejects.toThrow(/gradStates must hold States/);
  });
});

describe('stop_gradient, the readout and the checkpointed loops: values and bad input', () => {
  it('stop_gradient cuts only its own path: d/dx sum(sg(x) * x) = x', async () => {
    const g = await transform.grad((x: Tensor) => ops.reduce('sum', ops.mul(ops.stopGradient(x), x)))(t([1.5, -2, 3])) as Tensor;
    expect([...g.data]).toEqual([1.5, -2, 3]);
  });

  it('LeakyRateReadout integrates x @ W with the decay fixed at construction; clear errors', async () => {
    const { brainpy } = await import('spiketrace');
    const { environ, nn } = await import('@spiketrace/state');
    const W = Tensor.fromArray([1, -1, 0.5, 2], [2, 2]);
    const ro = environ.context({ dt: u.ms(1) }, () => new brainpy.LeakyRateReadout(2, 2, { tau: u.ms(10), wInit: W, name: 'ro' }));
    nn.initAllStates(ro);
    const decay = Math.exp(-0.1);
    const xs = [[1, 0], [0, 2]];
    let r = [0, 0];
    for (const x of xs) {
      const out = ro.call(t(x));
      r = [decay * (r[0] as number) + (x[0] as number) * 1 + (x[1] as number) * 0.5, decay * (r[1] as number) - (x[0] as number) + (x[1] as number) * 2];
      out.mantissa.data.forEach((v, i) => expect(v).toBeCloseTo(r[i] as number, 5));
    }
    expect(() => new brainpy.LeakyRateReadout(2, 2)).toThrow(/dt/);
    expect(() => ro.call(t([1, 2, 3]))).toThrow(/ro: the input's last axis has 3 elements, the readout takes 2/);
    expect(() => ro.call(u.mV([1, 2]))).toThrow(/ro: the input must be dimensionless/);
    expect(() => environ.context({ dt: u.ms(1) }, () => new brainpy.LeakyRateReadout(2, 0, { name: 'bad' }))).toThrow(/bad: nOut must be a positive integer, got 0/);
  });

  it('checkpointed loops refuse a base below 2, and plain loops a base', async () => {
    const xs = t([1, 2, 3]);
    await expect(transform.checkpointedForLoop((x: Tensor) => x, xs, { base: 1 })).rejects.toThrow(/checkpointedForLoop: base must be an integer >= 2, got 1/);
    await expect(transform.checkpointedScan((c: Tensor, x: Tensor) => [c, x] as const, t([0]), xs, { base: 2.5 })).rejects.toThrow(/checkpointedScan: base must be an integer >= 2, got 2.5/);
    await expect(transform.forLoop((x: Tensor) => x, xs, { base: 4 } as never)).rejects.toThrow(/forLoop: 'base' is an option of the checkpointed loops/);
    expect([...(await transform.checkpointedForLoop((x: Tensor) => ops.mul(x, 2), xs, { base: 2 }) as Tensor).data]).toEqual([2, 4, 6]);
  });
});
