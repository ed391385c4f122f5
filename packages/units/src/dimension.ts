/** Dimensions: the 7 SI base exponents [m, kg, s, A, K, mol, cd], as plain readonly arrays. */

export type Dim = readonly number[];

export const BASE_SYMBOLS = ['m', 'kg', 's', 'A', 'K', 'mol', 'cd'] as const;

export const DIMENSIONLESS: Dim = Object.freeze([0, 0, 0, 0, 0, 0, 0]);

export function makeDim(d: readonly number[]): Dim {
  if (d.length !== 7) throw new RangeError(`a dimension has 7 SI exponents, got ${d.length}`);
  return Object.freeze(d.map((x) => (Object.is(x, -0) ? 0 : x)));
}

export const dimMul = (a: Dim, b: Dim): Dim => makeDim(a.map((x, i) => x + (b[i] as number)));
export const dimDiv = (a: Dim, b: Dim): Dim => makeDim(a.map((x, i) => x - (b[i] as number)));
export const dimPow = (a: Dim, n: number): Dim => makeDim(a.map((x) => x * n));
export const dimEq = (a: Dim, b: Dim): boolean => a.every((x, i) => x === b[i]);
export const dimIsZero = (a: Dim): boolean => a.every((x) => x === 0);

/** SI spelling of a dimension, e.g. 'm^2*kg*s^-3*A^-1'; '1' when dimensionless. */
export function dimName(d: Dim): string {
  const parts = d.flatMap((x, i) => (x === 0 ? [] : [x === 1 ? BASE_SYMBOLS[i] : `${BASE_SYMBOLS[i]}^${x}`]));
  return parts.length ? parts.join('*') : '1';
}
