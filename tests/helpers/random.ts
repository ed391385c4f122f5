/** Seeded randomness for differential tests: the same seed gives the same graphs and data everywhere. */

export type Rng = () => number;

/** mulberry32: a small, fast, well-mixed 32-bit generator; returns floats in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)] as T;
}

/** Uniform float32 values in [lo, hi) whose magnitude is at least `minAbs` (so never zero). */
export function uniform(rng: Rng, n: number, lo: number, hi: number, minAbs = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    do v = Math.fround(lo + (hi - lo) * rng());
    while (Math.abs(v) < minAbs || v === 0);
    out[i] = v;
  }
  return out;
}

/** Non-zero multiples of `step` in [-lim, lim]: exactly representable, and ties/equalities do occur. */
export function grid(rng: Rng, n: number, lim = 4, step = 0.25): Float32Array {
  const k = Math.round(lim / step);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let j = 0;
    while (j === 0) j = randInt(rng, -k, k);
    out[i] = j * step;
  }
  return out;
}

/** Non-zero integers in [lo, hi]. */
export function ints(rng: Rng, n: number, lo: number, hi: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    while (v === 0) v = randInt(rng, lo, hi);
    out[i] = v;
  }
  return out;
}

export function bools(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng() < 0.5 ? 1 : 0;
  return out;
}
