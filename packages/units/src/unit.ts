/**
 * Unit: a dimension, a power of ten relative to SI and a non-decimal factor. Values are never
 * normalised to SI; converting between units is one multiplication by `conversionTo`.
 */
import { DIMENSIONLESS, dimDiv, dimEq, dimIsZero, dimMul, dimName, dimPow, makeDim, type Dim } from './dimension.ts';
import { mismatch } from './errors.ts';

/** Exact power of ten for integer k (parsed, so 1e-3 is the nearest double to 0.001). */
export function pow10(k: number): number {
  return Number.isInteger(k) ? Number(`1e${k}`) : 10 ** k;
}

const registry = new Map<string, string>();
const keyOf = (dim: Dim, exponent: number, factor: number): string => `${dim.join(',')}|${exponent}|${factor}`;

/** The registered display name of (dim, exponent, factor), if any. The first registration wins. */
export function standardName(dim: Dim, exponent: number, factor: number): string | undefined {
  if (dimIsZero(dim) && exponent === 0 && factor === 1) return '1';
  return registry.get(keyOf(dim, exponent, factor));
}

/** Make `unit.name` the name products and quotients with the same scale resolve to. */
export function registerUnit(unit: Unit): void {
  const k = keyOf(unit.dim, unit.exponent, unit.factor);
  if (!registry.has(k)) registry.set(k, unit.name);
}

const compound = (name: string): boolean => /[*/^]/.test(name);
const wrap = (name: string, re: RegExp): string => (re.test(name) ? `(${name})` : name);

export class Unit {
  readonly dim: Dim;
  readonly exponent: number;
  readonly factor: number;
  readonly name: string;

  constructor(dim: readonly number[], exponent = 0, factor = 1, name?: string) {
    this.dim = makeDim(dim);
    this.exponent = exponent;
    this.factor = factor;
    this.name = name ?? standardName(this.dim, exponent, factor) ?? defaultName(this.dim, exponent, factor);
  }

  static readonly dimensionless: Unit = new Unit(DIMENSIONLESS, 0, 1, '1');

  get isDimensionless(): boolean {
    return dimIsZero(this.dim);
  }

  mul(o: Unit): Unit {
    const dim = dimMul(this.dim, o.dim);
    const exponent = this.exponent + o.exponent;
    const factor = this.factor * o.factor;
    const std = standardName(dim, exponent, factor);
    if (std !== undefined) return new Unit(dim, exponent, factor, std);
    if (isPlainOne(o)) return new Unit(dim, exponent, factor, this.name);
    if (isPlainOne(this)) return new Unit(dim, exponent, factor, o.name);
    const name = this.name === o.name ? `${wrap(this.name, /[*/^]/)}^2` : `${wrap(this.name, /\//)}*${wrap(o.name, /\//)}`;
    return new Unit(dim, exponent, factor, name);
  }

  div(o: Unit): Unit {
    const dim = dimDiv(this.dim, o.dim);
    const exponent = this.exponent - o.exponent;
    const factor = this.factor / o.factor;
    const std = standardName(dim, exponent, factor);
    if (std !== undefined) return new Unit(dim, exponent, factor, std);
    if (isPlainOne(o)) return new Unit(dim, exponent, factor, this.name);
    return new Unit(dim, exponent, factor, `${this.name}/${wrap(o.name, /[*/]/)}`);
  }

  pow(n: number): Unit {
    if (n === 1) return this;
    const dim = dimPow(this.dim, n);
    const exponent = this.exponent * n;
    const factor = this.factor ** n;
    const std = standardName(dim, exponent, factor);
    if (std !== undefined) return new Unit(dim, exponent, factor, std);
    if (isPlainOne(this)) return new Unit(dim, exponent, factor, '1');
    return new Unit(dim, exponent, factor, `${compound(this.name) ? `(${this.name})` : this.name}^${n}`);
  }

  /** Same dimension, exponent and factor (names and identity do not matter). */
  equals(o: Unit): boolean {
    return dimEq(this.dim, o.dim) && this.exponent === o.exponent && this.factor === o.factor;
  }

  sameDim(o: Unit): boolean {
    return dimEq(this.dim, o.dim);
  }

  /** m such that x [this] == x*m [to]. Throws UnitMismatchError when the dimensions differ. */
  conversionTo(to: Unit): number {
    if (!this.sameDim(to)) throw mismatch('convert', this, to, 'to');
    const scale = pow10(this.exponent - to.exponent);
    return this.factor === to.factor ? scale : scale * (this.factor / to.factor);
  }

  /** The SI-scaled unit of the same dimension (exponent 0, factor 1). */
  base(): Unit {
    return new Unit(this.dim, 0, 1);
  }

  toString(): string {
    return this.name;
  }
}

function isPlainOne(u: Unit): boolean {
  return u.isDimensionless && u.exponent === 0 && u.factor === 1;
}

function defaultName(dim: Dim, exponent: number, factor: number): string {
  const scale = (factor !== 1 ? `${factor}*` : '') + (exponent !== 0 ? `10^${exponent}` : '');
  const d = dimName(dim);
  if (!scale) return d;
  return d === '1' ? scale.replace(/\*$/, '') : `${scale}*${d}`;
}
