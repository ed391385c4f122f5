/** WGSL index arithmetic for broadcasting: element coordinates over an iteration shape. */
import { broadcastStrides, shapeEq, sizeOf, stridesOf, type Shape } from '../ir/shape.ts';

/** Lines computing coordinate variables c0..c{r-1} of flat index `i` over `iter`. */
export function coordLines(iter: Shape): string[] {
  const st = stridesOf(iter);
  return iter.map((d, k) => `let c${k} = (i / ${st[k]}u) % ${d}u;`);
}

/** Flat index into an array of shape `s` (broadcast into `iter`) for the current invocation. */
export function indexExpr(s: Shape, iter: Shape): string {
  if (shapeEq(s, iter)) return 'i';
  if (sizeOf(s) === 1) return '0u';
  const st = broadcastStrides(s, iter);
  const terms = st.map((v, k) => (v === 0 ? '' : v === 1 ? `c${k}` : `c${k} * ${v}u`)).filter(Boolean);
  return terms.length ? terms.join(' + ') : '0u';
}

/**
 * Condition under which this invocation is the one that stores an element of shape `s`:
 * its coordinates along every dimension `s` broadcasts over are zero. 'true' when s == iter.
 */
export function canonicalExpr(s: Shape, iter: Shape): string {
  if (shapeEq(s, iter)) return 'true';
  const off = iter.length - s.length;
  const conds: string[] = [];
  iter.forEach((d, k) => {
    const sd = k < off ? 1 : (s[k - off] as number);
    if (sd === 1 && d !== 1) conds.push(`c${k} == 0u`);
  });
  return conds.length ? conds.join(' && ') : 'true';
}

export function needsCoords(shapes: readonly Shape[], iter: Shape): boolean {
  return shapes.some((s) => !shapeEq(s, iter) && sizeOf(s) !== 1);
}
