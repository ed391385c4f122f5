/**
 * Spiketrace's LIF workload: N independent LIF neurons driven by a constant 20 mV (R*I), with a
 * per-neuron spike counter State. The same step function object is reused for every call, so the
 * trace and the compiled pipelines are cached after the first call per (N, T, lowering).
 */
import { u, brainstate, brainpy } from 'spiketrace';
import type { LifOut } from './handloop.ts';

export class Counted extends brainstate.nn.Module {
  lif: brainpy.LIF;
  count = new brainstate.ShortTermState<u.Quantity>(undefined, { name: 'count' });
  constructor(n: number) {
    super();
    this.lif = new brainpy.LIF(n, {
      V_rest: u.mV(-65), V_reset: u.mV(-65), V_th: u.mV(-50), tau: u.ms(10), spkReset: 'hard', V_initializer: u.mV(-65),
    });
  }
  override initState(): void {
    this.count.reset(u.math.zeros(this.lif.varshape as number[]));
  }
  override update(): undefined {
    const spk = this.lif.call(u.mA(20)); // R defaults to 1 ohm: R*I = 20 mV
    this.count.value = this.count.value.add(u.q(spk as Parameters<typeof u.q>[0]));
    return undefined;
  }
}

export type SpiketraceVariant = 'temporal-fusion' | 'dispatch-chain' | 'interpret' | 'eager';

export interface SpiketraceRun {
  out: LifOut;
  parts: Record<string, number>;
}

/** One network per N; `run` re-initializes its States, runs T steps and reads V and counts. */
export class SpiketraceLif {
  readonly net: Counted;
  readonly step: () => void;
  constructor(readonly N: number) {
    this.net = new Counted(N);
    brainstate.nn.initAllStates(this.net);
    const net = this.net;
    this.step = () => { net.update(); };
  }

  async run(variant: SpiketraceVariant, T: number): Promise<SpiketraceRun> {
    const t0 = performance.now();
    brainstate.nn.initAllStates(this.net);
    const t1 = performance.now();
    const parts: Record<string, number> = { initStatesMs: t1 - t0 };
    if (variant === 'eager') {
      brainstate.environ.context({ dt: u.ms(0.1) }, () => {
        for (let t = 0; t < T; t++) this.step();
      });
      parts.loopMs = performance.now() - t1;
    } else {
      let tCall = 0;
      await brainstate.environ.context({ dt: u.ms(0.1) }, () => {
        const p = brainstate.transform.forLoop(this.step, { length: T, lowering: variant });
        tCall = performance.now(); // trace (first call) or cache lookup happens synchronously
        return p;
      });
      const t2 = performance.now();
      parts.traceOrLookupMs = tCall - t1;
      const info = brainstate.transform.lastRun();
      if (info) parts.executeMs = info.wallMs; // upload + compile (first call) + dispatch + readback
      parts.awaitMs = t2 - tCall;
    }
    // Host arrays already hold the read-back values (each call reads V and count back once);
    // initAllStates replaces them on the next call, so keeping references is safe.
    const V = this.net.lif.V.value.mantissa.data as Float32Array;
    const count = this.net.count.value.mantissa.data as Float32Array;
    return { out: { V, count }, parts };
  }
}
