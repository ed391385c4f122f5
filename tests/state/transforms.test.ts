/** forLoop, scan and jit: semantics, caching, lowering choice, write-back, on real WebGPU. */
import { afterAll, describe, expect, it } from 'vitest';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
import { Tensor } from '@spiketrace/compiler';

afterAll(() => releaseDevice());
const { transform, environ, nn } = brainstate;

class Leaky extends nn.Module {
  v = new brainstate.ShortTermState<u.Quantity>(undefined, { name: 'v' });
  tau = new brainstate.ParamState(u.ms(10));
  constructor(readonly n: number) { super('leaky'); }
  override initState(opts: brainstate.nn.InitOptions = {}) {
    this.v.reset(u.math.zeros(opts.batchSize ? [opts.batchSize, this.n] : [this.n], u.mV));
  }
  override update(x: u.Quantity): u.Quantity {
    const dt = environ.getDt();
    this.v.value = this.v.value.add(this.v.value.neg().add(x).div(this.tau.value).mul(dt));
    return this.v.value;
  }
}

/** The same recurrence in float64 on the host. */
function leakyRef(n: number, xs: number[], tau = 10, dt = 0.1) {
  const v = new Float64Array(n);
  const out: number[] = [];
  for (const x of xs) {
    for (let i = 0; i < n; i++) v[i] = v[i]! + ((-v[i]! + x) / tau) * dt;
    out.push(...v);
  }
  return out;
}

describe('forLoop', () => {
  it('stacks outputs, carries written States, and reads read-only ones at loop entry', async () => {
    const m = new Leaky(5);
    nn.initAllStates(m);
    const xs = u.mV(Array.from({ length: 30 }, (_, i) => Math.sin(i / 3) * 10));
    const step = (x: u.Quantity) => ({ v: m.update(x), tau: m.tau.value });
    const out = await environ.context({ dt: u.ms(0.1) }, () => transform.forLoop(step, xs));
    expect(out.v.shape).toEqual([30, 5]);
    expect(out.tau.shape).toEqual([30]);
    expect(out.tau.toDecimal(u.ms).data.every((x) => x === 10)).toBe(true);
    const ref = leakyRef(5, Array.from(xs.mantissa.data));
    const got = out.v.toDecimal(u.mV).data;
    ref.forEach((r, i) => expect(got[i]).toBeCloseTo(r, 4));
    expect(Array.from(m.v.value.toDecimal(u.mV).data)).toEqual(Array.from(got.slice(-5)));
    expect(transform.lastRun()?.lowering).toBe('temporal-fusion');
  });

  it('a step may return a concrete array computed outside it (regression: "trace forLoop is closed")', async () => {
    const m = new Leaky(3);
    nn.initAllStates(m);
    const table = u.mV([1.5, -2, 4.25]); // non-uniform: a captured input, not a literal
    const out = await environ.context({ dt: u.ms(0.1) }, () => transform.forLoop((x: u.Quantity) => ({ v: m.update(x), table }), u.mV([1, 2, 3, 4])));
    expect(out.table.shape).toEqual([4, 3]);
    expect(Array.from(out.table.toDecimal(u.mV).data)).toEqual([1.5, -2, 4.25, 1.5, -2, 4.25, 1.5, -2, 4.25, 1.5, -2, 4.25]);
  });

  it('traces once per signature and re-traces when a State changes shape', async () => {
    const m = new Leaky(3);
    nn.initAllStates(m);
    const step = (x: u.Quantity) => m.update(x);
    const run = () => environ.context({ dt: u.ms(0.1) }, () => transform.forLoop(step, u.mV([1, 2, 3, 4])));
    const before = transform.traceCount();
    await run();
    await run();
    expect(transform.traceCount() - before).toBe(1);
    nn.initAllStates(m, { batchSize: 2 });
    const out = await run();
    expect(out.shape).toEqual([4, 2, 3]);
    expect(transform.traceCount() - before).toBe(2);
    // a different dt is a different signature
    await environ.context({ dt: u.ms(0.2) }, () => transform.forLoop(step, u.mV([1, 2, 3, 4])));
    expect(transform.traceCount() - before).toBe(3);
  });

  it('continues from where the previous call left the States (resident between calls)', async () => {
    const m = new Leaky(4);
    nn.initAllStates(m);
    const step = (x: u.Quantity) => m.update(x);
    const xs = u.mV(Array.from({ length: 20 }, () => 7));
    await environ.context({ dt: u.ms(0.1) }, () => transform.forLoop(step, xs));
    const second = await environ.context({ dt: u.ms(0.1) }, () => transform.forLoop(step, xs));
    const ref = leakyRef(4, Array.from({ length: 40 }, () => 7));
    const got = second.toDecimal(u.mV).data;
    ref.slice(80).forEach((r, i) => expect(got[i]).toBeCloseTo(r, 4));
    // an eager write in between is uploaded before the next run
    m.v.value = u.math.zeros([4], u.mV);
    const third = await environ.context({ dt: u.ms(0.1) }, () => transform.forLoop(step, xs));
    leakyRef(4, Array.from({ length: 20 }, () => 7)).forEach((r, i) => expect(third.toDecimal(u.mV).data[i]).toBeCloseTo(r, 4));
  });

  it('a step with a reduction runs as a dispatch chain or a persistent workgroup and matches the interpreter', async () => {
    const results: Float32Array[] = [];
    for (const lowering of ['dispatch-chain', 'persistent-workgroup', 'auto', 'interpret'] as const) {
      const m = new Leaky(6);
      nn.initAllStates(m);
      m.v.value = u.mV([1, -2, 3, -4, 5, -6]);
      // subtract the population mean each step: a global dependency
      const step = (x: u.Quantity) => {
        const v = m.update(x);
        m.v.value = v.sub(u.math.mean(v));
        return [m.v.value, u.math.max(v)];
      };
      const out = await environ.context({ dt: u.ms(0.1) }, () => transform.forLoop(step, u.mV([3, 1, 4, 1, 5, 9, 2, 6]), { lowering }));
      if (lowering === 'auto') expect(transform.lastRun()?.lowering).toBe('persistent-workgroup');
      results.push(Float32Array.from([...out[0]!.toDecimal(u.mV).data, ...out[1]!.toDecimal(u.mV).data]));
    }
    for (const r of results.slice(0, 3)) r.forEach((x, i) => expect(x).toBeCloseTo(results[3]![i]!, 5));
  });

  it('forcing temporal fusion on a step with a reduction is a clear error', async () => {
    const m = new Leaky(3);
    nn.initAllStates(m);
    const step = (x: u.Quantity) => { m.v.value = m.update(x).sub(u.math.mean(m.v.value)); };
    await expect(environ.context({ dt: u.ms(0.1) }, () => transform.forLoop(step, u.mV([1, 2]), { lowering: 'temporal-fusion' })))
      .rejects.toThrow(/temporal fusion needs an element-local step/);
  });

  it('reports progress from completed GPU work', async () => {
    const m = new Leaky(2);
    nn.initAllStates(m);
    const seen: number[] = [];
    await environ.context({ dt: u.ms(0.1) }, () => transform.forLoop((x: u.Quantity) => { m.update(x); }, u.mV(new Array(3000).fill(1)),
      { lowering: 'dispatch-chain', onProgress: (d) => seen.push(d) }));
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBe(3000);
  });
});

describe('scan', () => {
  it('threads a carry alongside States and returns [carry, ys]', async () => {
    const m = new Leaky(2);
    nn.initAllStates(m);
    const [carry, ys] = await environ.context({ dt: u.ms(0.1) }, () => transform.scan(
      (acc: { total: u.Quantity; n: u.Quantity }, x: u.Quantity) => {
        const v = m.update(x);
        return [{ total: acc.total.add(u.math.sum(v)), n: acc.n.add(1) }, v] as const;
      },
      { total: u.mV(0), n: u.q(0) },
      u.mV([2, 4, 6, 8, 10]),
    ));
    const ref = leakyRef(2, [2, 4, 6, 8, 10]);
    expect(ys.shape).toEqual([5, 2]);
    expect(carry.n.item()).toBe(5);
    expect(carry.total.toDecimal(u.mV).item()).toBeCloseTo(ref.reduce((a, b) => a + b, 0), 4);
    expect(transform.lastRun()?.lowering).toBe('persistent-workgroup'); // sum is a global op; the step is small
  });
});

describe('jit', () => {
  it('compiles once and runs single steps with array and static arguments', async () => {
    const neuron = new brainpy.LIF(3, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10), V_initializer: u.mV(-65) });
    nn.initAllStates(neuron);
    let calls = 0;
    const oneStep = transform.jit((current: u.Quantity, gain: number) => {
      calls++;
      neuron.call(current.mul(gain));
      return { spike: neuron.getSpike(), v: neuron.V.value };
    });
    const before = transform.traceCount();
    const outs: { spike: Tensor; v: u.Quantity }[] = [];
    for (let i = 0; i < 4; i++) {
      outs.push(await environ.context({ dt: u.ms(0.1), t: u.ms(i * 0.1) }, () => oneStep(u.mA([10, 20, 30]), 2)));
    }
    expect(calls).toBe(1);
    expect(transform.traceCount() - before).toBe(1);
    expect(outs[3]!.v.shape).toEqual([3]);
    expect(outs[3]!.spike).toBeInstanceOf(Tensor);
    // 4 exp-Euler steps toward V_rest + R*I from -65 mV
    const k = 1 - Math.exp(-0.01);
    [20, 40, 60].forEach((drive, i) => {
      let v = -65;
      for (let s = 0; s < 4; s++) v += k * (-v - 65 + drive);
      expect(outs[3]!.v.toDecimal(u.mV).data[i]).toBeCloseTo(v, 4);
    });
    await environ.context({ dt: u.ms(0.1) }, () => oneStep(u.mA([10, 20, 30]), 3));
    expect(calls).toBe(2); // a new static argument is a new signature
  });

  it('runs inline inside another transform', async () => {
    const m = new Leaky(2);
    nn.initAllStates(m);
    const inner = transform.jit((x: u.Quantity) => m.update(x));
    const out = await environ.context({ dt: u.ms(0.1) }, () => transform.forLoop((x: u.Quantity) => { void inner(x); return m.v.value; }, u.mV([5, 5])));
    expect(out.shape).toEqual([2, 2]);
    expect(out.toDecimal(u.mV).data[3]).toBeCloseTo(leakyRef(2, [5, 5])[3]!, 5);
  });
});

describe('program order across queued runs', () => {
  it('a run starts from the States at its call; a later eager write stands', async () => {
    const m = new Leaky(1);
    nn.initAllStates(m);
    m.v.value = u.mV([10]);
    const step = (x: u.Quantity) => m.update(x);
    const p = environ.context({ dt: u.ms(0.1) }, () => transform.forLoop(step, u.mV([0, 0, 0])));
    m.v.value = u.mV([50]); // after the call: not seen by the run, and not overwritten by it
    const out = await p;
    const ref = [10 * 0.99, 10 * 0.99 * 0.99, 10 * 0.99 ** 3];
    ref.forEach((r, i) => expect(out.toDecimal(u.mV).data[i]).toBeCloseTo(r, 4));
    expect(m.v.value.toDecimal(u.mV).data[0]).toBe(50);
    // the next run starts from the eager write
    const next = await environ.context({ dt: u.ms(0.1) }, () => transform.forLoop(step, u.mV([0])));
    expect(next.toDecimal(u.mV).data[0]).toBeCloseTo(49.5, 4);
  });

  it('runs queued back to back chain through the States they write', async () => {
    const m = new Leaky(1);
    nn.initAllStates(m);
    m.v.value = u.mV([10]);
    const step = (x: u.Quantity) => m.update(x);
    const [a, b] = await environ.context({ dt: u.ms(0.1) }, () =>
      Promise.all([transform.forLoop(step, u.mV([0, 0])), transform.forLoop(step, u.mV([0, 0]))]));
    expect(a.toDecimal(u.mV).data[1]).toBeCloseTo(10 * 0.99 ** 2, 4);
    expect(b.toDecimal(u.mV).data[1]).toBeCloseTo(10 * 0.99 ** 4, 4);
  });
});

describe('jit static arguments', () => {
  it('keys objects by identity: two modules of the same shape get their own traces', async () => {
    const a = new Leaky(1), b = new Leaky(1);
    nn.initAllStates(a);
    nn.initAllStates(b);
    b.tau.value = u.ms(1);
    const stepOf = transform.jit((m: Leaky, x: u.Quantity) => m.update(x));
    await environ.context({ dt: u.ms(0.1) }, () => stepOf(a, u.mV([10])));
    await environ.context({ dt: u.ms(0.1) }, () => stepOf(b, u.mV([10])));
    expect(a.v.value.toDecimal(u.mV).data[0]).toBeCloseTo(0.1, 5);
    expect(b.v.value.toDecimal(u.mV).data[0]).toBeCloseTo(1, 5);
    // a cyclic object is fine as a static argument
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    await expect(environ.context({ dt: u.ms(0.1) }, () => transform.jit((_c: unknown, x: u.Quantity) => a.update(x))(cyclic, u.mV([1])))).resolves.toBeDefined();
  });
});
