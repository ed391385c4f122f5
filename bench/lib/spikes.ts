/**
 * Spike-train statistics shared by the coba suite and the Brian2 cross-check, with one definition
 * for both simulators. The ISI statistics follow bench/brian2/coba.py's `isi_cv`: per neuron, sort its
 * spike times, keep the neuron if it has >= 3 spikes, take the intervals `np.diff(ts)`, and its CV =
 * std(d) / mean(d) with the population std (numpy's default ddof = 0); the population value is the
 * mean over the kept neurons. (coba.py averages over a random sample of 400 neurons; here every
 * neuron of the group is used, on both sides.)
 */

export interface SpikeList {
  /** Neuron index per spike. */
  neuron: ArrayLike<number>;
  /** Spike time in ms per spike. */
  timeMs: ArrayLike<number>;
}

export interface GroupStats {
  neurons: number;
  spikes: number;
  rateHz: number;
  /** Neurons with >= 3 spikes (the ones the ISI statistics use). */
  isiNeurons: number;
  /** Mean over kept neurons of each neuron's mean ISI (ms). */
  meanIsiMs: number | null;
  /** Mean over kept neurons of each neuron's ISI coefficient of variation. */
  isiCv: number | null;
}

export interface PopStats {
  E: GroupStats;
  I: GroupStats;
  durationMs: number;
}

function groupStats(trains: number[][], lo: number, hi: number, durationMs: number): GroupStats {
  let spikes = 0, kept = 0, sumMean = 0, sumCv = 0;
  for (let n = lo; n < hi; n++) {
    const ts = trains[n]!;
    spikes += ts.length;
    if (ts.length < 3) continue;
    ts.sort((a, b) => a - b);
    const d: number[] = [];
    for (let k = 1; k < ts.length; k++) d.push(ts[k]! - ts[k - 1]!);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const varr = d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length;
    kept++;
    sumMean += mean;
    sumCv += Math.sqrt(varr) / mean;
  }
  return {
    neurons: hi - lo, spikes, rateHz: spikes / (hi - lo) / (durationMs / 1000), isiNeurons: kept,
    meanIsiMs: kept ? sumMean / kept : null, isiCv: kept ? sumCv / kept : null,
  };
}

/** Rates and ISI statistics of the E group [0, nE) and the I group [nE, n). */
export function popStats(sp: SpikeList, n: number, nE: number, durationMs: number): PopStats {
  const trains: number[][] = Array.from({ length: n }, () => []);
  for (let k = 0; k < sp.neuron.length; k++) trains[sp.neuron[k]!]!.push(sp.timeMs[k]!);
  return { E: groupStats(trains, 0, nE, durationMs), I: groupStats(trains, nE, n, durationMs), durationMs };
}

/** Spike counts of E and I straight from packed words (examples/models/coba.ts packSpikes: b neurons per word). */
export function countPacked(words: ArrayLike<number>, steps: number, n: number, nE: number, b: number): { E: number; I: number } {
  const perStep = n / b;
  let E = 0, I = 0;
  for (let s = 0; s < steps; s++) {
    for (let w = 0; w < perStep; w++) {
      let x = words[s * perStep + w]!;
      for (let j = 0; x > 0; j++, x = Math.floor(x / 2)) {
        if (x % 2 === 1) (w * b + j < nE ? E++ : I++);
      }
    }
  }
  return { E, I };
}
