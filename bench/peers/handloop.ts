/**
 * The hand-written JavaScript baseline: Float32Array state, time-outer / neuron-inner loop.
 *
 * It follows the op order of Spiketrace's optimized LIF graph (see `graphsOf(step)`), one
 * f32 rounding per op, so V and the spike counts match the compiled kernels bit for bit:
 *   spk_prev = ((V - -50) / 15 >= 0)            V1 = V - (V - -65) * spk_prev
 *   V2 = V1 + (((-V1 + -65) + 20) / 10) * 0.09950166   spk = ((V2 - -50) / 15 >= 0); count += spk
 * Two forms: `strict` rounds every temporary with Math.fround (exact f32 semantics, the
 * reference); `f64` keeps temporaries in f64 and only stores f32 (what one would write first).
 */
export interface LifOut {
  V: Float32Array;
  count: Float32Array;
}

/** exp-Euler factor dt * exprel(-dt / tau) for dt = 0.1 ms, tau = 10 ms, as the graph's f32 constant. */
export const EXP_EULER = Math.fround(0.09950166195631027);

export function handLoopStrict(N: number, T: number): LifOut {
  const f = Math.fround;
  const V = new Float32Array(N).fill(-65);
  const count = new Float32Array(N);
  const K = EXP_EULER;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < N; i++) {
      const v = V[i] as number;
      const sp = f(f(v + 50) / 15) >= 0 ? 1 : 0;
      const v1 = f(v - f(f(v + 65) * sp));
      const v2 = f(v1 + f(f(f(f(-v1 - 65) + 20) / 10) * K));
      V[i] = v2;
      count[i] = (count[i] as number) + (f(f(v2 + 50) / 15) >= 0 ? 1 : 0);
    }
  }
  return { V, count };
}

export function handLoopF64(N: number, T: number): LifOut {
  const V = new Float32Array(N).fill(-65);
  const count = new Float32Array(N);
  const K = EXP_EULER;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < N; i++) {
      const v = V[i] as number;
      const sp = (v + 50) / 15 >= 0 ? 1 : 0;
      const v1 = v - (v + 65) * sp;
      const v2 = Math.fround(v1 + ((-v1 - 65 + 20) / 10) * K);
      V[i] = v2;
      count[i] = (count[i] as number) + ((v2 + 50) / 15 >= 0 ? 1 : 0);
    }
  }
  return { V, count };
}
