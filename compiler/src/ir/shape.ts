/** Shapes are plain readonly number arrays; [] is a scalar. NumPy broadcasting, right-aligned. */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeEq(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** The broadcast of several shapes, or null when they are incompatible. */
export function tryBroadcast(...shapes: Shape[]): number[] | null {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i] as number;
      const cur = out[o] as number;
      if (cur === 1) out[o] = d;
      else if (d !== 1 && d !== cur) return null;
    }
  }
  return out;
}

/** True when `small` broadcasts into `big` without changing `big`. */
export function broadcastsInto(small: Shape, big: Shape): boolean {
  const b = tryBroadcast(small, big);
  return b !== null && shapeEq(b, big);
}

export function stridesOf(shape: Shape): number[] {
  const st = new Array<number>(shape.length).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i] as number;
  }
  return st;
}

/**
 * Strides for reading an array of shape `src` while iterating over `out` (src broadcasts into out):
 * broadcast dimensions get stride 0. Length equals out.length.
 */
export function broadcastStrides(src: Shape, out: Shape): number[] {
  const st = stridesOf(src);
  const res = new Array<number>(out.length).fill(0);
  for (let i = 0; i < src.length; i++) {
    const o = out.length - src.length + i;
    res[o] = (src[i] as number) === 1 ? 0 : (st[i] as number);
  }
  return res;
}

/** Normalize possibly negative axes against a rank; throws on out-of-range axes. */
export function normAxes(axes: readonly number[] | undefined, rank: number): number[] {
  const all = axes ?? Array.from({ length: rank }, (_, i) => i);
  const res = all.map((a) => {
    const r = a < 0 ? a + rank : a;
    if (r < 0 || r >= rank) throw new RangeError(`axis ${a} is out of range for rank ${rank}`);
    return r;
  });
  return [...new Set(res)].sort((x, y) => x - y);
}
