/**
 * Surrogate spikes: the forward pass is the exact step on every class, and the adjoint is
 * ct * g(x) with g as braintools defines it (formulas restated here in float64, independently of
 * compiler/src/primitives/surrogate.ts). Pass: |got - want| <= 2e-6 * max(1, |want|).
 */
import { describe, expect, it } from 'vitest';
import { brainpy } from 'spiketrace';
import { interpretStep, SURROGATES, Tensor, vjpGraph, type HostArray } from '@spiketrace/compiler';
import { traceGraph } from './check.ts';

const N = (x: number, mu: number, s: number): number => Math.exp(-((x - mu) ** 2) / (2 * s * s)) / (Math.sqrt(2 * Math.PI) * s);
const sg = (x: number, a: number): number => { const s = 1 / (1 + Math.exp(-a * x)); return a * s * (1 - s); };

/** name, instance, g(x) in float64 */
const CASES: [string, brainpy.Surrogate, (x: number) => number][] = [
  ['Sigmoid', new brainpy.Sigmoid(), (x) => sg(x, 4)],
  ['Sigmoid(2)', new brainpy.Sigmoid(2), (x) => sg(x, 2)],
  ['SoftSign', new brainpy.SoftSign(), (x) => 1 / (2 * (1 + Math.abs(x)) ** 2)],
  ['Arctan', new brainpy.Arctan(), (x) => 1 / (2 * (1 + (Math.PI * x / 2) ** 2))],
  ['ERF', new brainpy.ERF(), (x) => Math.exp(-x * x) / Math.sqrt(Math.PI)],
  ['PiecewiseQuadratic', new brainpy.PiecewiseQuadratic(), (x) => (Math.abs(x) <= 1 ? 1 - Math.abs(x) : 0)],
  ['PiecewiseExp', new brainpy.PiecewiseExp(), (x) => 0.5 * Math.exp(-Math.abs(x))],
  // braintools' surrogate_grad gives 1/w in the window (the shared reference's table says 1/(2w))
  ['PiecewiseLeakyRelu', new brainpy.PiecewiseLeakyRelu(), (x) => (Math.abs(x) <= 1 ? 1 : 0.01)],
  ['PiecewiseLeakyRelu(0.05, 0.5)', new brainpy.PiecewiseLeakyRelu(0.05, 0.5), (x) => (Math.abs(x) <= 0.5 ? 2 : 0.05)],
  ['LeakyRelu', new brainpy.LeakyRelu(), (x) => (x < 0 ? 0.1 : 1)],
  ['LogTailedRelu', new brainpy.LogTailedRelu(), (x) => (x <= 0 ? 0 : x <= 1 ? 1 : 1 / x)],
  ['ReluGrad', new brainpy.ReluGrad(), (x) => Math.max(0.3 - 0.3 * Math.abs(x), 0)],
  ['GaussianGrad', new brainpy.GaussianGrad(), (x) => 0.5 * N(x, 0, 0.5)],
  ['MultiGaussianGrad', new brainpy.MultiGaussianGrad(), (x) => 0.5 * (1.15 * N(x, 0, 0.5) - 0.15 * N(x, 0.5, 3) - 0.15 * N(x, -0.5, 3))],
  ['InvSquareGrad', new brainpy.InvSquareGrad(), (x) => 1 / (100 * Math.abs(x) + 1) ** 2],
  ['SlayerGrad', new brainpy.SlayerGrad(), (x) => Math.exp(-Math.abs(x))],
  ['QPseudoSpike', new brainpy.QPseudoSpike(), (x) => (1 + 2 * Math.abs(x) / 3) ** -2],
  ['S2NN', new brainpy.S2NN(), (x) => (x < 0 ? sg(x, 4) : 1 / (x + 1))],
  ['NonzeroSignLog', new brainpy.NonzeroSignLog(), (x) => 1 / (1 + Math.abs(x))],
  // braintools sums i = 1 .. n-1 (its loop is range(2, n) after the first term)
  ['SquarewaveFourierSeries', new brainpy.SquarewaveFourierSeries(), (x) => 0.5 * Math.cos(Math.PI * x / 4)],
  ['SquarewaveFourierSeries(4)', new brainpy.SquarewaveFourierSeries(4), (x) => 0.5 * (Math.cos(Math.PI * x / 4) + Math.cos(3 * Math.PI * x / 4) + Math.cos(5 * Math.PI * x / 4))],
];

const X = Float32Array.from([-3, -1.5, -1, -0.7, -0.25, -0.01, 0, 0.01, 0.3, 0.5, 1, 1.2, 2.5, 4]);

describe('braintools surrogates', () => {
  it('cover braintools\' set', () => {
    expect(Object.keys(SURROGATES).sort()).toEqual([...new Set(CASES.map(([n]) => n.replace(/\(.*/, '')))].sort());
  });

  it.each(CASES)('%s: exact spikes forward, ct * g(x) backward', (_name, s, g) => {
    const graph = traceGraph([[X.length]], ([x]) => s.forward(x!));
    const fwd = interpretStep(graph, () => ({ dtype: 'f32', shape: [X.length], data: X }));
    expect([...(fwd.ys[0] as HostArray).data]).toEqual([...X].map((x) => (x >= 0 ? 1 : 0)));
    const ct = Float32Array.from(X, (_x, i) => 0.5 + 0.25 * (i % 3));
    const vjp = vjpGraph(graph, [{ kind: 'arg', index: 0 }], ['input']);
    const r = interpretStep(vjp.graph, (src) => ({ dtype: 'f32', shape: [X.length], data: src.index === 0 ? X : ct }));
    const got = (r.ys[0] as HostArray).data;
    X.forEach((x, i) => {
      const want = (ct[i] as number) * g(x);
      expect(Math.abs((got[i] as number) - want), `x = ${x}`).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(want)));
    });
    // g is also available directly
    const direct = s.grad(Tensor.fromArray(X));
    X.forEach((x, i) => expect(direct.data[i]).toBeCloseTo(g(x), 5));
  });

  it('parameters: defaults, overrides, and bad names or values are refused', () => {
    expect(new brainpy.ReluGrad().params).toEqual([0.3, 1]);
    expect(new brainpy.ReluGrad(0.5).params).toEqual([0.5, 1]);
    expect(new brainpy.Surrogate('GaussianGrad', { alpha: 2 }).params).toEqual([0.5, 2]);
    expect(() => new brainpy.Surrogate('Sigmoid', { beta: 1 })).toThrow(/Sigmoid has no parameter "beta"/);
    expect(() => new brainpy.Surrogate('Nope')).toThrow(/unknown surrogate "Nope"/);
    expect(() => new brainpy.Sigmoid(Number.NaN)).toThrow(/alpha must be a finite number/);
  });
});
