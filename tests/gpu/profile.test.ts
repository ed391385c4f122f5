/**
 * Per-kernel GPU profiling (runtime/src/executable.ts, `profile`): timestamp queries around each
 * dispatch of the first rounds. On an adapter with timestamp queries (lavapipe has them) every
 * kernel of the plan gets a time; results are bit-identical to an unprofiled run. And the
 * compiler's tuning knobs (`compiler`), which change how a step runs, never what it computes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { lower, Tensor } from '@spiketrace/compiler';
import { acquireDevice } from '@spiketrace/runtime';
import { u, brainstate, releaseDevice } from 'spiketrace';
import { coba, packSpikes } from '../../examples/models/coba.ts';

afterAll(() => releaseDevice());

describe('kernel profile', () => {
  it.each(['dispatch-chain', 'persistent-workgroup'] as const)('times every kernel of the first rounds; results unchanged (%s)', async (lowering) => {
    const ctx = await acquireDevice();
    const net = coba({ n: 400, seed: 3 });
    const step = (t: u.Quantity) => packSpikes(net.step(t));
    const steps = 200;
    const times = u.math.arange(u.ms(0), u.ms(steps * 0.1 - 0.05), u.ms(0.1));
    const run = async (profile: boolean) => {
      brainstate.nn.initAllStates(net);
      const out = await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, times, { lowering, profile })) as Tensor;
      return { data: Array.from(out.data), info: brainstate.transform.lastRun()! };
    };
    const plain = await run(false);
    const timed = await run(true);
    expect(timed.data).toEqual(plain.data);
    expect(plain.info.profile).toBeUndefined();
    if (!ctx.device.features.has('timestamp-query')) {
      expect(timed.info.profile).toBeUndefined();
      return;
    }
    const p = timed.info.profile!;
    expect(p.kernels.length).toBe(timed.info.kernels);
    expect(p.steps).toBeGreaterThan(0);
    expect(p.steps).toBeLessThanOrEqual(steps);
    for (const k of p.kernels) {
      expect(k.kernel).toMatch(/^(k\d+_|wave_|persistent)/);
      expect(k.parts).toMatch(/k\d+_|persistent workgroup/);
      expect(k.dispatches).toBeGreaterThan(0);
      expect(k.ms).toBeGreaterThanOrEqual(0);
    }
    const total = p.kernels.reduce((a, k) => a + k.ms, 0);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(timed.info.wallMs);
  });
});

describe('compiler knobs', () => {
  it('registers off, a smaller persistent workgroup, shorter rounds, unmerged waves: the same spikes', async () => {
    const net = coba({ n: 600, seed: 5 });
    const step = (t: u.Quantity) => packSpikes(net.step(t));
    const steps = 150;
    const times = u.math.arange(u.ms(0), u.ms(steps * 0.1 - 0.05), u.ms(0.1));
    const run = async (lowering: 'persistent-workgroup' | 'dispatch-chain', compiler: brainstate.transform.CompilerOptions) => {
      brainstate.nn.initAllStates(net);
      const out = await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, times, { lowering, compiler })) as Tensor;
      return Array.from(out.data);
    };
    const base = await run('persistent-workgroup', {});
    expect(base.some((w) => w !== 0)).toBe(true);
    expect(await run('persistent-workgroup', { registers: false })).toEqual(base);
    expect(await run('persistent-workgroup', { maxWorkgroupSize: 128, stepsPerRound: 7 })).toEqual(base);
    expect(await run('dispatch-chain', { mergeWaves: false })).toEqual(base);
    // the knobs reach the shader: no register arrays without registers; 128 invocations when asked
    const g = brainstate.transform.graphsOf(step)[0]!.optimized;
    expect(lower(g, 10, { lowering: 'persistent-workgroup', maxStorageBuffers: 16, maxWorkgroupSize: 128 }).kernels[0]!.wgsl).toMatch(/@workgroup_size\(128\)/);
    expect(() => lower(g, 10, { stepsPerRound: 2.5 })).toThrow(/lower: stepsPerRound must be an integer >= 1, got 2.5/);
    expect(() => lower(g, 10, { maxWorkgroupSize: 16 })).toThrow(/lower: maxWorkgroupSize must be an integer >= 32/);
    const bad = (compiler: brainstate.transform.CompilerOptions) => brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, times, { lowering: 'persistent-workgroup', compiler }));
    await expect(bad({ stepsPerRound: Number.NaN })).rejects.toThrow(/forLoop: compiler.stepsPerRound must be an integer >= 1, got NaN/);
    await expect(bad({ maxWorkgroupSize: 300.5 })).rejects.toThrow(/forLoop: compiler.maxWorkgroupSize must be an integer >= 32/);
    await expect(bad({ registers: 'no' as never })).rejects.toThrow(/forLoop: compiler.registers must be true or false/);
    await expect(bad('fast' as never)).rejects.toThrow(/forLoop: compiler must be an object of options \(known: maxWorkgroupSize/);
    await expect(bad({ stepPerRound: 4 } as never)).rejects.toThrow(/forLoop: unknown compiler option 'stepPerRound' \(known: maxWorkgroupSize, stepsPerRound, registers, mergeWaves\)/);
    // the options are checked on the interpreter too, and profile must be a boolean
    await expect(brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, times, { lowering: 'interpret', compiler: { mergeWaves: 1 as never } }))).rejects.toThrow(/forLoop: compiler.mergeWaves must be true or false, got 1/);
    await expect(brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, times, { lowering: 'persistent-workgroup', profile: 'yes' as never }))).rejects.toThrow(/forLoop: profile must be true or false, got yes/);
    expect(lower(g, 10, { lowering: 'persistent-workgroup', maxStorageBuffers: 16 }).kernels[0]!.wgsl).toMatch(/var<private> p\d+/);
    expect(lower(g, 10, { lowering: 'persistent-workgroup', maxStorageBuffers: 16, registers: false }).kernels[0]!.wgsl).not.toMatch(/var<private> p\d+/);
  });
});

describe('profile and knobs under grad', () => {
  it('the forward and reverse runs report their kernels; knobs change nothing in the gradients', async () => {
    const { ParamState, HiddenState } = brainstate;
    const { ops } = await import('@spiketrace/compiler');
    const w = new ParamState(Tensor.fromArray([0.3, 0.7, 1.1]), { name: 'w' });
    const v = new HiddenState(Tensor.full([3], 0), { name: 'v' });
    const xs = Tensor.fromArray(Float32Array.from({ length: 40 * 3 }, (_, i) => (i % 5) / 4), [40, 3]);
    const grad = (opts: { profile?: boolean; compiler?: brainstate.transform.CompilerOptions }) => brainstate.transform.grad(async () => {
      v.value = Tensor.full([3], 0);
      const ys = await brainstate.transform.forLoop((x: Tensor) => {
        const nv = ops.add(ops.mul(v.value as Tensor, 0.9), ops.mul(x, w.value as Tensor));
        v.value = nv;
        return ops.reduce('sum', nv);
      }, xs, { lowering: 'dispatch-chain', ...opts }) as Tensor;
      return ops.reduce('sum', ops.mul(ys, ys));
    }, { gradStates: w })() as Promise<Tensor>;
    const plain = Array.from((await grad({})).data);
    brainstate.transform.runGraphProfile(true);
    const timed = Array.from((await grad({ profile: true, compiler: { mergeWaves: false } })).data);
    expect(timed).toEqual(plain);
    const ctx = await acquireDevice();
    const kernels = Object.keys(brainstate.transform.runGraphProfile().kernelMs);
    if (ctx.device.features.has('timestamp-query')) {
      expect(kernels.some((k) => /reverse/.test(k))).toBe(true);
      expect(kernels.length).toBeGreaterThan(1);
    }
  });
});
