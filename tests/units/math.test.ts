import { describe, expect, it } from 'vitest';
import { Tensor } from '@spiketrace/compiler';
import * as u from '@spiketrace/units';

const vals = (t: Tensor): number[] => Array.from(t.data);

describe('u.math', () => {
  it('arange counts in double and stores f32 in the start unit', () => {
    const t = u.math.arange(u.ms(0), u.ms(200), u.ms(0.1));
    expect(t.shape).toEqual([2000]);
    expect(t.unit.name).toBe('ms');
    expect(t.mantissa.data).toBeInstanceOf(Float32Array);
    expect(vals(t.mantissa)[1999]).toBeCloseTo(199.9, 4);
    expect(vals(t.mantissa)[1]).toBeCloseTo(0.1, 6);
    const mixed = u.math.arange(u.ms(0), u.s(1), u.us(500));
    expect(mixed.shape).toEqual([2000]);
    expect(vals(mixed.mantissa)[3]).toBeCloseTo(1.5, 6);
    expect(vals(u.math.arange(0, 5).mantissa)).toEqual([0, 1, 2, 3, 4]);
    expect(vals(u.math.arange(5).mantissa)).toEqual([0, 1, 2, 3, 4]);
    expect(u.math.arange(0, u.mV(1), u.mV(0.25)).shape).toEqual([4]);
    expect(u.math.arange(u.ms(0), u.ms(1), u.ms(0.3)).shape).toEqual([4]);
  });

  it('zeros / ones / full / *Like', () => {
    const z = u.math.zeros([3], u.mV);
    expect(z.unit.name).toBe('mV');
    expect(vals(z.mantissa)).toEqual([0, 0, 0]);
    expect(u.math.ones([2, 2]).unit.name).toBe('1');
    const f = u.math.full([2], u.mV(-65));
    expect(vals(f.mantissa)).toEqual([-65, -65]);
    expect(f.unit.name).toBe('mV');
    expect(vals(u.math.full([2], 3).mantissa)).toEqual([3, 3]);
    const x = u.nS([1, 2, 3]);
    expect(u.math.zerosLike(x).unit.name).toBe('nS');
    expect(u.math.onesLike(x).shape).toEqual([3]);
    expect(vals(u.math.fullLike(x, u.mV(2)).mantissa)).toEqual([2, 2, 2]);
  });

  it('where selects and converts the false branch into the true branch unit', () => {
    const c = Tensor.fromArray([1, 0, 1], [3], 'bool');
    const r = u.math.where(c, u.mV([1, 2, 3]), u.V(-0.065)) as u.Quantity;
    expect(r.unit.name).toBe('mV');
    expect(vals(r.mantissa)[0]).toBe(1);
    expect(vals(r.mantissa)[1]).toBeCloseTo(-65, 4);
    expect(vals(r.mantissa)[2]).toBe(3);
    const z = u.math.where(c, 0, u.mV(5)) as u.Quantity;
    expect(z.unit.name).toBe('mV');
    expect(vals(z.mantissa)).toEqual([0, 5, 0]);
    const v = u.mV([-70, -40]);
    const spike = v.gt(u.mV(-50));
    const reset = u.math.where(spike, u.mV(-65), v) as u.Quantity;
    expect(vals(reset.mantissa)).toEqual([-70, -65]);
    const plain = u.math.where(c, 1, 2);
    expect(plain).toBeInstanceOf(Tensor);
  });

  it('unitless functions accept dimensionless quantities, tensors and numbers', () => {
    const r = u.math.exp(u.ms(-1).div(u.ms(10)));
    expect(r).toBeInstanceOf(Tensor);
    expect(r.item()).toBeCloseTo(Math.exp(-0.1), 6);
    // ms/s is folded to '1' before exp
    expect(u.math.exp(u.ms(1000).div(u.s(1))).item()).toBeCloseTo(Math.E, 5);
    expect(u.math.log(1).item()).toBe(0);
    expect(u.math.sigmoid(Tensor.scalar(0)).item()).toBeCloseTo(0.5, 6);
    expect(u.math.tanh(0).item()).toBe(0);
    expect(u.math.exprel(0).item()).toBeCloseTo(1, 6);
    expect(u.math.expm1(0).item()).toBe(0);
    expect(u.math.cos(0).item()).toBe(1);
  });

  it('sqrt, square, abs, sign', () => {
    const s = u.math.sqrt(u.mV(3).mul(u.mV(12)));
    expect(s.unit.name).toBe('mV');
    expect(s.item()).toBe(6);
    expect(u.math.square(u.mV(-3)).unit.name).toBe('mV^2');
    expect(u.math.square(u.mV(-3)).item()).toBe(9);
    expect(u.math.abs(u.mV(-3)).item()).toBe(3);
    const sg = u.math.sign(u.mV([-3, 0, 2]));
    expect(sg).toBeInstanceOf(Tensor);
    expect(vals(sg)).toEqual([-1, 0, 1]);
    expect(u.math.sqrt(Tensor.scalar(16)).item()).toBe(4);
  });

  it('maximum, minimum, clip in the left unit', () => {
    const mx = u.math.maximum(u.mV([-70, -40]), u.V(-0.05));
    expect(mx.unit.name).toBe('mV');
    expect(vals(mx.mantissa)[0]).toBeCloseTo(-50, 4);
    expect(vals(mx.mantissa)[1]).toBe(-40);
    expect(vals(u.math.minimum(u.mV([-70, -40]), u.mV(-50)).mantissa)).toEqual([-70, -50]);
    const c = u.math.clip(u.mV([-100, -60, 0]), u.mV(-80), u.V(-0.05));
    expect(vals(c.mantissa)[0]).toBe(-80);
    expect(vals(c.mantissa)[1]).toBe(-60);
    expect(vals(c.mantissa)[2]).toBeCloseTo(-50, 4);
  });

  it('add, subtract, multiply, divide follow the method rules', () => {
    expect(u.math.add(u.mV(1), u.V(1)).item()).toBe(1001);
    expect(u.math.add(0, u.mV(1)).unit.name).toBe('mV');
    expect(u.math.subtract(u.ms(2), u.us(500)).item()).toBeCloseTo(1.5, 6);
    expect(u.math.multiply(u.nS(2), u.mV(3)).unit.name).toBe('pA');
    expect(u.math.multiply(2, u.mV(3)).item()).toBe(6);
    expect(u.math.divide(u.mV(6), u.ms(3)).unit.name).toBe('mV/ms');
    const inv = u.math.divide(1, u.ms(4));
    expect(inv.unit.name).toBe('kHz');
    expect(inv.item()).toBe(0.25);
    expect(u.math.add(Tensor.scalar(1), 2)).toBeInstanceOf(Tensor);
  });

  it('reductions keep the unit', () => {
    const x = u.mV([[1, 2], [3, 4]]);
    expect(u.math.sum(x).item()).toBe(10);
    expect(u.math.mean(x, 0).shape).toEqual([2]);
    expect(vals(u.math.max(x, 1).mantissa)).toEqual([2, 4]);
    expect(u.math.min(x).unit.name).toBe('mV');
    expect(u.math.min(x, 0, true).shape).toEqual([1, 2]);
    expect(u.math.reshape(x, [4]).shape).toEqual([4]);
    expect(u.math.sum(Tensor.fromArray([1, 2]))).toBeInstanceOf(Tensor);
  });

  it('getUnit, getMantissa, maybeDecimal', () => {
    expect(u.getUnit(u.mV(1)).name).toBe('mV');
    expect(u.getUnit(3).name).toBe('1');
    expect(u.getMantissa(u.mV(2))).toBeInstanceOf(Tensor);
    expect(u.getMantissa(4)).toBe(4);
    const d = u.maybeDecimal(u.ms(4).div(u.ms(2)));
    expect(d).toBeInstanceOf(Tensor);
    expect((d as Tensor).item()).toBe(2);
    const m = u.mV(1);
    expect(u.maybeDecimal(m)).toBe(m);
  });

  it('units work as unit arguments everywhere', () => {
    expect(u.mV(1).toDecimal(u.uV).item()).toBe(1000);
    expect(u.math.zeros([3], u.mV).unit.equals(u.mV)).toBe(true);
    expect(u.q(2, u.mV).unit.equals(u.mV)).toBe(true);
    expect(u.ms(5).to(u.us).item()).toBe(5000);
    expect(u.mV(3).mul(u.ms).unit.name).toBe('mV*ms');
    expect(u.mV(6).div(u.ms).unit.name).toBe('mV/ms');
  });
});
