/**
 * The training example's task and network, shared by examples/train-snn.ts and bench/train.ts.
 *
 * Task (generated here, seeded): classify spike-pattern templates. Each of `classes` templates
 * gives every input channel exactly one spike at a template-specific time; a sample jitters every
 * spike by up to +-`jitter` steps, drops each with probability `drop` and adds background spikes
 * with probability `noise` per channel and step. Every class puts one spike on every channel, so
 * spike counts carry no information: only *when* channels fire does, and the network must hold
 * that across the sequence (the decision is read from the readout averaged over all steps).
 *
 * Network (brainpy.state pieces): input spikes -> Linear -> LIF -> Linear -> LIF ->
 * LeakyRateReadout, trained by BPTT through the surrogate (ReluGrad, brainpy's default).
 */
import { Tensor } from '@spiketrace/compiler';
import { u, brainstate, brainpy, braintools } from 'spiketrace';

export interface TaskOptions {
  nIn?: number;
  steps?: number;
  classes?: number;
  jitter?: number;
  drop?: number;
  noise?: number;
  seed?: number;
}

export class PatternTask {
  readonly nIn: number;
  readonly steps: number;
  readonly classes: number;
  readonly jitter: number;
  readonly drop: number;
  readonly noise: number;
  /** templates[k * nIn + i]: the step at which channel i fires in class k. */
  readonly templates: Int32Array;

  constructor(opts: TaskOptions = {}) {
    this.nIn = opts.nIn ?? 32;
    this.steps = opts.steps ?? 60;
    this.classes = opts.classes ?? 4;
    this.jitter = opts.jitter ?? 2;
    this.drop = opts.drop ?? 0.1;
    this.noise = opts.noise ?? 0.005;
    const rng = new brainpy.Random((opts.seed ?? 0) * 7919 + 17);
    const lo = this.jitter, hi = this.steps - this.jitter - 10; // the last 10 steps stay quiet
    this.templates = Int32Array.from({ length: this.classes * this.nIn }, () => lo + Math.floor(rng.uniform() * (hi - lo)));
  }

  /** A batch: spikes [steps, batch, nIn] (f32 0/1) and labels [batch] (i32). */
  sample(batch: number, rng: brainpy.Random): { x: Tensor; labels: Tensor } {
    const { nIn, steps } = this;
    const x = new Float32Array(steps * batch * nIn);
    const labels = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      const k = Math.floor(rng.uniform() * this.classes);
      labels[b] = k;
      for (let i = 0; i < nIn; i++) {
        if (rng.uniform() >= this.drop) {
          const j = Math.round((2 * rng.uniform() - 1) * this.jitter);
          const t = Math.min(steps - 1, Math.max(0, (this.templates[k * nIn + i] as number) + j));
          x[(t * batch + b) * nIn + i] = 1;
        }
        for (let t = 0; t < steps; t++) if (rng.uniform() < this.noise) x[(t * batch + b) * nIn + i] = 1;
      }
    }
    return { x: Tensor.fromArray(x, [steps, batch, nIn]), labels: Tensor.fromArray(labels, [batch], 'i32') };
  }
}

export interface NetOptions {
  nIn: number;
  hidden?: number;
  classes: number;
  seed?: number;
}

export const DT = u.ms(1);

export class SNN extends brainstate.nn.Module {
  readonly l1: brainstate.nn.Linear;
  readonly n1: brainpy.LIF;
  readonly l2: brainstate.nn.Linear;
  readonly n2: brainpy.LIF;
  readonly out: brainpy.LeakyRateReadout;

  constructor(opts: NetOptions) {
    super('snn');
    const h = opts.hidden ?? 64;
    const seed = opts.seed ?? 0;
    // input weights large enough that a few coincident input spikes drive a neuron over threshold
    const normal = (std: number, s: number) => braintools.init.Normal(u.mA(0), u.mA(std), { seed: s });
    this.l1 = new brainstate.nn.Linear(opts.nIn, h, { weight: normal(40 / Math.sqrt(opts.nIn), seed * 3 + 1), bias: false });
    this.n1 = new brainpy.LIF(h, { tau: u.ms(10), V_th: u.mV(1), R: u.ohm(1) });
    this.l2 = new brainstate.nn.Linear(h, h, { weight: normal(30 / Math.sqrt(h), seed * 3 + 2), bias: false });
    this.n2 = new brainpy.LIF(h, { tau: u.ms(10), V_th: u.mV(1), R: u.ohm(1) });
    this.out = brainstate.environ.context({ dt: DT }, () => new brainpy.LeakyRateReadout(h, opts.classes, {
      tau: u.ms(10), wInit: braintools.init.Normal(0, 1 / Math.sqrt(h), { seed: seed * 3 + 3 }),
    }));
  }

  /** One step: input spikes [batch, nIn] -> readout [batch, classes]; also the hidden spikes. */
  step(x: Tensor): { r: Tensor; s1: Tensor; s2: Tensor } {
    const s1 = this.n1.call(this.l1.call(x));
    const s2 = this.n2.call(this.l2.call(s1));
    return { r: this.out.call(s2).mantissa, s1, s2 };
  }
}
