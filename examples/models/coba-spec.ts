/**
 * The COBA E/I network (examples/models/coba.ts) as a model spec: what `compile`, `spiketrace compile`
 * and the browser example take. One input per step (the time `t`, in ms), one output per step:
 * `spikes`, the population's spikes packed on the GPU into a bitfield (u32 [ceil(n/32)], bit j of
 * word w is neuron 32·w + j; `unpackSpikes` in coba.ts decodes it).
 *
 * Defaults: n = 4000 neurons, 2000 steps of 0.1 ms (200 ms of biological time), seed 0, so that the
 * bundle stays small (its captured connectivity is most of it).
 *
 * The step's dispatch chain has kernels that bind more than WebGPU's default 8 storage buffers per
 * shader stage, so the spec asks `compile` for `maxStorageBuffers: COBA_STORAGE_BUFFERS` (with
 * WebGPU's default 8, compile throws naming the arrays of the kernel that needs more); the bundle is recorded as needing that many in `manifest.requires`: it runs on adapters that expose at least
 * that many (Dawn on lavapipe and Chromium on SwiftShader do; BundleRunner refuses the others with a
 * clear error before any dispatch).
 */
import { u, type ModelSpec } from 'spiketrace';
import { coba, packSpikes, type CobaOptions } from './coba.ts';

/** Storage buffers per shader stage the COBA bundle is compiled for (its largest kernel binds this many or fewer). */
export const COBA_STORAGE_BUFFERS = 16;

export interface CobaSpecOptions extends CobaOptions {
  /** Steps of 0.1 ms (default 2000 = 200 ms). */
  steps?: number;
}

export function cobaSpec(opts: CobaSpecOptions = {}): ModelSpec {
  const { steps = 2000, ...netOpts } = opts;
  const net = coba(netOpts);
  return {
    name: 'coba',
    description:
      `COBA E/I network (Vogels & Abbott 2005): ${net.n} LIFRef neurons (${net.nE} E, ${net.nI} I), p = ${net.opts.prob}, ` +
      `seed ${net.opts.seed}, conductance-based synapses (6 nS E, 67 nS I), 200 pA drive; spikes packed 32 neurons per u32 word.`,
    model: net,
    inputs: { t: u.ms(0) },
    step: ({ t }) => ({ spikes: packSpikes(net.step(t as u.Quantity)) }),
    dt: u.ms(0.1),
    steps,
    maxStorageBuffers: COBA_STORAGE_BUFFERS,
  };
}

export default cobaSpec;
