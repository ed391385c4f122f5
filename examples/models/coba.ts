/**
 * The COBA E/I network (Vogels & Abbott 2005; Brette et al. 2007, benchmark 1), as brainpy.state's
 * `examples/103_COBA_2005.py` builds it, in physical units calibrated as the published benchmark:
 *
 * - one LIFRef population of n neurons, the first 80% excitatory, the rest inhibitory; tau 20 ms,
 *   V_rest = V_reset = -60 mV, V_th = -50 mV, tau_ref 5 ms, R = 100 MOhm (leak 10 nS), constant
 *   drive 200 pA (20 mV through R), initial V ~ Normal(-55 mV, 5 mV);
 * - two AlignPost projections onto the whole population: EventFixedProb (p = 0.02, or 80/n above
 *   4000 neurons so that every neuron keeps 80 inputs on average), Expon conductances
 *   (tau 5 ms E, 10 ms I), weights 6 nS (E) and 67 nS (I), COBA outputs with E = 0 mV / -80 mV.
 *
 * The step follows brainpy's: spk = N.getSpike() != 0; E(spk[:nE]); I(spk[nE:]); N(drive); return
 * N.getSpike(). Instead of slicing the spikes (`ops.sliceAxis(spk, 0, nE)`, a global op and so an
 * extra phase), each EventFixedProb takes the whole spike vector with a `preRange` (rows outside it
 * are zeros and masked out), which keeps the spike operand aligned with the population.
 */
import { ops, Tensor } from '@spiketrace/compiler';
import { u, brainstate, brainpy } from 'spiketrace';

export interface CobaOptions {
  /** Number of neurons (default 4000); 80% excitatory. */
  n?: number;
  /** Seed of the initial voltages and the connectivity (default 0). */
  seed?: number;
  /** Connection probability (default 0.02 up to 4000 neurons, else 80 / n). */
  prob?: number;
  /**
   * Excitatory and inhibitory weights (defaults 6 nS and 67 nS); 0 gives the uncoupled network.
   * An initializer (for example brainpy.Normal(u.nS(6), u.nS(1.5))) gives one weight per synapse.
   */
  wE?: u.Quantity | brainpy.Initializer;
  wI?: u.Quantity | brainpy.Initializer;
  /** Constant input current (default 200 pA). */
  drive?: u.Quantity;
  /** Initial V (default Normal(-55 mV, 5 mV) seeded by `seed`). */
  V_initializer?: brainpy.InitLike;
}

export class CobaNet extends brainstate.nn.Module {
  readonly N: brainpy.LIFRef;
  readonly E: brainpy.AlignPostProj;
  readonly I: brainpy.AlignPostProj;
  readonly nE: number;
  readonly nI: number;
  readonly drive: u.Quantity;

  constructor(readonly n: number, readonly opts: Required<Omit<CobaOptions, 'V_initializer'>> & { V_initializer: brainpy.InitLike }) {
    super('coba');
    this.nE = Math.floor(n * 0.8);
    this.nI = n - this.nE;
    this.drive = opts.drive;
    const seeds = new brainpy.Random(opts.seed);
    this.N = new brainpy.LIFRef(n, {
      V_rest: u.mV(-60), V_reset: u.mV(-60), V_th: u.mV(-50), tau: u.ms(20), tau_ref: u.ms(5), R: u.Mohm(100),
      V_initializer: opts.V_initializer, name: 'N',
    });
    this.E = new brainpy.AlignPostProj({
      comm: new brainpy.EventFixedProb(this.nE, n, { prob: opts.prob, weight: opts.wE, seed: seeds.nextU32(), preRange: [0, this.nE], name: 'E_conn' }),
      syn: brainpy.Expon.desc(n, { tau: u.ms(5) }),
      out: brainpy.COBA.desc({ E: u.mV(0) }),
      post: this.N,
      name: 'E',
    });
    this.I = new brainpy.AlignPostProj({
      comm: new brainpy.EventFixedProb(this.nI, n, { prob: opts.prob, weight: opts.wI, seed: seeds.nextU32(), preRange: [this.nE, n], name: 'I_conn' }),
      syn: brainpy.Expon.desc(n, { tau: u.ms(10) }),
      out: brainpy.COBA.desc({ E: u.mV(-80) }),
      post: this.N,
      name: 'I',
    });
  }

  /** One step at time t (brainpy's `update(t, inp)`): returns the population's spikes (f32 0/1, [n]). */
  step(t: u.Quantity): Tensor {
    return brainstate.environ.context({ t }, () => {
      const spk = ops.compare('ne', this.N.getSpike(), 0);
      this.E.update(spk);
      this.I.update(spk);
      this.N.call(this.drive);
      return this.N.getSpike();
    });
  }
}

export function coba(opts: CobaOptions = {}): CobaNet {
  const n = opts.n ?? 4000;
  if (!Number.isInteger(n) || n < 5) throw new RangeError(`coba: n must be an integer >= 5, got ${n}`);
  const seed = opts.seed ?? 0;
  return new CobaNet(n, {
    n,
    seed,
    prob: opts.prob ?? (n <= 4000 ? 0.02 : 80 / n),
    wE: opts.wE ?? u.nS(6),
    wI: opts.wI ?? u.nS(67),
    drive: opts.drive ?? u.pA(200),
    V_initializer: opts.V_initializer ?? brainpy.Normal(u.mV(-55), u.mV(5), { seed }),
  });
}

/**
 * Spike recording without a [T, n] f32 raster (160 MB for 4000 neurons over 1 s): each step's
 * spikes are packed on the GPU into a bitfield (`pack_bits`: 32 neurons per u32 word, 125 words per
 * step for 4000 neurons, 5 MB per second of biological time), read back once and unpacked here.
 */
/** Neurons per packed word (32: one bit each). */
export function packBits(_n: number): number {
  return 32;
}

export function packSpikes(spikes: Tensor): Tensor {
  return ops.packBits(spikes);
}

/** Decode packed words [T, ceil(n/32)] into spike (step, neuron) lists. */
export function unpackSpikes(words: ArrayLike<number>, steps: number, n: number): { step: Int32Array; neuron: Int32Array } {
  const perStep = Math.ceil(n / 32);
  const st: number[] = [];
  const ne: number[] = [];
  for (let s = 0; s < steps; s++) {
    for (const k of ops.unpackBitsRow(words, s * perStep, n)) {
      st.push(s);
      ne.push(k);
    }
  }
  return { step: Int32Array.from(st), neuron: Int32Array.from(ne) };
}

export default coba;
