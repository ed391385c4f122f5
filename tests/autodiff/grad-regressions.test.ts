/**
 * grad regressions found by review (each failed before its fix): closed-over values computed from
 * what grad differentiates, runs queued before grad, a forced temporal fusion whose reverse step
 * reduces, event_count outside loops (then refused, now differentiated), identity functions, and
 * States put back when grad fails.
 * Expected values are worked out by hand in the comments.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ops, Tensor } from '@spiketrace/compiler';
import { HiddenState, ParamState, transform } from '@spiketrace/state';
import { releaseDevice } from '@spiketrace/runtime';

afterAll(() => releaseDevice());

const arr = (t: Tensor | { mantissa: Tensor }): number[] => Array.from(('mantissa' in t ? t.mantissa : t).data, (v) => +v.toFixed(4));
const xs = Tensor.fromArray([1, 2, 3, 4, 5, 6], [3, 2]);

describe('grad follows values a loop body closes over', () => {
  it.each(['interpret', 'dispatch-chain', 'auto'] as const)('%s: a parameter-derived array, a uniform one, an argument; checkpointed too', async (lowering) => {
    const w = new ParamState(Tensor.fromArray([0.5, 1.5]), { name: 'w' });
    for (const base of [undefined, 2]) {
      const loop = (f: (x: Tensor) => Tensor) => (base ? transform.checkpointedForLoop(f, xs, { lowering, base }) : transform.forLoop(f, xs, { lowering }));
      // L = sum_t 2 w x_t + sum 2 w: dL/dw = 2 sum_t x_t + 2 = [20, 26]
      const g = await transform.grad(async () => {
        const w2 = ops.mul(w.value as Tensor, 2);
        const ys = await loop((x) => ops.mul(x, w2)) as Tensor;
        return ops.add(ops.reduce('sum', ys), ops.reduce('sum', w2));
      }, { gradStates: w })() as Tensor;
      expect(arr(g), `base ${base}`).toEqual([20, 26]);
      // a uniform closed-over value must not be folded into a literal: w = [1, 1], scale = 3 w
      const u = new ParamState(Tensor.fromArray([1, 1]), { name: 'u' });
      const gu = await transform.grad(async () => {
        const s = ops.mul(u.value as Tensor, 3);
        return ops.reduce('sum', await loop((x) => ops.mul(x, s)) as Tensor);
      }, { gradStates: u })() as Tensor;
      expect(arr(gu)).toEqual([27, 36]); // 3 sum_t x_t
      // an argument closed over: dL/dw = sum_t x_t = [9, 12]
      const ga = await transform.grad(async (a: Tensor) => ops.reduce('sum', await loop((x) => ops.mul(x, a)) as Tensor))(Tensor.fromArray([0.5, 1.5])) as Tensor;
      expect(arr(ga)).toEqual([9, 12]);
    }
  });

  it('the same body under grad and outside uses this call\'s closed-over values', async () => {
    const w = new ParamState(Tensor.fromArray([1, 2]), { name: 'w' });
    const run = (scale: number) => transform.grad(async () => {
      const s = ops.mul(w.value as Tensor, scale);
      return ops.reduce('sum', await transform.forLoop((x: Tensor) => ops.mul(x, s), xs) as Tensor);
    }, { gradStates: w, returnValue: true })() as Promise<[Tensor, Tensor]>;
    const [g1, v1] = await run(1);
    const [g2, v2] = await run(2);
    expect(arr(g1)).toEqual([9, 12]);
    expect(arr(g2)).toEqual([18, 24]);
    expect(v2.item()).toBeCloseTo(2 * v1.item(), 4);
  });
});

describe('grad and the run queue, lowerings, non-differentiable ops, failures', () => {
  it('waits for runs queued before it (an optimizer step not awaited)', async () => {
    const w = new ParamState(Tensor.fromArray([1, 2]), { name: 'w' });
    const update = transform.forLoop(() => { w.value = ops.mul(w.value as Tensor, 10); }, { length: 1 });
    const g = await transform.grad(() => ops.reduce('sum', ops.mul(w.value as Tensor, w.value as Tensor)), { gradStates: w })() as Tensor;
    await update;
    expect(arr(g)).toEqual([20, 40]); // 2 w at w = [10, 20]
    expect(arr(w.value as Tensor)).toEqual([10, 20]);
  });

  it('a forced temporal fusion whose reverse step reduces (a scalar parameter over neurons)', async () => {
    const k = new ParamState(Tensor.fromArray([0.5]), { name: 'k' });
    const v = new HiddenState(Tensor.fromArray([0, 0]), { name: 'v' });
    const g = await transform.grad(async () => {
      v.value = Tensor.full([2], 0);
      const ys = await transform.forLoop((x: Tensor) => { const nv = ops.add(ops.mul(v.value as Tensor, k.value as Tensor), x); v.value = nv; return nv; }, xs, { lowering: 'temporal-fusion' }) as Tensor;
      return ops.reduce('sum', ys);
    }, { gradStates: k })() as Tensor;
    // v1 = x1, v2 = k x1 + x2, v3 = k^2 x1 + k x2 + x3; dL/dk = sum over neurons of (x1 + 2 k x1 + x2) = (1+1+3) + (2+2+4)
    expect(arr(g)).toEqual([13]);
  });

  it('event_count outside loops: no silent zero (its adjoint gathers the targets\' cotangents)', async () => {
    const w = new ParamState(Tensor.fromArray([0.3, 0.9]), { name: 'w' });
    const idx = Tensor.fromArray([0, 1, 1, 0], [2, 2], 'i32');
    const g = await transform.grad(() => ops.reduce('sum', ops.cast(ops.eventCount(ops.mul(w.value as Tensor, 2), idx, 2), 'f32')), { gradStates: w })() as Tensor;
    expect(arr(g)).toEqual([4, 4]); // 2 (the scale) x 2 targets per pre neuron
  });

  it('identity functions have unit gradients', async () => {
    expect(arr(await transform.vectorGrad((x: Tensor) => x)(Tensor.fromArray([3, 4])) as Tensor)).toEqual([1, 1]);
    const w = new ParamState(Tensor.scalar(2), { name: 'w' });
    expect(arr(await transform.grad(() => w.value as Tensor, { gradStates: w })() as Tensor)).toEqual([1]);
  });

  it('a failed grad puts back the States the function wrote, in loops and eagerly', async () => {
    const w = new ParamState(Tensor.fromArray([1, 2]), { name: 'w' });
    const v = new HiddenState(Tensor.fromArray([0, 0]), { name: 'v' });
    const h = new HiddenState(Tensor.fromArray([5]), { name: 'h' });
    const before = w.value;
    await expect(transform.grad(async () => {
      h.value = Tensor.fromArray([6]);
      await transform.forLoop((x: Tensor) => { v.value = ops.add(v.value as Tensor, ops.mul(x, w.value as Tensor)); }, xs);
      return ops.mul(v.value as Tensor, 1); // not a scalar: refused after the loop ran
    }, { gradStates: w })()).rejects.toThrow(/grad needs a scalar/);
    expect(arr(v.value as Tensor)).toEqual([0, 0]);
    expect(arr(h.value as Tensor)).toEqual([5]);
    expect(w.value).toBe(before);
  });
});
