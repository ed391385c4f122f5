import { describe, expect, it } from 'vitest';
import { Tensor } from '@spiketrace/compiler';
import * as u from '@spiketrace/units';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('unit errors', () => {
  it('add / sub of different dimensions names both units', () => {
    const e = errorOf(() => u.mV(1).add(u.ms(1)));
    expect(e).toBeInstanceOf(u.UnitMismatchError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('UnitMismatchError');
    expect(e.message).toBe('cannot add mV and ms: units do not match (mV != ms)');
    const s = errorOf(() => u.nS(1).sub(u.nA(1)));
    expect(s.message).toMatch(/subtract nS and nA.*\(nS != nA\)/);
  });

  it('comparisons of different dimensions', () => {
    const e = errorOf(() => u.mV(1).gt(u.ms(1)));
    expect(e).toBeInstanceOf(u.UnitMismatchError);
    expect(e.message).toMatch(/compare mV with ms/);
    expect(e.message).toMatch(/mV != ms/);
  });

  it('unitless functions reject dimensional input', () => {
    for (const f of [u.math.exp, u.math.log, u.math.sin, u.math.exprel, u.math.tanh, u.math.sigmoid]) {
      const e = errorOf(() => f(u.mV(1)));
      expect(e).toBeInstanceOf(u.UnitMismatchError);
      expect(e.message).toMatch(/requires a dimensionless input/);
      expect(e.message).toMatch(/mV/);
    }
  });

  it('toDecimal / to into a different dimension', () => {
    const e = errorOf(() => u.mV(1).toDecimal(u.ms));
    expect(e).toBeInstanceOf(u.UnitMismatchError);
    expect(e.message).toMatch(/convert mV to ms/);
    expect(errorOf(() => u.mV(1).toDecimal()).message).toMatch(/mV.*1/);
    expect(errorOf(() => u.mV(1).to(u.nS)).message).toMatch(/mV != nS/);
  });

  it('a nonzero number or a plain Tensor does not match a dimensional quantity', () => {
    const e = errorOf(() => u.mV(1).add(3));
    expect(e).toBeInstanceOf(u.UnitMismatchError);
    expect(e.message).toMatch(/cannot add mV and 1/);
    expect(e.message).toMatch(/only a literal 0/);
    expect(errorOf(() => u.mV(1).lt(-70)).message).toMatch(/compare mV with 1/);
    const t = errorOf(() => u.mV(1).add(Tensor.scalar(0)));
    expect(t.message).toMatch(/plain Tensor counts as dimensionless/);
    expect(errorOf(() => u.math.add(5, u.mV(1))).message).toMatch(/cannot add 1 and mV/);
  });

  it('where with branches of different dimensions', () => {
    const c = Tensor.fromArray([1, 0], [2], 'bool');
    const e = errorOf(() => u.math.where(c, u.mV([1, 2]), u.ms([1, 2])));
    expect(e).toBeInstanceOf(u.UnitMismatchError);
    expect(e.message).toMatch(/mV and ms/);
    expect(e.message).toMatch(/where/);
    expect(errorOf(() => u.math.where(u.mV([1, 1]), u.mV(1), u.mV(2))).message).toMatch(/dimensionless/);
  });

  it('adding a bare Unit is a TypeError', () => {
    expect(() => u.mV(1).add(u.mV as unknown as number)).toThrow(TypeError);
  });

  it('clip, maximum and arange check dimensions', () => {
    expect(() => u.math.clip(u.mV(1), u.ms(0), u.ms(2))).toThrow(/clip mV to bounds in ms/);
    expect(() => u.math.maximum(u.mV(1), u.nA(1))).toThrow(/mV != nA/);
    expect(() => u.math.arange(u.ms(0), u.mV(1), u.ms(0.1))).toThrow(u.UnitMismatchError);
  });
});
