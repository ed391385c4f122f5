/**
 * Event-driven propagation: `eventCount(spikes, indices, nPost)` counts, for each post neuron, the
 * spiking pre neurons that target it (with multiplicity: a pre neuron listing a target twice
 * counts twice). spikes: [..., nPre] bool or f32 (non-zero = spike); indices: a concrete i32
 * [nPre, k]; result: i32 [..., nPost]; with `opts.weights` (i32 [nPre, k], fixed point: fixed-point.ts)
 * each delivered spike adds its synapse's weight instead of 1. The `event_count` primitive (compiler/src/primitives/event.ts)
 * does it on the GPU, where only spiking rows cost work; its adjoint gathers the targets'
 * cotangents back to the spiking sources.
 */
import { ops, type Tensor } from '@spiketrace/compiler';

export function eventCount(spikes: Tensor, indices: Tensor, nPost: number, opts: ops.EventCountOptions = {}): Tensor {
  return ops.eventCount(spikes, indices, nPost, opts);
}
