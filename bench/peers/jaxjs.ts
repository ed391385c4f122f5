/**
 * jax-js (`@jax-js/jax`) peer. jax-js has no scan / fori_loop, so the idiomatic fast form (see
 * shared/reference/peer-probe.md) is a `jit`-ted chunk of K unrolled steps called from a JS loop,
 * with `await blockUntilReady` every few calls (otherwise its pending-op list grows and each
 * call gets slower). Initial state comes from `np.array(Float32Array)`: `np.full` would be a
 * stride-0 broadcast that never materializes N elements. Ops follow Spiketrace's graph order.
 *
 * The module is typed loosely (`any`): jax-js' types are not part of this repo's check.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { EXP_EULER, type LifOut } from './handloop.ts';

export type JaxBackend = 'wasm' | 'webgpu';

export interface JaxPeer {
  backend: JaxBackend;
  /** Steps unrolled per jit call and jit calls between syncs. */
  K: number;
  syncEvery: number;
  run(N: number, T: number): Promise<LifOut>;
}

let jax: any;
let webgpuShimmed = false;

export async function loadJax(backend: JaxBackend): Promise<JaxPeer> {
  if (backend === 'webgpu' && !webgpuShimmed) {
    // jax-js' webgpu backend looks for navigator.gpu and reads navigator.userAgent at import.
    const wg: any = await import('webgpu');
    Object.assign(globalThis, wg.globals);
    (globalThis as any).navigator = { gpu: wg.create([]), userAgent: 'node' };
    webgpuShimmed = true;
  }
  jax ??= await import('@jax-js/jax');
  const devices: string[] = await jax.init(backend);
  if (!devices.includes(backend)) throw new Error(`jax-js: backend ${backend} unavailable (init gave ${devices.join(', ')})`);
  const np = jax.numpy;
  // wasm: K=10, sync every 5 calls was the fastest form in the probe at N=1e5; webgpu: K=100, sync every call.
  const K = backend === 'wasm' ? 10 : 100;
  const syncEvery = backend === 'wasm' ? 5 : 1;
  const step = (v: any, c: any): [any, any] => {
    const sp = v.ref.sub(-50).div(15).greaterEqual(0).astype(np.float32);
    const v1 = v.ref.sub(v.sub(-65).mul(sp));
    const v2 = v1.ref.neg().add(-65).add(20).div(10).mul(EXP_EULER).add(v1);
    const s = v2.ref.sub(-50).div(15).greaterEqual(0).astype(np.float32);
    return [v2, c.add(s)];
  };
  const chunks = new Map<number, any>();
  const chunk = (k: number): any => {
    let f = chunks.get(k);
    if (!f) {
      f = jax.jit((v: any, c: any) => {
        for (let i = 0; i < k; i++) [v, c] = step(v, c);
        return [v, c];
      });
      chunks.set(k, f);
    }
    return f;
  };
  return {
    backend, K, syncEvery,
    async run(N: number, T: number): Promise<LifOut> {
      jax.defaultDevice(backend);
      let v = np.array(new Float32Array(N).fill(-65));
      let c = np.array(new Float32Array(N));
      let calls = 0;
      for (let t = 0; t < T;) {
        const k = Math.min(K, T - t);
        [v, c] = chunk(k)(v, c);
        t += k;
        if (++calls % syncEvery === 0) [v, c] = await jax.blockUntilReady([v, c]);
      }
      const V = (await v.data()) as Float32Array;
      const count = (await c.data()) as Float32Array;
      return { V, count };
    },
  };
}
