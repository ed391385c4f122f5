/**
 * pack_bits: a spike raster as a bitfield. x [..., n] (bool, or f32/i32 where nonzero means set)
 * -> u32 [..., ceil(n / 32)], bit j of word w = (x[..., 32w + j] != 0). A recorded raster of
 * 4000 neurons is 125 words per step (500 bytes instead of 16 000 as f32), so a 10 000-step run
 * reads back 5 MB. Global: each output word reads 32 inputs (its kernel is in emit-kernel.ts).
 */
import { allocArray } from '../ir/dtype.ts';
import type { Aval } from '../ir/node.ts';
import { sizeOf } from '../ir/shape.ts';
import type { HostArray, Primitive } from './types.ts';

export function packedShape(shape: readonly number[]): number[] {
  const n = shape[shape.length - 1] as number;
  return [...shape.slice(0, -1), Math.ceil(n / 32)];
}

export const packBits: Primitive<'pack_bits'> = {
  op: 'pack_bits', kind: 'global', vjp: () => [null], // a u32 bitfield: piecewise constant
  infer([x]) {
    const a = x as Aval;
    if (a.shape.length === 0) throw new Error('pack_bits needs at least one axis (it packs the last one)');
    if (a.dtype === 'u32') throw new Error('pack_bits takes bool, f32 or i32 values, got u32');
    return { dtype: 'u32', shape: packedShape(a.shape) };
  },
  evalCpu([x], _arg, out) {
    const src = x as HostArray;
    const n = src.shape[src.shape.length - 1] as number;
    const words = out.shape[out.shape.length - 1] as number;
    const rows = sizeOf(src.shape) / Math.max(1, n);
    const data = allocArray('u32', sizeOf(out.shape));
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        if (src.data[r * n + j] !== 0) data[r * words + (j >> 5)] = ((data[r * words + (j >> 5)] as number) | (1 << (j & 31))) >>> 0;
      }
    }
    return { dtype: 'u32', shape: out.shape, data };
  },
  emitWgsl() {
    throw new Error('pack_bits is a global op: emit-kernel.ts emits its kernel');
  },
};
