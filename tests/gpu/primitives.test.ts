/**
 * Every primitive's WGSL against its CPU reference (evalCpu through the interpreter), on seeded
 * random non-zero inputs of many shapes: scalars, [1], sizes that are not multiples of the
 * 64-wide workgroup, 2-D and 3-D shapes, and broadcasting pairs. Many single-op checks share one
 * traced graph per shape family (see helpers/batch.ts), so a handful of pipelines covers them all.
 *
 * Tolerances (|gpu - ref| <= atol + rtol * |ref|, ref = the float32-rounded f64 result):
 *
 *   op                                   rtol     atol    why
 *   ---------------------------------------------------------------------------------------------
 *   add sub mul max min neg abs sign      0        0      IEEE correctly rounded in WGSL and in
 *   floor ceil round (on grid values),                    the reference (f64 then rounded to f32)
 *   compare, where, cast, not and or,
 *   all i32 ops, reshape, rmax rmin
 *   div                                   3e-7     0      WGSL: 2.5 ulp
 *   sqrt rsqrt                            6e-7     0      WGSL: inverseSqrt 2 ulp, sqrt inherited
 *   mod (f32, a - b*trunc(a/b))           0        4e-6   |a| <= 4: a few ulp of |a| (cancellation)
 *   exp                                   2e-6     0      WGSL: 3 + 2|x| ulp, |x| <= 4 -> 11 ulp
 *   log                                   4e-7     5e-7   WGSL: 3 ulp, 2^-21 abs on [0.5, 2]
 *   sin cos                               0        2e-6   WGSL allows 2^-11 abs on [-pi, pi]; we ask
 *                                                         for ~20 ulp of 1 (lavapipe: ~1e-7)
 *   tanh sigmoid expm1 exprel log1p pow   2e-6     1e-7   a few ulp (inputs kept away from the
 *                                                         series thresholds; see the skipped
 *                                                         precision test at the end)
 *   sum (f32)                             1e-6     1e-6   same summation order on both sides
 *                                                         (row-major over the reduced axes), so
 *                                                         only rounding of contracted ops differs
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bind, ops, optimize, sizeOf, Tensor, type BinaryOp, type CompareOp, type DType, type Shape, type UnaryOp } from '@spiketrace/compiler';
import { acquireDevice, releaseDevice, type GpuContext } from '@spiketrace/runtime';
import { checkBatch, type BatchCase, type BatchInput } from '../helpers/batch.ts';
import { bools, grid, ints, mulberry32, randInt, uniform, type Rng } from '../helpers/random.ts';
import { traceGraph } from '../helpers/graph.ts';
import { EXACT, expectAllClose, runOnCpu, runOnGpu, type Tol } from '../helpers/gpu.ts';

const F32_TOL: Partial<Record<string, Tol>> = {
  div: { rtol: 3e-7, atol: 0 },
  sqrt: { rtol: 6e-7, atol: 0 },
  rsqrt: { rtol: 6e-7, atol: 0 },
  mod: { rtol: 0, atol: 4e-6 },
  exp: { rtol: 2e-6, atol: 0 },
  log: { rtol: 4e-7, atol: 5e-7 },
  sin: { rtol: 0, atol: 2e-6 },
  cos: { rtol: 0, atol: 2e-6 },
  tanh: { rtol: 2e-6, atol: 1e-7 },
  sigmoid: { rtol: 2e-6, atol: 1e-7 },
  expm1: { rtol: 2e-6, atol: 1e-7 },
  exprel: { rtol: 2e-6, atol: 1e-7 },
  log1p: { rtol: 2e-6, atol: 1e-7 },
  pow: { rtol: 2e-6, atol: 1e-7 },
  sum: { rtol: 1e-6, atol: 1e-6 },
};

function tolFor(op: string, dtype: DType): Tol {
  return dtype === 'f32' ? (F32_TOL[op] ?? EXACT) : EXACT;
}

function un(op: UnaryOp, x: Tensor, xName: string): BatchCase {
  return { label: `${op}(${xName})`, tol: tolFor(op, x.dtype), out: bind(op, [x], null) };
}
function bin(op: BinaryOp | CompareOp, a: Tensor, b: Tensor, an: string, bn: string): BatchCase {
  return { label: `${op}(${an}, ${bn})`, tol: tolFor(op, a.dtype), out: bind(op, [a, b], null) };
}

const T = 1; // single-op checks run one step; the xs slices are the whole input

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await acquireDevice();
});
afterAll(() => {
  releaseDevice();
});

function inp(name: string, dtype: DType, shape: Shape, data: BatchInput['data']): BatchInput {
  return { name, dtype, shape, data };
}

const UNARY_F32_GENERAL: UnaryOp[] = ['neg', 'abs', 'sign', 'exp', 'sin', 'cos', 'tanh', 'sigmoid', 'floor', 'ceil'];
/** exp(x) - 1 and log(1 + x) in float32 lose digits as |x| -> 0; these get |x| >= 0.5 (see the skipped test). */
const UNARY_F32_AWAY_FROM_0: UnaryOp[] = ['expm1', 'exprel', 'log1p'];
const UNARY_F32_GRID: UnaryOp[] = ['round', 'floor', 'ceil', 'sign', 'abs'];
const UNARY_F32_POSITIVE: UnaryOp[] = ['log', 'sqrt', 'rsqrt'];

function unaryInputs(rng: Rng, shape: Shape): BatchInput[] {
  const n = sizeOf(shape) * T;
  return [
    inp('g', 'f32', shape, uniform(rng, n, -4, 4, 0.01)),      // general, |x| <= 4
    inp('h', 'f32', shape, grid(rng, n, 4, 0.25)),             // grid: exact .5 ties for round
    inp('p', 'f32', shape, uniform(rng, n, 0.05, 8)),          // positive: log, sqrt, rsqrt
    inp('e', 'f32', shape, uniform(rng, n, -0.9, 4, 0.5)),     // |x| in [0.5, 4], > -1: expm1, exprel, log1p
    inp('i', 'i32', shape, ints(rng, n, -50, 50)),
    inp('b', 'bool', shape, bools(rng, n)),
  ];
}

function unaryCases(x: Record<string, Tensor>): BatchCase[] {
  return [
    ...UNARY_F32_GENERAL.map((op) => un(op, x.g as Tensor, 'g')),
    ...UNARY_F32_GRID.map((op) => un(op, x.h as Tensor, 'grid')),
    ...UNARY_F32_POSITIVE.map((op) => un(op, x.p as Tensor, 'p')),
    ...UNARY_F32_AWAY_FROM_0.map((op) => un(op, x.e as Tensor, 'e')),
    ...(['neg', 'abs', 'sign'] as const).map((op) => un(op, x.i as Tensor, 'i32')),
    un('not', x.b as Tensor, 'bool'),
    // spikes: the grid holds exact zeros (x >= 0 spikes there); stop_gradient is the identity
    { label: 'heaviside(grid)', tol: EXACT, out: bind('heaviside', [x.h as Tensor], { surrogate: 'ReluGrad', params: [0.3, 1] }) },
    { label: 'heaviside(g)', tol: EXACT, out: bind('heaviside', [x.g as Tensor], { surrogate: 'Sigmoid', params: [4] }) },
    { label: 'stop_gradient(g)', tol: EXACT, out: bind('stop_gradient', [x.g as Tensor], null) },
    { label: 'stop_gradient(i32)', tol: EXACT, out: bind('stop_gradient', [x.i as Tensor], null) },
  ];
}

const BIN_NUMERIC: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'mod'];
const BIN_I32: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'mod'];
const CMP: CompareOp[] = ['lt', 'le', 'gt', 'ge', 'eq', 'ne'];

/** Binary, compare and where inputs over a pair of shapes that broadcast. */
function binaryInputs(rng: Rng, sa: Shape, sb: Shape): BatchInput[] {
  const na = sizeOf(sa) * T, nb = sizeOf(sb) * T;
  return [
    inp('a', 'f32', sa, uniform(rng, na, -4, 4, 0.01)),
    inp('b', 'f32', sb, uniform(rng, nb, -4, 4, 0.01)),
    inp('ga', 'f32', sa, grid(rng, na, 2, 0.5)),   // coarse grid: equal pairs are common
    inp('gb', 'f32', sb, grid(rng, nb, 2, 0.5)),
    inp('pa', 'f32', sa, uniform(rng, na, 0.05, 8)),
    inp('eb', 'f32', sb, uniform(rng, nb, -3, 3, 0.01)),
    inp('ia', 'i32', sa, ints(rng, na, -1000, 1000)),
    inp('ib', 'i32', sb, ints(rng, nb, -40, 40)),
    inp('ja', 'i32', sa, ints(rng, na, -3, 3)),    // small ints: equal pairs are common
    inp('jb', 'i32', sb, ints(rng, nb, -3, 3)),
    inp('ba', 'bool', sa, bools(rng, na)),
    inp('bb', 'bool', sb, bools(rng, nb)),
  ];
}

function binaryCases(x: Record<string, Tensor>): BatchCase[] {
  const t = (k: string) => x[k] as Tensor;
  return [
    ...BIN_NUMERIC.map((op) => bin(op, t('a'), t('b'), 'a', 'b')),
    ...(['add', 'sub', 'mul', 'max', 'min'] as const).map((op) => bin(op, t('ga'), t('gb'), 'ga', 'gb')),
    bin('pow', t('pa'), t('eb'), 'pa', 'eb'),
    ...BIN_I32.map((op) => bin(op, t('ia'), t('ib'), 'ia', 'ib')),
    bin('and', t('ba'), t('bb'), 'ba', 'bb'),
    bin('or', t('ba'), t('bb'), 'ba', 'bb'),
    ...CMP.map((op) => bin(op, t('ga'), t('gb'), 'ga', 'gb')),
    ...CMP.map((op) => bin(op, t('ja'), t('jb'), 'ja', 'jb')),
    bin('eq', t('ba'), t('bb'), 'ba', 'bb'),
    bin('ne', t('ba'), t('bb'), 'ba', 'bb'),
    { label: 'where(ba, a, b)', tol: EXACT, out: bind('where', [t('ba'), t('a'), t('b')], null) },
    { label: 'where(bb, ia, ib)', tol: EXACT, out: bind('where', [t('bb'), t('ia'), t('ib')], null) },
    { label: 'where(ba, bb, ba)', tol: EXACT, out: bind('where', [t('ba'), t('bb'), t('ba')], null) },
    { label: 'where(lt(ga, gb), ga, gb)', tol: EXACT, out: bind('where', [bind('lt', [t('ga'), t('gb')], null), t('ga'), t('gb')], null) },
  ];
}

function castInputs(rng: Rng, shape: Shape): BatchInput[] {
  const n = sizeOf(shape) * T;
  const z = grid(rng, n, 2, 0.5);
  const iz = ints(rng, n, -5, 5);
  for (let k = 0; k < n; k += 3) { z[k] = 0; iz[k] = 0; } // zeros, so casts to bool give false too
  return [
    inp('w', 'f32', shape, uniform(rng, n, -1000, 1000, 0.01)),
    inp('z', 'f32', shape, z),
    inp('i', 'i32', shape, ints(rng, n, -100000, 100000)),
    inp('iz', 'i32', shape, iz),
    inp('b', 'bool', shape, bools(rng, n)),
  ];
}

function castCases(x: Record<string, Tensor>): BatchCase[] {
  const c = (k: string, to: DType): BatchCase => ({ label: `cast(${k} -> ${to})`, tol: EXACT, out: bind('cast', [x[k] as Tensor], { to }) });
  return [c('w', 'i32'), c('z', 'i32'), c('z', 'bool'), c('i', 'f32'), c('iz', 'bool'), c('b', 'f32'), c('b', 'i32'), c('w', 'f32')];
}

describe('unary primitives match evalCpu', () => {
  const shapes: Shape[] = [[], [1], [7], [65], [130], [1000], [4, 6], [3, 5, 2]];
  it.each(shapes.map((s) => [JSON.stringify(s), s] as const))('shape %s', async (_, shape) => {
    const rng = mulberry32(1000 + sizeOf(shape) * 7 + shape.length);
    await checkBatch(ctx, `unary${JSON.stringify(shape)}`, unaryInputs(rng, shape), T, unaryCases);
  });
});

describe('binary, compare and where primitives match evalCpu', () => {
  const pairs: [Shape, Shape][] = [
    [[], []], [[7], [7]], [[65], [65]], [[1000], [1000]], [[4, 6], [4, 6]],
    // broadcasting
    [[3, 1], [1, 5]], [[4, 6], [6]], [[], [5]], [[130], []], [[2, 1, 4], [3, 1]],
  ];
  it.each(pairs.map(([a, b]) => [`${JSON.stringify(a)} with ${JSON.stringify(b)}`, a, b] as const))('%s', async (_, sa, sb) => {
    const rng = mulberry32(2000 + sizeOf(sa) * 31 + sizeOf(sb));
    await checkBatch(ctx, `binary${JSON.stringify(sa)}x${JSON.stringify(sb)}`, binaryInputs(rng, sa, sb), T, binaryCases);
  });
});

describe('cast matches evalCpu', () => {
  it.each([[[] as Shape], [[65] as Shape], [[3, 5] as Shape]])('shape %j', async (shape) => {
    const rng = mulberry32(3000 + sizeOf(shape));
    await checkBatch(ctx, `cast${JSON.stringify(shape)}`, castInputs(rng, shape), T, castCases);
  });
});

describe('u32 primitives match evalCpu', () => {
  it('binary, compare, where, abs, casts and reductions on u32 (neg and sign are refused)', async () => {
    const rng = mulberry32(7100);
    const n = 130;
    const u32 = (lo: number, hi: number) => Uint32Array.from(ints(rng, n, lo, hi), (v) => Math.abs(v));
    await checkBatch(ctx, 'u32', [
      inp('ua', 'u32', [n], u32(1, 100000)), inp('ub', 'u32', [n], u32(1, 300)),
      inp('uc', 'u32', [n], u32(1, 4)), inp('ud', 'u32', [n], u32(1, 4)), inp('bb', 'bool', [n], bools(rng, n)),
      inp('f', 'f32', [n], uniform(rng, n, 0.5, 5000, 0.01)),
    ], T, (x) => {
      const t = (k: string) => x[k] as Tensor;
      return [
        ...(['add', 'mul', 'div', 'max', 'min', 'mod'] as const).map((op) => bin(op, t('ua'), t('ub'), 'ua', 'ub')),
        bin('sub', t('ua'), t('ub'), 'ua', 'ub'), // wraps below 0 like WGSL
        ...CMP.map((op) => bin(op, t('uc'), t('ud'), 'uc', 'ud')),
        un('abs', t('ua'), 'ua'),
        { label: 'where(bb, ua, ub)', tol: EXACT, out: bind('where', [t('bb'), t('ua'), t('ub')], null) },
        { label: 'cast f32 -> u32', tol: EXACT, out: bind('cast', [t('f')], { to: 'u32' }) },
        { label: 'cast u32 -> f32', tol: EXACT, out: bind('cast', [t('ub')], { to: 'f32' }) },
      ];
    });
    const u = Tensor.fromArray([1, 2], [2], 'u32');
    expect(() => bind('neg', [u], null)).toThrow(/neg needs a signed input, got u32/);
    expect(() => bind('sign', [u], null)).toThrow(/sign needs a signed input/);
  });
});

describe('global primitives (reductions, reshape) match evalCpu', () => {
  it('sum / rmax / rmin over axes, with and without keepdims; reshape', async () => {
    const rng = mulberry32(4000);
    // i32 data with alternating signs by flat index, so every reduced slice holds both signs
    // (see the skipped test below for what happens otherwise)
    const mixed = (n: number) => Int32Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (1 + Math.floor(rng() * 1000)));
    const inputs: BatchInput[] = [
      inp('m', 'f32', [5, 7], uniform(rng, 35, -4, 4, 0.01)),
      inp('c', 'f32', [2, 3, 4], uniform(rng, 24, -4, 4, 0.01)),
      inp('v', 'f32', [1000], uniform(rng, 1000, -4, 4, 0.01)),
      inp('u', 'f32', [130], uniform(rng, 130, 0.05, 4)),
      inp('s', 'f32', [], uniform(rng, 1, -4, 4, 0.01)),
      inp('im', 'i32', [5, 7], mixed(35)),
      inp('ic', 'i32', [2, 3, 4], mixed(24)),
      inp('bm', 'bool', [4, 6], bools(rng, 24)),
    ];
    await checkBatch(ctx, 'global', inputs, T, (x) => {
      const t = (k: string) => x[k] as Tensor;
      const cases: BatchCase[] = [];
      const red = (op: 'sum' | 'rmax' | 'rmin', k: string, axes: number[] | undefined, keepdims: boolean) => {
        const src = t(k);
        cases.push({
          label: `${op}(${k}, axes=${JSON.stringify(axes ?? 'all')}, keepdims=${keepdims})`,
          tol: tolFor(op, src.dtype), out: ops.reduce(op, src, axes, keepdims),
        });
      };
      for (const op of ['sum', 'rmax', 'rmin'] as const) {
        for (const keep of [false, true]) {
          red(op, 'm', [0], keep);
          red(op, 'm', [1], keep);
          red(op, 'm', undefined, keep);
          red(op, 'c', [0, 2], keep);
          red(op, 'c', [-2], keep);
          red(op, 'im', [0], keep);
          red(op, 'ic', [0, 2], keep);
        }
        red(op, 'v', undefined, false);
        red(op, 'u', [0], true);
      }
      const rs = (k: string, shape: number[], src = t(k)): BatchCase => ({ label: `reshape(${k} -> ${JSON.stringify(shape)})`, tol: EXACT, out: ops.reshape(src, shape) });
      cases.push(rs('m', [35]), rs('m', [7, 5]), rs('c', [4, 6]), rs('c', [24, 1]), rs('s', [1, 1]), rs('im', [35]), rs('bm', [24]));
      // a reshape of a computed (temp) value, and elementwise work after a global op
      cases.push({ label: 'reshape(neg(c)) + m-row', tol: EXACT, out: ops.add(ops.reshape(ops.neg(t('c')), [6, 4]), ops.reshape(t('c'), [6, 4])) });
      cases.push({ label: 'm - rmax(m, 1, keepdims)', tol: EXACT, out: ops.sub(t('m'), ops.reduce('rmax', t('m'), 1, true)) });
      cases.push({ label: 'sum(exp(m - rmax(m)))', tol: { rtol: 4e-6, atol: 1e-6 }, out: ops.reduce('sum', bind('exp', [ops.sub(t('m'), ops.reduce('rmax', t('m'), 1, true))], null), 1) });
      return cases;
    });
  });
});

describe('put_row: a row written at a run-time index', () => {
  it('the CPU reference replaces the clamped row; bad rows are refused', () => {
    const x = Tensor.fromArray(Float32Array.from({ length: 6 }, (_, i) => i), [3, 2]);
    expect(Array.from(ops.putRow(x, 1, Tensor.fromArray([9, 8])).data)).toEqual([0, 1, 9, 8, 4, 5]);
    expect(Array.from(ops.putRow(x, 7, Tensor.fromArray([9, 8])).data)).toEqual([0, 1, 2, 3, 9, 8]);
    expect(() => ops.putRow(x, 1.5, Tensor.fromArray([9, 8]))).toThrow(/putRow: a row index must be an integer, got 1.5/);
    expect(() => ops.takeRow(x, NaN)).toThrow(/takeRow: a row index must be an integer, got NaN/);
    expect(() => ops.putRow(x, 0, Tensor.fromArray([1, 2, 3]))).toThrow(/put_row: the row must be f32 \[2\] \(a row of x\), got f32 \[3\]/);
  });

  it.each(['dispatch-chain', 'persistent-workgroup'] as const)('a ring buffer State written in place, a copy when read after the write (%s)', async (lowering) => {
    const rng = mulberry32(66);
    const L = 5, n = 37, steps = 13;
    const h0 = Float32Array.from({ length: L * n }, () => rng());
    const trace = (readAfter: boolean) => traceGraph(`ring-${readAfter}`, (k) => {
      const hist = k.state('hist', Tensor.fromArray(h0, [L, n]));
      const ptr = k.state('ptr', Tensor.scalar(0, 'i32'));
      const x = k.xs(0, 'f32', [n]);
      const p = ptr.read();
      const before = hist.read();
      const old = ops.takeRow(before, ops.binary('mod', ops.add(p, 2), L)); // read before the write
      const v = ops.add(x, old);
      hist.write(ops.putRow(before, p, v));
      ptr.write(ops.binary('mod', ops.add(p, 1), L));
      // the old buffer read in a phase after the write's (it waits for a sum of the new row): the write must copy
      return { ys: [old, ...(readAfter ? [ops.mul(before, ops.reduce('sum', v))] : [])] };
    });
    for (const readAfter of [false, true]) {
      const tr = trace(readAfter);
      const g = optimize(tr.graph, { verifyEach: true });
      const xs = [Float32Array.from({ length: steps * n }, () => rng())];
      const inputs = { xs, states: tr.states, captured: tr.captured };
      const gpu = await runOnGpu(ctx, g, steps, inputs, lowering);
      const cpu = runOnCpu(g, steps, inputs);
      const put = gpu.plan.kernels.find((k) => /put_row/.test(k.wgsl));
      expect(put, 'a put_row kernel').toBeDefined();
      const histBuf = gpu.plan.buffers.find((b) => b.role === 'state' && b.shape.join() === `${L},${n}`)!;
      expect(histBuf.pingPong, `double-buffered when read after the write (${readAfter})`).toBe(readAfter);
      for (let y = 0; y < cpu.ys.length; y++) expectAllClose(gpu.ys[y], cpu.ys[y], EXACT, `y${y} (${lowering}, read after ${readAfter})`);
      for (const [slot, v] of cpu.states) expectAllClose(gpu.states.get(slot), v, EXACT, `state ${slot} (${lowering}, read after ${readAfter})`);
    }
  });
});

describe('put_row at indices outside the rows', () => {
  it.each(['dispatch-chain', 'persistent-workgroup'] as const)('clamped on both sides, f32, i32 and bool States (%s)', async (lowering) => {
    const rng = mulberry32(88);
    const L = 6, steps = 9;
    const f0 = Float32Array.from({ length: L * 37 }, () => rng() * 8 - 4);
    const i0 = Int32Array.from({ length: L * 5 }, () => Math.floor(rng() * 2000) - 1000);
    const b0 = Uint8Array.from({ length: L * 33 }, () => (rng() < 0.5 ? 1 : 0));
    const idx = Int32Array.from({ length: steps }, (_, t) => [-3, 2, 9, 0, 5, -1, 6, 4, 100][t]!);
    const fx = Float32Array.from({ length: steps * 37 }, () => rng() * 8 - 4);
    const tr = traceGraph('put-row-clamp', (k) => {
      const f = k.state('f', Tensor.fromArray(f0, [L, 37]));
      const i = k.state('i', Tensor.fromArray(i0, [L, 5], 'i32'));
      const b = k.state('b', Tensor.fromArray(b0, [L, 33], 'bool'));
      const at = k.xs(0, 'i32', []);
      const x = k.xs(1, 'f32', [37]);
      f.write(ops.putRow(f.read(), at, x));
      i.write(ops.putRow(i.read(), at, ops.cast(ops.mul(ops.sliceAxis(x, 0, 5), 100), 'i32')));
      b.write(ops.putRow(b.read(), at, ops.compare('gt', ops.sliceAxis(x, 0, 33), 0)));
      return { ys: [] };
    });
    const g = optimize(tr.graph, { verifyEach: true });
    const inputs = { xs: [idx, fx], states: tr.states, captured: tr.captured };
    const gpu = await runOnGpu(ctx, g, steps, inputs, lowering);
    const cpu = runOnCpu(g, steps, inputs);
    // independent: replay the writes with the clamp
    const want = Float32Array.from(f0);
    for (let t = 0; t < steps; t++) want.set(fx.subarray(t * 37, (t + 1) * 37), Math.min(Math.max(idx[t]!, 0), L - 1) * 37);
    expect(Array.from(cpu.states.get(0)!)).toEqual(Array.from(want));
    for (const [slot, v] of cpu.states) expectAllClose(gpu.states.get(slot), v, EXACT, `state ${slot} (${lowering})`);
  });
});

describe('slice and pad', () => {
  /** Independent: numpy-style x[start:end] by nested coordinates. */
  function sliceRef(x: ArrayLike<number>, shape: number[], start: number[], end: number[]): number[] {
    const out: number[] = [];
    const walk = (k: number, off: number) => {
      if (k === shape.length) { out.push(x[off]!); return; }
      const stride = shape.slice(k + 1).reduce((a, d) => a * d, 1);
      for (let c = start[k]!; c < end[k]!; c++) walk(k + 1, off + c * stride);
    };
    walk(0, 0);
    return out;
  }

  it('CPU reference against numpy-style indexing; pad is zeros around; bad windows are refused', () => {
    const x = Tensor.fromArray(Float32Array.from({ length: 24 }, (_, i) => i + 1), [2, 3, 4]);
    expect(Array.from(ops.slice(x, [1, 0, 1], [2, 2, 3]).data)).toEqual(sliceRef(x.data, [2, 3, 4], [1, 0, 1], [2, 2, 3]));
    expect(Array.from(ops.sliceAxis(x, 2, 4).data)).toEqual(sliceRef(x.data, [2, 3, 4], [0, 0, 2], [2, 3, 4]));
    const p = ops.pad(Tensor.fromArray([1, 2, 3, 4], [2, 2]), [1, 0], [0, 2]);
    expect(p.shape).toEqual([3, 4]);
    expect(Array.from(p.data)).toEqual([0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0]);
    expect(() => ops.slice(x, [0, 0, 3], [2, 3, 5])).toThrow(/slice: axis 2 of \[2, 3, 4\] cannot be sliced 3:5/);
    expect(() => ops.slice(x, [0, 0], [2, 3])).toThrow(/slice: start must list one non-negative integer per axis \(3\)/);
    expect(() => ops.pad(x, [0, -1, 0], [0, 0, 0])).toThrow(/pad: low must list one non-negative integer per axis/);
    expect(() => ops.sliceAxis(x, 0, 1, 3)).toThrow(/sliceAxis: axis 3 is not an axis of shape \[2, 3, 4\]/);
    expect(() => ops.sliceAxis(x, 0, 1, 0.5)).toThrow(/sliceAxis: axis 0.5 is not an axis/);
  });

  it.each(['dispatch-chain', 'persistent-workgroup'] as const)('GPU equals the reference: f32, i32 and bool, windows on every axis, slices of computed values (%s)', async (lowering) => {
    const rng = mulberry32(55);
    const steps = 3;
    const tr = traceGraph('slice-pad', (k) => {
      const x = k.xs(0, 'f32', [3, 5, 7]);
      const v = k.xs(1, 'f32', [4000]);
      const iv = Tensor.fromArray(Int32Array.from({ length: 30 }, () => randInt(rng, -9, 9)), [5, 6], 'i32');
      const b = ops.compare('gt', v, 0.5);
      return {
        ys: [
          ops.slice(x, [1, 2, 0], [3, 5, 4]),
          ops.mul(ops.sliceAxis(v, 0, 3200), 2), // brainpy's spk[:nE], then elementwise work
          ops.sliceAxis(b, 3200, 4000),
          ops.pad(x, [0, 1, 2], [1, 0, 3]),
          ops.pad(ops.slice(iv, [1, 1], [4, 5]), [2, 0], [0, 1]),
          ops.pad(b, [5], [7]),
        ],
      };
    });
    const g = optimize(tr.graph, { verifyEach: true });
    const xs = [Float32Array.from({ length: steps * 105 }, () => rng() * 2 - 1), Float32Array.from({ length: steps * 4000 }, () => rng())];
    const inputs = { xs, captured: tr.captured };
    const gpu = await runOnGpu(ctx, g, steps, inputs, lowering);
    const cpu = runOnCpu(g, steps, inputs);
    const x0 = xs[0]!.subarray(0, 105);
    expect(Array.from(cpu.ys[0]!.subarray(0, 24))).toEqual(sliceRef(x0, [3, 5, 7], [1, 2, 0], [3, 5, 4]));
    for (let y = 0; y < 6; y++) expectAllClose(gpu.ys[y], cpu.ys[y], EXACT, `output ${y} (${lowering})`);
  });
});

describe('take_row: a row at a run-time index', () => {
  it('the CPU reference clamps the index; the rule refuses a non-scalar or non-i32 index', () => {
    const x = Tensor.fromArray(Float32Array.from({ length: 12 }, (_, i) => i), [4, 3]);
    expect(Array.from(ops.takeRow(x, 2).data)).toEqual([6, 7, 8]);
    expect(Array.from(ops.takeRow(x, -5).data)).toEqual([0, 1, 2]);
    expect(Array.from(ops.takeRow(x, 9).data)).toEqual([9, 10, 11]);
    expect(() => bind('take_row', [x, Tensor.fromArray([1, 2], [2], 'i32')], null)).toThrow(/the index must be an i32 scalar, got i32 \[2\]/);
    expect(() => bind('take_row', [x, Tensor.scalar(1)], null)).toThrow(/the index must be an i32 scalar, got f32/);
    expect(() => bind('take_row', [Tensor.scalar(1), Tensor.scalar(0, 'i32')], null)).toThrow(/at least one row/);
  });

  it.each(['dispatch-chain', 'persistent-workgroup'] as const)('literal first operands (uniform arrays the tracer folds) of take_row, event_gather and event_outer (%s)', async (lowering) => {
    const idx = Tensor.fromArray(Int32Array.from([0, 2, 1, 1]), [2, 2], 'i32');
    const tr = traceGraph('literal-src', (k) => {
      const at = k.xs(0, 'i32', []);
      const x = k.xs(1, 'f32', [3]);
      return {
        ys: [
          ops.takeRow(Tensor.full([4, 3], 2.5), at),
          ops.eventGather(Tensor.full([3], 1.5), idx, Tensor.fromArray([1, 2, 3, 4], [2, 2])),
          ops.eventOuter(Tensor.full([2], 1), x, idx),
        ],
      };
    });
    const g = optimize(tr.graph, { verifyEach: true });
    const inputs = { xs: [Int32Array.from([1, 7]), Float32Array.from([1, 2, 3, 4, 5, 6])], captured: tr.captured };
    const gpu = await runOnGpu(ctx, g, 2, inputs, lowering);
    const cpu = runOnCpu(g, 2, inputs);
    expect(Array.from(cpu.ys[0]!)).toEqual(new Array(6).fill(2.5));
    expect(Array.from(cpu.ys[1]!)).toEqual([4.5, 10.5, 4.5, 10.5]);
    expect(Array.from(cpu.ys[2]!)).toEqual([1, 3, 2, 2, 4, 6, 5, 5]);
    for (let y = 0; y < 3; y++) expectAllClose(gpu.ys[y], cpu.ys[y], EXACT, `output ${y} (${lowering})`);
  });

  it.each(['dispatch-chain', 'persistent-workgroup'] as const)('a per-step index and a ring pointer State, f32, i32 and bool rows (%s)', async (lowering) => {
    const rng = mulberry32(77);
    const L = 7, steps = 12;
    const hist = Float32Array.from({ length: L * 2 * 37 }, () => rng() * 8 - 4);
    const ints = Int32Array.from({ length: L * 5 }, () => Math.floor(rng() * 2000) - 1000);
    const flags = Uint8Array.from({ length: L * 65 }, () => (rng() < 0.5 ? 1 : 0));
    // indices in range and out of it on both sides (clamped)
    const idx = Int32Array.from({ length: steps }, (_, t) => [3, 0, 6, -2, 11, 5][t % 6]!);
    const tr = traceGraph('take-row', (k) => {
      const ptr = k.state('ptr', Tensor.scalar(0, 'i32'));
      const row = ptr.read();
      ptr.write(ops.binary('mod', ops.add(row, 1), L));
      const at = k.xs(0, 'i32', []);
      const h = Tensor.fromArray(hist, [L, 2, 37]);
      return {
        ys: [
          ops.takeRow(h, at),
          ops.mul(ops.takeRow(h, row), 2), // elementwise work after the global op
          ops.takeRow(Tensor.fromArray(ints, [L, 5], 'i32'), ops.binary('mod', ops.add(row, 3), L)), // a computed index
          ops.takeRow(Tensor.fromArray(flags, [L, 65], 'bool'), at),
        ],
      };
    });
    const g = optimize(tr.graph, { verifyEach: true });
    const inputs = { xs: [idx], states: tr.states, captured: tr.captured };
    const gpu = await runOnGpu(ctx, g, steps, inputs, lowering);
    const cpu = runOnCpu(g, steps, inputs);
    const clamp = (r: number) => Math.min(Math.max(r, 0), L - 1);
    for (let t = 0; t < steps; t++) {
      const r0 = clamp(idx[t]!), p = t % L;
      expect(Array.from(cpu.ys[0]!.subarray(t * 74, (t + 1) * 74))).toEqual(Array.from(hist.subarray(r0 * 74, (r0 + 1) * 74)));
      expect(Array.from(cpu.ys[2]!.subarray(t * 5, (t + 1) * 5))).toEqual(Array.from(ints.subarray(((p + 3) % L) * 5, ((p + 3) % L + 1) * 5)));
    }
    for (let y = 0; y < 4; y++) expectAllClose(gpu.ys[y], cpu.ys[y], EXACT, `take_row output ${y} (${lowering})`);
  });
});

describe('per-step slicing and stacking', () => {
  // xs of shape [T, ...] must be sliced per step, ys stacked as [T, ...], states threaded through
  const steps = 5;
  const build = () => traceGraph('steps', (k) => {
    const x = k.xs(0, 'f32', [3, 4]);
    const s = k.xs(1, 'f32', []);
    const i = k.xs(2, 'i32', [4]);
    const acc = k.state('acc', Tensor.scalar(0));
    const v = k.state('v', fromArr([0.5, -0.25, 1, 2]));
    const nv = ops.add(ops.mul(v.read(), s), ops.reduce('sum', x, 0));
    v.write(nv);
    acc.write(ops.add(acc.read(), s));
    return { ys: [ops.mul(x, s), ops.add(i, bind('cast', [s], { to: 'i32' })), nv, acc.read(), bind('gt', [x, s], null)] };
  });
  const rng = mulberry32(5000);
  const xs = [grid(rng, steps * 12, 4, 0.25), grid(rng, steps, 2, 0.5), ints(rng, steps * 4, -9, 9)];

  it.each(['dispatch-chain'] as const)('%s', async (lowering) => {
    const t = build();
    const cpu = runOnCpu(t.graph, steps, { xs, states: t.states });
    const gpu = await runOnGpu(ctx, t.graph, steps, { xs, states: t.states }, lowering);
    expect(gpu.plan.lowering).toBe(lowering);
    cpu.ys.forEach((y, k) => expectAllClose(gpu.ys[k], y, EXACT, `y#${k}`));
    for (const [slot, v] of cpu.states) expectAllClose(gpu.states.get(slot), v, EXACT, `state#${slot}`);
    // spot-check the stacking against a direct computation: y#0 at step t is x_t * s_t
    for (let st = 0; st < steps; st++) {
      for (let j = 0; j < 12; j++) {
        expect(gpu.ys[0]![st * 12 + j]).toBe(Math.fround(xs[0]![st * 12 + j]! * xs[1]![st]!));
      }
    }
  });

  it.each([['temporal-fusion', 2000], ['temporal-fusion', 2], ['dispatch-chain', 1]] as const)('elementwise step under %s (stepsPerRound %d)', async (lowering, spr) => {
    const t = traceGraph('steps-ew', (k) => {
      const x = k.xs(0, 'f32', [3, 4]);
      const s = k.xs(1, 'f32', []);
      const v = k.state('v', fromArr([0.5, -0.25, 1, 2]));
      const nv = ops.add(ops.mul(v.read(), s), x);  // [3, 4]: broadcasts v
      v.write(bind('max', [v.read(), s], null));
      return { ys: [nv, ops.mul(s, 2), v.read()] };
    });
    const cpu = runOnCpu(t.graph, steps, { xs, states: t.states });
    const gpu = await runOnGpu(ctx, t.graph, steps, { xs, states: t.states }, lowering, { stepsPerRound: spr });
    expect(gpu.plan.lowering).toBe(lowering);
    cpu.ys.forEach((y, k) => expectAllClose(gpu.ys[k], y, EXACT, `y#${k}`));
    for (const [slot, v] of cpu.states) expectAllClose(gpu.states.get(slot), v, EXACT, `state#${slot}`);
  });
});

function fromArr(v: number[]): Tensor {
  return Tensor.fromArray(v);
}

/**
 * Known bugs, found by this file. Each test states what the fix must make true; un-skip it with
 * the fix.
 */
/** Regression tests for bugs these tests found (all fixed); the comments keep the original diagnosis. */
const knownBug = it;

describe('regressions (bugs found here, now fixed)', () => {
  // FIXED (was a bug) compiler/src/primitives/elementwise.ts `compare(op).infer`: it accepts bool operands for
  // every compare op, but WGSL has no `<`, `<=`, `>`, `>=` on bool, so the kernel fails to compile
  // ("no matching overload for 'operator < (bool, bool)'"). Reachable from ops.compare('lt', b1, b2)
  // with two bool tensors. Fix: reject bool in infer for lt/le/gt/ge, or emit through u32.
  it('lt/le/gt/ge on bool operands: refused by the rule, cast by ops.compare', async () => {
    const rng = mulberry32(6000);
    const p = Tensor.fromArray(bools(rng, 9), [9], 'bool');
    expect(() => bind('lt', [p, p], null)).toThrow(/lt needs numeric operands, got bool/);
    await checkBatch(ctx, 'bool-order', [inp('p', 'bool', [9], bools(rng, 9)), inp('q', 'bool', [9], bools(rng, 9))], T, (x) =>
      (['lt', 'le', 'gt', 'ge'] as const).map((op) => ({ label: `${op}(p,q)`, out: ops.compare(op, x.p as Tensor, x.q as Tensor), tol: EXACT })));
  });

  // FIXED (was a bug) compiler/src/primitives/elementwise.ts WGSL_HELPERS.st_round: floor(x + 0.5) rounds x + 0.5
  // to float32 first, so round(0.49999997) = 1 (ref: 0), round(-0.49999997) = -1 (ref: -0) and
  // round(8388609) = 8388610 (ref: 8388609; every odd integer in [2^23, 2^24) is off by one).
  // The reference computes x + 0.5 in f64, which is right. Fix e.g.:
  // `let r = trunc(x); return select(r, r + sign(x), abs(x - r) >= 0.5);`
  knownBug('regression: round is off by one just below .5 and for odd integers >= 2^23', async () => {
    const v = Float32Array.from([0.49999997, -0.49999997, 8388609, -8388611, 2.5, -2.5, 1.4999999]);
    await checkBatch(ctx, 'round-edges', [inp('x', 'f32', [v.length], v)], T, (x) => [un('round', x.x as Tensor, 'x')]);
  });

  // FIXED (was a bug) compiler/src/primitives/elementwise.ts WGSL_HELPERS st_expm1 / st_exprel / st_log1p: outside
  // the tiny series windows (|x| < 1e-3 for expm1/exprel, |x| < 1e-4 for log1p) they compute
  // exp(x) - 1 and log(1 + x) in float32, whose relative error is about 2^-24 / |x|: measured on
  // lavapipe 2.4e-5 for expm1(1.001e-3), 2.4e-5 for exprel(1e-3), 3e-4 for log1p(1.01e-4), and still
  // ~5e-6 at |x| ~ 0.04. The references (Math.expm1, Math.log1p) are accurate to the last bit.
  // Fix: widen the series (more terms up to |x| ~ 0.5), or use the classic compensated forms
  // (u = exp(x); (u - 1) * x / log(u)) and (u = 1 + x; log(u) * x / (u - 1)).
  knownBug('regression: expm1 / exprel / log1p lose precision for small |x| just outside their series windows', async () => {
    const rng = mulberry32(6001);
    const small = uniform(rng, 200, -0.1, 0.1, 1e-4);
    await checkBatch(ctx, 'small-x', [inp('x', 'f32', [200], small)], T, (x) =>
      (['expm1', 'exprel', 'log1p'] as const).map((op) => un(op, x.x as Tensor, 'x')));
  });

  // FIXED (was a bug) compiler/src/primitives/reduce.ts (reduce().evalCpu): `data.fill(d.identity)` fills an
  // Int32Array with -Infinity / +Infinity, which become 0, so the CPU reference (interpreter) of
  // rmax over all-negative i32 values returns 0 (GPU: the true max), and rmin over all-positive
  // i32 values returns 0. Also `combine` for sum is Math.fround(a + x) for every dtype, so an i32
  // sum whose partial sums pass 2^24 is rounded: sum([16777216, 1]) = 16777216 (GPU: 16777217).
  knownBug('regression: CPU reference of i32 rmax/rmin (identity) and i32 sum (fround)', async () => {
    await checkBatch(ctx, 'i32-reduce', [
      inp('neg', 'i32', [2, 3], Int32Array.from([-3, -5, -7, -2, -9, -4])),
      inp('big', 'i32', [2], Int32Array.from([16777216, 1])),
    ], T, (x) => [
      { label: 'rmax(neg)', tol: EXACT, out: ops.reduce('rmax', x.neg as Tensor, 1) },
      { label: 'rmin(-neg)', tol: EXACT, out: ops.reduce('rmin', ops.neg(x.neg as Tensor), 1) },
      { label: 'sum(big)', tol: EXACT, out: ops.reduce('sum', x.big as Tensor) },
    ]);
  });
});
