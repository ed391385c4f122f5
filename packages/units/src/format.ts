/** NumPy-style printing of concrete arrays: "-65.", "[-65. -60.]", "[[1. 2.]\n [3. 4.]]". */
import type { DType, HostArray } from '@spiketrace/compiler';

const THRESHOLD = 1000;
const EDGE = 3;

/** The shortest decimal that reads back as the same float32 (so 0.1f prints as 0.1). */
export function shortestF32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  for (let p = 1; p <= 9; p++) {
    const n = Number(v.toPrecision(p));
    if (Math.fround(n) === v) return n;
  }
  return v;
}

function fmtElem(v: number, dtype: DType): string {
  if (dtype === 'bool') return v ? 'True' : 'False';
  if (dtype !== 'f32') return String(v);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Object.is(v, -0)) return '-0.';
  const s = String(shortestF32(v));
  return /[.e]/.test(s) ? s : `${s}.`;
}

/** Pad to a common layout: integer parts right-aligned, fraction parts left-aligned. */
function align(items: string[], dtype: DType): string[] {
  if (dtype !== 'f32') {
    const w = Math.max(0, ...items.map((s) => s.length));
    return items.map((s) => s.padStart(w));
  }
  const split = items.map((s) => {
    const i = s.indexOf('.');
    return i < 0 || s.includes('e') ? [s, ''] : [s.slice(0, i), s.slice(i)];
  });
  const wi = Math.max(0, ...split.map(([a]) => a!.length));
  const wf = Math.max(0, ...split.map(([, b]) => b!.length));
  return split.map(([a, b]) => a!.padStart(wi) + b!.padEnd(wf));
}

export function formatHost(h: HostArray): string {
  const { shape, dtype } = h;
  const data = h.data;
  if (shape.length === 0) return fmtElem(data[0] as number, dtype);
  const summarize = data.length > THRESHOLD;
  const strides: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i] as number;
  }
  const indices = (n: number): (number | null)[] =>
    summarize && n > 2 * EDGE ? [...range(0, EDGE), null, ...range(n - EDGE, n)] : range(0, n);

  // collect the printed leaf elements first so they can share one width
  const leaves: string[] = [];
  const collect = (axis: number, off: number): void => {
    for (const i of indices(shape[axis] as number)) {
      if (i === null) continue;
      if (axis === shape.length - 1) leaves.push(fmtElem(data[off + i] as number, dtype));
      else collect(axis + 1, off + i * (strides[axis] as number));
    }
  };
  collect(0, 0);
  const aligned = align(leaves, dtype);
  let k = 0;
  const render = (axis: number, off: number): string => {
    const parts: string[] = [];
    for (const i of indices(shape[axis] as number)) {
      if (i === null) parts.push('...');
      else if (axis === shape.length - 1) parts.push(aligned[k++] as string);
      else parts.push(render(axis + 1, off + i * (strides[axis] as number)));
    }
    const sep = axis === shape.length - 1 ? ' ' : '\n'.repeat(shape.length - axis - 1) + ' '.repeat(axis + 1);
    return `[${parts.join(sep)}]`;
  };
  return render(0, 0);
}

function range(a: number, b: number): number[] {
  return Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
}
