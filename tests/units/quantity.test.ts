import { describe, expect, it } from 'vitest';
import { Tensor, Trace } from '@spiketrace/compiler';
import * as u from '@spiketrace/units';

const vals = (t: Tensor): number[] => Array.from(t.data);

describe('Quantity arithmetic', () => {
  it('add/sub convert the right operand into the left unit', () => {
    const a = u.mV([1, 2]).add(u.V(0.5));
    expect(a.unit.equals(u.mV)).toBe(true);
    expect(vals(a.mantissa)).toEqual([501, 502]);
    const b = u.V(1).sub(u.mV(250));
    expect(b.unit.name).toBe('V');
    expect(b.item()).toBeCloseTo(0.75, 6);
    const c = u.ms(1).add(u.us(500));
    expect(c.item()).toBeCloseTo(1.5, 6);
  });

  it('a literal 0 matches any unit; a number matches dimensionless', () => {
    expect(u.mV(3).add(0).item()).toBe(3);
    expect(u.mV(3).sub(0).unit.name).toBe('mV');
    expect(u.dimensionless(2).add(3).item()).toBe(5);
    expect(u.mV(3).gt(0).item()).toBe(1);
  });

  it('mul/div combine units', () => {
    const i = u.nS(2).mul(u.mV(-10));
    expect(i.unit.name).toBe('pA');
    expect(i.item()).toBe(-20);
    const r = u.mV(10).div(u.ms(2));
    expect(r.unit.name).toBe('mV/ms');
    expect(r.item()).toBe(5);
    expect(u.mV(3).mul(2).unit.name).toBe('mV');
    expect(u.mV(3).mul(2).item()).toBe(6);
    expect(u.mV(3).mul(Tensor.fromArray([1, 2])).shape).toEqual([2]);
    expect(u.mA(2).mul(u.kohm(3)).unit.name).toBe('V');
    expect(u.mA(2).mul(u.kohm(3)).item()).toBe(6);
  });

  it('a dimensionless result is normalized to unit 1', () => {
    const x = u.ms(5).div(u.s(2));
    expect(x.unit.name).toBe('1');
    expect(x.unit.equals(u.Unit.dimensionless)).toBe(true);
    expect(x.item()).toBeCloseTo(0.0025, 8);
    const y = u.ms(4).mul(u.kHz(2));
    expect(y.unit.name).toBe('1');
    expect(y.item()).toBe(8);
  });

  it('neg, abs, pow, sqrt', () => {
    expect(u.mV(-3).neg().item()).toBe(3);
    expect(u.mV(-3).abs().item()).toBe(3);
    const p = u.mV(-3).pow(2);
    expect(p.unit.name).toBe('mV^2');
    expect(p.item()).toBe(9); // no NaN for a negative base
    expect(u.mV(-2).pow(3).item()).toBe(-8);
    expect(u.ms(4).pow(-1).unit.name).toBe('kHz');
    expect(u.ms(4).pow(-1).item()).toBe(0.25);
    const s = u.mV(4).mul(u.mV(4)).sqrt();
    expect(s.unit.name).toBe('mV');
    expect(s.item()).toBe(4);
    // a fractional power of an odd exponent is taken in SI
    const r = u.mV(4).sqrt();
    expect(r.unit.exponent).toBe(0);
    expect(r.item()).toBeCloseTo(Math.sqrt(0.004), 6);
  });

  it('comparisons convert into the left unit and return bool tensors', () => {
    const c = u.mV([-70, -50, -40]).gt(u.V(-0.055));
    expect(c.dtype).toBe('bool');
    expect(vals(c)).toEqual([0, 1, 1]);
    expect(vals(u.ms([1, 2]).le(u.us(1500)))).toEqual([1, 0]);
    expect(vals(u.mV([1, 2]).eq(u.mV(2)))).toEqual([0, 1]);
    expect(vals(u.mV([1, 2]).ne(u.mV(2)))).toEqual([1, 0]);
    expect(vals(u.mV([1, 2]).lt(u.mV(2)))).toEqual([1, 0]);
    expect(vals(u.mV([1, 2]).ge(u.mV(2)))).toEqual([0, 1]);
  });

  it('to / toDecimal convert', () => {
    const v = u.mV([-65, 20]);
    expect(v.to(u.V).unit.name).toBe('V');
    const d = v.toDecimal(u.V);
    expect(d.dtype).toBe('f32');
    expect(d.data).toBeInstanceOf(Float32Array);
    expect(vals(d)[0]).toBeCloseTo(-0.065, 7);
    expect(vals(d)[1]).toBeCloseTo(0.02, 7);
    expect(vals(v.toDecimal(u.mV))).toEqual([-65, 20]);
    expect(u.ms(5).div(u.ms(2)).toDecimal().item()).toBe(2.5);
    expect(u.q(Tensor.fromArray([1, 2], [2], 'i32'), u.ms).toDecimal(u.ms).dtype).toBe('f32');
  });

  it('reductions and reshape keep the unit', () => {
    const x = u.mV([[1, 2, 3], [4, 5, 6]]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.sum().item()).toBe(21);
    expect(vals(x.sum(0).mantissa)).toEqual([5, 7, 9]);
    expect(x.sum(1, true).shape).toEqual([2, 1]);
    expect(x.mean().item()).toBe(3.5);
    expect(x.max().item()).toBe(6);
    expect(x.min(1).unit.name).toBe('mV');
    expect(vals(x.min(1).mantissa)).toEqual([1, 4]);
    expect(x.reshape([3, 2]).shape).toEqual([3, 2]);
  });

  it('q builds quantities from numbers, nested arrays, tensors and quantities', () => {
    expect(u.q(3).unit.name).toBe('1');
    expect(u.q([[1, 2]], u.ms).shape).toEqual([1, 2]);
    expect(u.q(Tensor.scalar(2), u.nS).item()).toBe(2);
    expect(u.q(u.mV(1500), u.V).item()).toBe(1.5);
    expect(u.isQuantity(u.mV(1))).toBe(true);
    expect(u.isQuantity(Tensor.scalar(1))).toBe(false);
    expect(() => u.q([[1, 2], [3]], u.ms)).toThrow(/ragged/);
  });
});

describe('Quantity printing', () => {
  it('formats like numpy/brainunit', () => {
    expect(u.mV(-65).toString()).toBe('-65. mV');
    expect(u.mV([-65, -60]).toString()).toBe('[-65. -60.] mV');
    expect(u.ms(3).toString()).toBe('3. ms');
    expect(u.ms(0.1).toString()).toBe('0.1 ms');
    expect(u.mV([1.5, -65, 2]).toString()).toBe('[  1.5 -65.    2. ] mV');
    expect(u.nS([[1, 2], [3, 4]]).toString()).toBe('[[1. 2.]\n [3. 4.]] nS');
    expect(u.q(2.5).toString()).toBe('2.5');
    expect(String(u.ms(5).div(u.ms(2)))).toBe('2.5');
    expect(u.math.arange(u.ms(0), u.ms(2000), u.ms(1)).toString()).toBe('[   0.    1.    2. ... 1997. 1998. 1999.] ms');
  });
});

describe('traced quantities', () => {
  it('fold units into constants and print symbolically', () => {
    const tr = new Trace('units-test');
    tr.run(() => {
      const x = tr.input({ kind: 'arg', index: 0 }, { dtype: 'f32', shape: [2, 3] });
      const v = u.q(x, u.mV);
      expect(v.isTraced).toBe(true);
      expect(v.toString()).toBe('Quantity<f32[2, 3]> mV');
      const n0 = tr.nodes.length;
      const w = v.add(u.V(0.01)).mul(u.nS(2));
      expect(w.unit.name).toBe('pA');
      expect(w.isTraced).toBe(true);
      const d = w.toDecimal(u.nA);
      expect(d.isTraced).toBe(true);
      expect(d.shape).toEqual([2, 3]);
      expect(tr.nodes.length).toBeGreaterThan(n0);
      // same unit: no conversion node
      const before = tr.nodes.length;
      const same = v.toDecimal(u.mV);
      expect(same).toBe(v.mantissa);
      expect(tr.nodes.length).toBe(before);
      expect(v.gt(u.mV(-50)).dtype).toBe('bool');
      expect(() => v.add(u.ms(1))).toThrow(u.UnitMismatchError);
      const s = u.math.exp(v.div(u.mV(10)));
      expect(s.isTraced).toBe(true);
    });
  });
});
