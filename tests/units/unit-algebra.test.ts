import { describe, expect, it } from 'vitest';
import * as u from '@spiketrace/units';

describe('Unit algebra', () => {
  it('stores dimension, exponent and factor', () => {
    expect([...u.mV.dim]).toEqual([2, 1, -3, -1, 0, 0, 0]);
    expect(u.mV.exponent).toBe(-3);
    expect(u.mV.factor).toBe(1);
    expect(u.mV.name).toBe('mV');
    expect(u.Unit.dimensionless.name).toBe('1');
    expect(u.Unit.dimensionless.isDimensionless).toBe(true);
    expect(u.mV.isDimensionless).toBe(false);
    expect([...u.kg.dim]).toEqual([0, 1, 0, 0, 0, 0, 0]);
    expect(u.g.exponent).toBe(-3);
    expect(u.mM.exponent).toBe(0); // mol/L = 1e3 mol/m^3
    expect([...u.mM.dim]).toEqual([-3, 0, 0, 0, 0, 1, 0]);
  });

  it('resolves products and quotients to standard names', () => {
    expect(u.mA.mul(u.ohm).name).toBe('mV');
    expect(u.mS.mul(u.mV).name).toBe('uA');
    expect(u.nS.mul(u.mV).name).toBe('pA');
    expect(u.Unit.dimensionless.div(u.ms).name).toBe('kHz');
    expect(u.V.div(u.ohm).name).toBe('A');
    expect(u.nA.mul(u.Mohm).name).toBe('mV');
    expect(u.pF.div(u.nS).name).toBe('ms');
    expect(u.A.mul(u.s).name).toBe('C');
    expect(u.N.mul(u.m).name).toBe('J');
    expect(u.ohm.mul(u.S).name).toBe('1');
    expect(u.mA.mul(u.ohm).equals(u.mV)).toBe(true);
  });

  it('composes names it cannot resolve', () => {
    expect(u.mV.div(u.ms).name).toBe('mV/ms');
    expect(u.mV.pow(2).name).toBe('mV^2');
    expect(u.uF.div(u.cm2).name).toBe('uF/cm^2');
    expect(u.mV.div(u.ms).mul(u.mS).name).toBe('(mV/ms)*mS');
    expect(u.mV.div(u.ms.mul(u.mM)).name).toBe('mV/(ms*mM)');
    const w = u.mV.div(u.ms);
    expect([...w.dim]).toEqual([2, 1, -4, -1, 0, 0, 0]);
    expect(w.exponent).toBe(0);
  });

  it('pow multiplies exponents and dims; sqrt inverts a square', () => {
    const a = u.cm.pow(2);
    expect(a.exponent).toBe(-4);
    expect(a.name).toBe('cm^2');
    expect(a.equals(u.cm2)).toBe(true);
    expect(u.mV.pow(2).pow(0.5).equals(u.mV)).toBe(true);
    expect(u.ms.pow(-1).name).toBe('kHz');
    expect(u.mV.pow(0).name).toBe('1');
  });

  it('equals compares scale, not identity; sameDim ignores scale', () => {
    expect(u.mV.equals(u.V)).toBe(false);
    expect(u.mV.sameDim(u.V)).toBe(true);
    expect(u.mV.sameDim(u.ms)).toBe(false);
    expect(new u.Unit(u.mV.dim, -3).equals(u.mV)).toBe(true);
    expect(new u.Unit(u.mV.dim, -3).name).toBe('mV');
  });

  it('conversion factors are exact powers of ten for decimal units', () => {
    expect(u.mV.conversionTo(u.V)).toBe(0.001);
    expect(u.V.conversionTo(u.mV)).toBe(1000);
    expect(u.ms.conversionTo(u.us)).toBe(1000);
    expect(u.nS.conversionTo(u.uS)).toBe(0.001);
    expect(u.pA.conversionTo(u.nA)).toBe(0.001);
    expect(u.mM.conversionTo(u.M)).toBe(0.001);
    expect(u.mV.conversionTo(u.mV)).toBe(1);
    expect(u.minute.conversionTo(u.s)).toBe(60);
    expect(u.ms.conversionTo(u.minute)).toBeCloseTo(1 / 60000, 15);
  });

  it('conversionTo throws UnitMismatchError naming both units', () => {
    expect(() => u.mV.conversionTo(u.ms)).toThrow(u.UnitMismatchError);
    expect(() => u.mV.conversionTo(u.ms)).toThrow(/mV.*ms/);
  });

  it('unit constants are callable and are Units', () => {
    expect(u.mV).toBeInstanceOf(u.Unit);
    expect(typeof u.mV).toBe('function');
    const v = u.mV(-65);
    expect(v).toBeInstanceOf(u.Quantity);
    expect(v.unit.equals(u.mV)).toBe(true);
    expect(v.item()).toBe(-65);
    expect(u.mV([1, 2, 3]).shape).toEqual([3]);
    expect(u.ms(0.1).item()).toBeCloseTo(0.1, 7);
    expect(`${u.mV}`).toBe('mV');
    expect(u.mV.mul(u.ms).name).toBe('mV*ms');
    expect(u.mV.conversionTo(u.uV)).toBe(1000);
    expect(u.volt).toBe(u.V);
    expect(u.siemens).toBe(u.S);
  });
});
