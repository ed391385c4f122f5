/**
 * braintools.optim against the update rules computed in float64 here (optax's definitions), for
 * several steps, on the GPU and on the CPU reference; the learning rate is a State (changing it
 * does not retrace). braintools.metric's cross-entropy and its gradient against closed forms.
 * Pass: 1e-5 relative (float32 arithmetic over 4 steps).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ops, Tensor } from '@spiketrace/compiler';
import { ParamState, transform } from '@spiketrace/state';
import * as u from '@spiketrace/units';
import { braintools, releaseDevice } from 'spiketrace';

afterAll(() => releaseDevice());

const p0 = [0.5, -1.25, 2];
const grads = [[0.1, -0.2, 0.3], [0.05, 0.4, -0.1], [-0.3, 0.1, 0.2], [0.2, 0.2, -0.2]];

function ref(kind: 'SGD' | 'Momentum' | 'Adam' | 'AdamW', lr: number): number[] {
  const p = [...p0], m = [0, 0, 0], v = [0, 0, 0];
  const [b1, b2, eps, wd, mu] = [0.9, 0.999, 1e-8, 1e-4, 0.9];
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < 3; i++) {
      const gi = g[i] as number;
      if (kind === 'SGD') p[i] = (p[i] as number) - lr * gi;
      else if (kind === 'Momentum') { m[i] = mu * (m[i] as number) + gi; p[i] = (p[i] as number) - lr * (m[i] as number); }
      else {
        m[i] = b1 * (m[i] as number) + (1 - b1) * gi;
        v[i] = b2 * (v[i] as number) + (1 - b2) * gi * gi;
        const dir = ((m[i] as number) / (1 - b1 ** t)) / (Math.sqrt((v[i] as number) / (1 - b2 ** t)) + eps);
        p[i] = (p[i] as number) - lr * (dir + (kind === 'AdamW' ? wd * (p[i] as number) : 0));
      }
    }
  });
  return p;
}

const make = (kind: string, lr: number, lowering: 'interpret' | 'auto') =>
  kind === 'SGD' ? new braintools.optim.SGD({ lr, lowering })
    : kind === 'Momentum' ? new braintools.optim.SGD({ lr, lowering, momentum: 0.9 })
      : kind === 'Adam' ? new braintools.optim.Adam({ lr, lowering }) : new braintools.optim.AdamW({ lr, lowering });

describe.each(['auto', 'interpret'] as const)('optimizers (%s)', (lowering) => {
  it.each(['SGD', 'Momentum', 'Adam', 'AdamW'])('%s follows its update rule for 4 steps, in the weight\'s unit', async (kind) => {
    const w = new ParamState(u.mV(Tensor.fromArray(p0)), { name: 'w' });
    const opt = make(kind, 0.05, lowering).registerTrainableWeights({ w });
    for (const g of grads) await opt.update({ w: u.mV(Tensor.fromArray(g)) });
    const got = (w.value as u.Quantity);
    expect(got.unit.name).toBe('mV');
    ref(kind as 'SGD', 0.05).forEach((r, i) => expect(Math.abs((got.mantissa.data[i] as number) - r)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(r))));
    expect((opt.stepCount.value as Tensor).item()).toBe(4);
  });
});

describe('optimizer API', () => {
  it('changing lr takes effect without retracing; bad input is refused', async () => {
    const w = new ParamState(Tensor.fromArray([1, 1]), { name: 'w' });
    const opt = new braintools.optim.SGD({ lr: 0.1 }).registerTrainableWeights([w]);
    await opt.update([Tensor.fromArray([1, 2])]);
    const traces = transform.traceCount();
    opt.lr = 0.5;
    await opt.update([Tensor.fromArray([1, 2])]);
    expect(transform.traceCount()).toBe(traces);
    expect([...(w.value as Tensor).data].map((x) => +x.toFixed(5))).toEqual([0.4, -0.2]);
    await expect(opt.update([Tensor.fromArray([1, 2, 3])])).rejects.toThrow(/gradient of "w" has shape \[3\], the weight \[2\]/);
    await expect(new braintools.optim.Adam({ lr: 1 }).update([])).rejects.toThrow(/registerTrainableWeights/);
    expect(() => new braintools.optim.Adam({ lr: -1 })).toThrow(/lr must be a positive number/);
    const q = new ParamState(u.mV([1]), { name: 'q' });
    const o2 = new braintools.optim.SGD({ lr: 0.1 }).registerTrainableWeights({ q });
    await expect(o2.update({ q: u.ms([1]) })).rejects.toThrow(/gradient of "q" is in ms, the weight in mV/);
    await expect(o2.update({})).rejects.toThrow(/no gradient for "q"/);
  });
});

describe('braintools.metric', () => {
  it('softmax cross-entropy with integer labels: value and gradient (softmax - onehot)', async () => {
    const logits = [[1, 2, 0.5], [-1, 0, 3]];
    const labels = Tensor.fromArray([2, 0], [2], 'i32');
    const L = braintools.metric.softmaxCrossEntropyWithIntegerLabels(Tensor.fromArray(logits.flat(), [2, 3]), labels);
    logits.forEach((row, b) => {
      const lse = Math.log(row.reduce((s, z) => s + Math.exp(z), 0));
      expect(L.data[b]).toBeCloseTo(lse - (row[[2, 0][b] as number] as number), 5);
    });
    const g = await transform.grad((z: Tensor) => ops.reduce('sum', braintools.metric.softmaxCrossEntropyWithIntegerLabels(z, labels)))(Tensor.fromArray(logits.flat(), [2, 3])) as Tensor;
    logits.forEach((row, b) => {
      const den = row.reduce((s, z) => s + Math.exp(z), 0);
      row.forEach((z, c) => expect(g.data[b * 3 + c]).toBeCloseTo(Math.exp(z) / den - (c === [2, 0][b] ? 1 : 0), 5));
    });
    expect(() => braintools.metric.softmaxCrossEntropyWithIntegerLabels(Tensor.fromArray([1, 2], [1, 2]), Tensor.fromArray([2], [1], 'i32'))).toThrow(/labels must be integers in \[0, 2\)/);
  });
});
