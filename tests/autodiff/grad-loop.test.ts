/**
 * grad through loops, on a recurrence small enough to differentiate by hand in float64:
 *   v_t = a * v_{t-1} + w * x_t,   y_t = tanh(v_t),   L = sum_t sum_i y_t,i^2 (+ c * final carry)
 * with w a ParamState (a read-only State in the loop: its gradient accumulates over steps on the
 * GPU), x a differentiated argument (a per-step cotangent), and a scan carry. Every lowering of
 * the reverse loop and the checkpointed loops against central differences (h = 1e-5, pass
 * 1e-4 relative to the largest component + 1e-4 of each).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ops, Tensor } from '@spiketrace/compiler';
import { HiddenState, ParamState, transform } from '@spiketrace/state';
import { gpuMemoryStats, releaseDevice, resetGpuMemoryPeak } from '@spiketrace/runtime';

afterAll(() => releaseDevice());

const n = 3, T = 7, a = 0.9;
const x0 = Float32Array.from({ length: T * n }, (_v, i) => Math.sin(i + 1));
const w0 = [0.5, 1.5, -0.3];

/** L(w, x) in float64, with the scan carry c_t = c_{t-1} + mean(v_t) entering as 0.1 * c_T. */
function loss64(w: readonly number[], x: ArrayLike<number>): number {
  let L = 0, c = 0;
  const v = [0, 0, 0];
  for (let t = 0; t < T; t++) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      v[i] = a * (v[i] as number) + (w[i] as number) * (x[t * n + i] as number);
      L += Math.tanh(v[i] as number) ** 2;
      m += (v[i] as number) / n;
    }
    c += m;
  }
  return L + 0.1 * c;
}

function fdGrads(): { w: number[]; x: number[] } {
  const h = 1e-5;
  const w = w0.map((_v, i) => {
    const p = [...w0], m = [...w0];
    p[i] = (p[i] as number) + h; m[i] = (m[i] as number) - h;
    return (loss64(p, x0) - loss64(m, x0)) / (2 * h);
  });
  const x = Array.from(x0, (_v, k) => {
    const p = Float64Array.from(x0), m = Float64Array.from(x0);
    p[k] = (p[k] as number) + h; m[k] = (m[k] as number) - h;
    return (loss64(w0, p) - loss64(w0, m)) / (2 * h);
  });
  return { w, x };
}

function expectClose(got: ArrayLike<number>, want: readonly number[], what: string): void {
  const scale = Math.max(...want.map(Math.abs));
  want.forEach((v, k) => expect(Math.abs((got[k] as number) - v), `${what}[${k}]`).toBeLessThanOrEqual(1e-4 * scale + 1e-4 * Math.abs(v)));
}

const w = new ParamState(Tensor.fromArray(w0), { name: 'w' });
const v = new HiddenState(Tensor.fromArray([0, 0, 0]), { name: 'v' });

type Mode = { lowering: 'interpret' | 'auto' | 'dispatch-chain' | 'temporal-fusion'; base?: number };

function lossFn(mode: Mode) {
  return async (xs: Tensor) => {
    v.value = Tensor.full([n], 0);
    const body = (c: Tensor, x: Tensor): [Tensor, Tensor] => {
      const nv = ops.add(ops.mul(v.value as Tensor, a), ops.mul(x, w.value as Tensor));
      v.value = nv;
      return [ops.add(c, ops.mean(nv)), ops.unary('tanh', nv)];
    };
    const [c, ys] = mode.base
      ? await transform.checkpointedScan(body, Tensor.scalar(0), xs, { lowering: mode.lowering, base: mode.base })
      : await transform.scan(body, Tensor.scalar(0), xs, { lowering: mode.lowering });
    return ops.add(ops.reduce('sum', ops.mul(ys, ys)), ops.mul(c, 0.1));
  };
}

describe('grad through scan: parameter, per-step operand and carry', () => {
  const fd = fdGrads();
  const modes: Mode[] = [
    { lowering: 'interpret' }, { lowering: 'dispatch-chain' }, { lowering: 'auto' },
    { lowering: 'interpret', base: 2 }, { lowering: 'auto', base: 3 }, { lowering: 'dispatch-chain', base: 16 },
  ];
  it.each(modes.map((m) => [`${m.lowering}${m.base ? ` checkpointed base ${m.base}` : ''}`, m] as const))('%s', async (_label, mode) => {
    const f = transform.grad(lossFn(mode), { gradStates: { w }, argnums: 0, returnValue: true });
    const [[gs, gx], L] = await f(Tensor.fromArray(x0, [T, n])) as [[{ w: Tensor }, Tensor], Tensor];
    expect(L.item()).toBeCloseTo(loss64(w0, x0), 4);
    expectClose(gs.w.data, fd.w, 'dL/dw');
    expectClose(gx.data, fd.x, 'dL/dx');
    expect(gx.shape).toEqual([T, n]);
  });
});

describe('the loop under grad leaves the same results as without', () => {
  it('States and outputs equal a plain forLoop', async () => {
    const xs = Tensor.fromArray(x0, [T, n]);
    const body = (x: Tensor) => { const nv = ops.add(ops.mul(v.value as Tensor, a), ops.mul(x, w.value as Tensor)); v.value = nv; return nv; };
    v.value = Tensor.full([n], 0);
    const plain = await transform.forLoop(body, xs) as Tensor;
    const vPlain = [...(v.value as Tensor).data];
    let inside: Tensor | undefined;
    await transform.grad(async () => {
      v.value = Tensor.full([n], 0);
      inside = await transform.forLoop(body, xs) as Tensor;
      return ops.reduce('sum', inside);
    }, { gradStates: w })();
    expect([...(inside as Tensor).data]).toEqual([...plain.data]);
    expect([...(v.value as Tensor).data]).toEqual(vPlain);
  });
});

describe('checkpointing keeps fewer saved values', () => {
  it('saved bytes: all T steps plain, O(base log T) checkpointed; GPU buffer bytes are freed after', async () => {
    const Tl = 256;
    const xs = Tensor.fromArray(Float32Array.from({ length: Tl * n }, (_v, i) => Math.cos(i)), [Tl, n]);
    const body = (x: Tensor) => { const nv = ops.add(ops.mul(v.value as Tensor, a), ops.mul(x, w.value as Tensor)); v.value = nv; return ops.mean(nv); };
    const run = async (base?: number) => {
      resetGpuMemoryPeak();
      const g = await transform.grad(async () => {
        v.value = Tensor.full([n], 0);
        const ys = await (base ? transform.checkpointedForLoop(body, xs, { base }) : transform.forLoop(body, xs)) as Tensor;
        return ops.reduce('sum', ys);
      }, { gradStates: w })() as Tensor;
      return { g: [...g.data], saved: transform.lastSavedBytes(), peak: gpuMemoryStats().peak };
    };
    const plain = await run();
    const ck = await run(4);
    expect(ck.g).toEqual(plain.g);
    expect(plain.saved).toBe(Tl * n * 4);
    // base 4, T = 256: at most 4 checkpoints per level over 4 levels plus 4 saved steps
    expect(ck.saved).toBeLessThanOrEqual((4 * 4 + 4) * n * 4);
    expect(gpuMemoryStats().current).toBeLessThan(plain.peak);
  });
});
