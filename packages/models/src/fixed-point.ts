/**
 * Per-synapse weights as 32-bit fixed point, for event_count's integer atomics (WGSL has no float
 * atomics; compiler/src/primitives/event.ts says why integers). A weight w becomes round(w * 2^e);
 * the delivered sum is cast to f32 and multiplied by 2^-e (exact: a power of two).
 *
 * e is the largest exponent for which no post neuron's sum can overflow, whatever spikes: the sum
 * of |round(w * 2^e)| over all synapses into any one target stays <= 2^31 - 1. So the rounding of
 * one weight is at most 2^-(e+1) < B / (2^31 - fan-in / 2), with B the largest sum of |w| into one
 * target: for 80 inputs of similar weights that is ~4e-8 of a weight, below f32's own rounding of
 * the weight (6e-8). Weights so small that 2^-e would leave f32's normal range (e > 126) round
 * more coarsely. Integer
 * sums do not depend on the order the atomics land in, so the result is exact, the same on the CPU
 * reference and on every GPU and lowering.
 */

import { maxFanIn, roundHalfEven } from '@spiketrace/compiler';

/** Largest binary exponent a scale 2^-e may have and stay a normal f32. */
const MAX_EXPONENT = 126;
const I32_MAX = 2 ** 31 - 1;

export interface FixedPointWeights {
  /** round(w * 2^exponent), one per synapse, row-major [nPre, k] like the indices. */
  readonly ints: Int32Array;
  readonly exponent: number;
  /** 2^-exponent: multiply a delivered sum by it to get the weight's unit back. */
  readonly scale: number;
}

/**
 * Quantize `weights` (one per synapse, aligned with `indices`' [nPre, k] targets in [0, nPost)) with
 * the largest overflow-free exponent (see the module doc).
 */
export function toFixedPoint(weights: ArrayLike<number>, indices: ArrayLike<number>, nPost: number): FixedPointWeights {
  if (weights.length !== indices.length) throw new RangeError(`toFixedPoint: ${weights.length} weights for ${indices.length} synapses`);
  const inbound = new Float64Array(nPost);
  for (let s = 0; s < weights.length; s++) {
    const w = weights[s] as number;
    if (!Number.isFinite(w)) throw new RangeError(`toFixedPoint: weight ${s} is ${w}; weights must be finite`);
    inbound[indices[s] as number]! += Math.abs(w);
  }
  const bound = inbound.reduce((a, b) => Math.max(a, b), 0);
  // each term may round up by 0.5: leave that much room under the i32 limit
  const room = I32_MAX - 0.5 * maxFanIn(indices, nPost);
  let exponent = bound === 0 ? 0 : Math.min(MAX_EXPONENT, Math.floor(Math.log2(room / bound)));
  for (;;) {
    const ints = quantize(weights, exponent);
    if (fits(ints, indices, nPost)) return { ints, exponent, scale: 2 ** -exponent };
    exponent -= 1; // only reached through the log2's own rounding
  }
}

function quantize(weights: ArrayLike<number>, exponent: number): Int32Array {
  const f = 2 ** exponent;
  const ints = new Int32Array(weights.length);
  // ties to even, as event_count's own quantization of trainable weights (quantizeWeight)
  for (let s = 0; s < weights.length; s++) ints[s] = roundHalfEven((weights[s] as number) * f);
  return ints;
}

/** Every target's sum of |ints| fits an i32 (exact in float64: far below 2^53). */
function fits(ints: Int32Array, indices: ArrayLike<number>, nPost: number): boolean {
  const sums = new Float64Array(nPost);
  for (let s = 0; s < ints.length; s++) sums[indices[s] as number]! += Math.abs(ints[s] as number);
  return sums.every((v) => v <= I32_MAX);
}

/** The most synapses onto one target. */
/** Room left above the largest initial |w| of trainable weights before they clip. */
export const TRAINABLE_ROOM = 16;

/**
 * How event_count quantizes trainable (f32) per-synapse weights, fixed at construction
 * (compiler's quantizeWeight): the limit is the largest power of two, at most 2^30, that keeps
 * every target's sum inside i32 at the largest fan-in, so a weight that grows past it is clipped,
 * never wrapped; the exponent puts the largest initial |w| (1 if all are 0) TRAINABLE_ROOM times
 * below the limit. The quantum is then about 16 max|w| fan-in / 2^31.
 */
export function trainableQuantization(weights: ArrayLike<number>, indices: ArrayLike<number>, nPost: number): { exponent: number; limit: number } {
  const limit = 2 ** Math.min(30, Math.floor(Math.log2(I32_MAX / Math.max(1, maxFanIn(indices, nPost)))));
  let maxAbs = 0;
  for (let i = 0; i < weights.length; i++) maxAbs = Math.max(maxAbs, Math.abs(weights[i] as number));
  const exponent = Math.floor(Math.log2(limit / (TRAINABLE_ROOM * (maxAbs || 1))));
  return { exponent: Math.max(-126, Math.min(126, exponent)), limit };
}
