/**
 * rand_uniform: counter-based uniform random numbers in [0, 1), the same stream on the CPU and in
 * WGSL. The value of element i at step t is a hash of (seed, stream, t, i): no generator state to
 * carry, nothing to synchronize, and every lowering gives the same bits (the reference is the
 * oracle, as for every op). Each call inside a traced step gets its own stream number, so two
 * draws in one step are independent; the step index makes every step draw afresh.
 * The hash is "lowbias32" (two multiply-xorshift rounds), chained over the four counters, each
 * XORed with a constant of its own first: lowbias32(0) is 0, so without them seed 0, stream 0, step
 * 0, element 0 always drew exactly 0 (a PoissonEncoder's first neuron always spiked at step 0). The
 * top 24 bits become the float, which is exact in f32, so CPU and GPU agree bit for bit.
 */
import { allocArray } from '../ir/dtype.ts';
import { sizeOf } from '../ir/shape.ts';
import type { Primitive } from './types.ts';

function lowbias32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

// one constant per counter (the 32-bit golden ratio and murmur3's finalizer constants)
const K_ELEMENT = 0x9e3779b9, K_STEP = 0x85ebca6b, K_STREAM = 0xc2b2ae35, K_SEED = 0x27d4eb2f;

export function randBits(seed: number, stream: number, step: number, i: number): number {
  const h = lowbias32((i ^ K_ELEMENT) >>> 0);
  const ht = lowbias32((step ^ K_STEP ^ h) >>> 0);
  const hs = lowbias32((stream ^ K_STREAM ^ ht) >>> 0);
  return lowbias32((seed ^ K_SEED ^ hs) >>> 0);
}

export function randUniformRef(seed: number, stream: number, step: number, i: number): number {
  return (randBits(seed, stream, step, i) >>> 8) * 2 ** -24;
}

export const WGSL_RAND = `fn st_lowbias32(v: u32) -> u32 {
  var x = v;
  x = x ^ (x >> 16u); x = x * 0x7feb352du; x = x ^ (x >> 15u); x = x * 0x846ca68bu;
  return x ^ (x >> 16u);
}
fn st_rand(seed: u32, stream: u32, t: u32, i: u32) -> f32 {
  let h = st_lowbias32(seed ^ 0x27d4eb2fu ^ st_lowbias32(stream ^ 0xc2b2ae35u ^ st_lowbias32(t ^ 0x85ebca6bu ^ st_lowbias32(i ^ 0x9e3779b9u))));
  return f32(h >> 8u) * (1.0 / 16777216.0);
}`;

export const randUniform: Primitive<'rand_uniform'> = {
  op: 'rand_uniform', kind: 'source', vjp: () => [], // no operands: nothing to propagate
  infer() {
    throw new Error('rand_uniform nodes are built with an explicit shape (ops.randUniform)');
  },
  evalCpu(_srcs, arg, out, step = 0) {
    const data = allocArray('f32', sizeOf(out.shape));
    for (let i = 0; i < data.length; i++) data[i] = randUniformRef(arg.seed >>> 0, arg.stream >>> 0, step >>> 0, i);
    return { dtype: 'f32', shape: out.shape, data };
  },
  // the element index and the step come from the kernel (emit-kernel.ts); see WGSL_RAND
  emitWgsl(args, arg) {
    return `st_rand(${arg.seed >>> 0}u, ${arg.stream >>> 0}u, t, ${args[0] ?? 'i'})`;
  },
};
