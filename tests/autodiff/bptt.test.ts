/**
 * Whole BPTT gradients of small networks (input Linear -> LIF or ALIF -> LeakyRateReadout, loss on
 * the readout over every step) against central finite differences of the same rollout in float64.
 * The spike function is replaced by a smooth one (sigmoid(4x)) for the check, so the loss is
 * differentiable and the differences converge; the surrogate mechanism itself is checked in
 * surrogate.test.ts. The float64 rollout evaluates the traced step graph op by op in double
 * (f64.ts), binding States by name, so the check isolates the adjoint machinery: the tape, the
 * reverse loop and its lowering.
 *
 * Pass: |g - fd| <= 2e-3 * max|fd| + 2e-3 * |fd| per weight (the gradient is computed in float32
 * over T steps; the differences in float64 with h = 1e-4).
 * Also: the reverse loop on the GPU (dispatch chain, auto) equals the CPU reference to 1e-5
 * relative, and the checkpointed loop gives the plain loop's gradients exactly.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ops, Tensor, type Graph, type InputSource } from '@spiketrace/compiler';
import { environ, nn, ParamState, State, transform } from '@spiketrace/state';
import * as u from '@spiketrace/units';
import { brainpy, releaseDevice } from 'spiketrace';
import { evalF64, type F64 } from './f64.ts';
import { rng } from './check.ts';

afterAll(() => releaseDevice());

class SmoothSpike implements brainpy.SpikeFunction {
  readonly name = 'smooth';
  forward(x: Tensor): Tensor {
    return ops.unary('sigmoid', ops.mul(x, 4));
  }
}

const T = 12, B = 2, nIn = 3, nH = 4, nOut = 2;
const dt = u.ms(1);

function randArray(r: () => number, n: number, scale: number, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, () => offset + scale * (2 * r() - 1));
}

class Net extends nn.Module {
  readonly l1: brainpy.Linear;
  readonly neu: brainpy.LIF | brainpy.ALIF;
  readonly out: brainpy.LeakyRateReadout;
  constructor(kind: 'LIF' | 'ALIF', seed: number) {
    super('net');
    const r = rng(seed);
    this.l1 = new brainpy.Linear(nIn, nH, { weight: u.mA(Tensor.fromArray(randArray(r, nIn * nH, 1.2, 0.6), [nIn, nH])), bias: false });
    const opts = { tau: u.ms(4), V_th: u.mV(1), spkFun: new SmoothSpike() };
    this.neu = kind === 'LIF' ? new brainpy.LIF(nH, opts) : new brainpy.ALIF(nH, { ...opts, tau_a: u.ms(20), beta: u.mV(0.5) });
    this.out = environ.context({ dt }, () => new brainpy.LeakyRateReadout(nH, nOut, { wInit: Tensor.fromArray(randArray(r, nH * nOut, 1), [nH, nOut]) }));
  }
  override update(x: Tensor): u.Quantity {
    return this.out.call(this.neu.call(this.l1.call(x)));
  }
}

const data = (seed: number) => {
  const r = rng(seed + 100);
  return { xs: Tensor.fromArray(randArray(r, T * B * nIn, 0.5, 0.5), [T, B, nIn]), target: Tensor.fromArray(randArray(r, T * B * nOut, 1), [T, B, nOut]) };
};

function lossOf(ys: Tensor, target: Tensor): Tensor {
  const d = ops.sub(ys, target);
  return ops.div(ops.reduce('sum', ops.mul(d, d)), T * B);
}

async function gradOf(net: Net, xs: Tensor, target: Tensor, opts: { lowering: transform.LoopOptions['lowering']; checkpoint?: number }) {
  const params = net.states(ParamState);
  const step = (x: Tensor) => net.update(x).mantissa;
  const f = transform.grad(async () => {
    nn.initAllStates(net, { batchSize: B });
    const ys = await environ.context({ dt }, () => (opts.checkpoint
      ? transform.checkpointedForLoop(step, xs, { lowering: opts.lowering, base: opts.checkpoint })
      : transform.forLoop(step, xs, { lowering: opts.lowering }))) as Tensor;
    return lossOf(ys, target);
  }, { gradStates: params, returnValue: true });
  const [g, loss] = await f() as [Map<string, u.Quantity>, Tensor];
  return { g, loss: loss.item(), step };
}

/** The loss in float64 from the traced step graph, with the weights `w` (by State name). */
function lossF64(graph: Graph, init: Map<string, F64>, w: Map<string, F64>, xs: Tensor, target: Tensor): number {
  const states = new Map([...init, ...w]);
  const n = B * nIn;
  let loss = 0;
  for (let t = 0; t < T; t++) {
    const x: F64 = { shape: [B, nIn], data: Float64Array.from(xs.data.subarray(t * n, (t + 1) * n)) };
    const outs = evalF64(graph, (s: InputSource) => {
      if (s.kind === 'xs') return x;
      if (s.kind === 'state') return states.get(s.name) as F64;
      throw new Error(`unexpected input ${s.kind}`);
    });
    graph.outputs.forEach((o, i) => {
      if (o.kind === 'state') states.set(o.name, outs[i] as F64);
      else {
        const y = (outs[i] as F64).data;
        y.forEach((v, k) => { loss += (v - (target.data[t * B * nOut + k] as number)) ** 2; });
      }
    });
  }
  return loss / (T * B);
}

describe.each(['LIF', 'ALIF'] as const)('BPTT through %s against float64 finite differences', (kind) => {
  it('gradients of every weight (CPU reference), the GPU reverse loop, and checkpointing', async () => {
    const net = new Net(kind, kind === 'LIF' ? 1 : 2);
    const { xs, target } = data(kind === 'LIF' ? 1 : 2);
    const ref = await gradOf(net, xs, target, { lowering: 'interpret' });
    const [g0] = transform.graphsOf(ref.step);
    const graph = g0!.optimized;
    // initial States after initAllStates, by name (float64 copies)
    nn.initAllStates(net, { batchSize: B });
    const init = new Map<string, F64>();
    for (const s of net.states().values()) {
      const v = s.value as u.Quantity;
      init.set(s.name, { shape: v.shape, data: Float64Array.from(v.mantissa.data) });
    }
    const params = [...net.states(ParamState).values()] as State<u.Quantity>[];
    const base = new Map(params.map((p) => [p.name, init.get(p.name) as F64]));
    expect(lossF64(graph, init, base, xs, target)).toBeCloseTo(ref.loss, 4);
    let checked = 0;
    for (const p of params) {
      const got = (ref.g.get(p.path as string) as u.Quantity).mantissa.data;
      const w = base.get(p.name) as F64;
      const fd = Array.from(w.data, (_v, k) => {
        const h = 1e-4;
        const at = (d: number) => {
          const data = Float64Array.from(w.data);
          data[k] = (data[k] as number) + d;
          return lossF64(graph, init, new Map([...base, [p.name, { shape: w.shape, data }]]), xs, target);
        };
        return (at(h) - at(-h)) / (2 * h);
      });
      const scale = Math.max(...fd.map(Math.abs));
      expect(scale).toBeGreaterThan(1e-3); // the check is not vacuous
      fd.forEach((f, k) => {
        expect(Math.abs((got[k] as number) - f), `${p.name}[${k}]`).toBeLessThanOrEqual(2e-3 * scale + 2e-3 * Math.abs(f));
        checked++;
      });
    }
    expect(checked).toBe(nIn * nH + nH * nOut);

    for (const lowering of ['dispatch-chain', 'auto'] as const) {
      const gpu = await gradOf(net, xs, target, { lowering });
      for (const [name, gq] of ref.g) {
        const a = gq.mantissa.data, b = (gpu.g.get(name) as u.Quantity).mantissa.data;
        const scale = Math.max(...Array.from(a, Math.abs));
        a.forEach((v, k) => expect(Math.abs((b[k] as number) - v), `${lowering} ${name}[${k}]`).toBeLessThanOrEqual(1e-5 * scale + 1e-5 * Math.abs(v)));
      }
    }
    for (const base of [2, 3, 16]) {
      const ck = await gradOf(net, xs, target, { lowering: 'interpret', checkpoint: base });
      expect(ck.loss).toBe(ref.loss);
      for (const [name, gq] of ref.g) expect([...(ck.g.get(name) as u.Quantity).mantissa.data], `base ${base}: ${name}`).toEqual([...gq.mantissa.data]);
    }
  });
});
