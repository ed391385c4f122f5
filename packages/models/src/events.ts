/**
 * Event-driven propagation: `eventCount(spikes, indices, nPost)` counts, for each post neuron, the
 * spiking pre neurons that target it (with multiplicity: a pre neuron listing a target twice
 * counts twice). spikes: [..., nPre] bool or f32 (non-zero = spike); indices: a concrete i32
 * [nPre, k]; result: i32 [..., nPost].
 *
 * The compiler's primitive `ops.eventCount` does this on the GPU (only spiking rows cost work).
 * Until it exists this falls back to a dense formulation with the ops that do exist: a host-built
 * count matrix C[nPre, nPost] and sum(spikes[..., :, None] * C, axis=-2). The fallback is exact
 * (small integers in f32) but costs nPre * nPost per step.
 */
import { ops, Tensor } from '@spiketrace/compiler';

type EventCountFn = (spikes: Tensor, indices: Tensor, nPost: number) => Tensor;

/** The compiler's primitive, when it has landed. */
export function nativeEventCount(): EventCountFn | undefined {
  return (ops as unknown as { eventCount?: EventCountFn }).eventCount;
}

const denseCache = new WeakMap<Tensor, Map<number, Tensor>>();

function countMatrix(indices: Tensor, nPost: number): Tensor {
  let byPost = denseCache.get(indices);
  if (!byPost) denseCache.set(indices, (byPost = new Map()));
  let c = byPost.get(nPost);
  if (!c) {
    const [nPre, k] = indices.shape as [number, number];
    const idx = indices.data;
    const data = new Float32Array(nPre * nPost);
    for (let i = 0; i < nPre; i++) for (let j = 0; j < k; j++) data[i * nPost + (idx[i * k + j] as number)]! += 1;
    c = Tensor.fromArray(data, [nPre, nPost]);
    byPost.set(nPost, c);
  }
  return c;
}

export function eventCount(spikes: Tensor, indices: Tensor, nPost: number): Tensor {
  const native = nativeEventCount();
  if (native) return native(spikes, indices, nPost);
  const nPre = indices.shape[0] as number;
  const s = ops.cast(ops.compare('ne', spikes, 0), 'f32');
  const col = ops.reshape(s, [...spikes.shape.slice(0, -1), nPre, 1]);
  return ops.cast(ops.reduce('sum', ops.mul(col, countMatrix(indices, nPost)), -2), 'i32');
}
