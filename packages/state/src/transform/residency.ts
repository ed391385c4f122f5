/**
 * Where States live on the GPU. Each State gets a resident buffer pair on the current device;
 * the host value is uploaded only when it is not the value the buffer already holds (identity),
 * so a State written back by a run and then run again never crosses the bus in between.
 */
import { Tensor } from '@spiketrace/compiler';
import { ResidentBuffer, type GpuContext, type PlanBuffer } from '@spiketrace/runtime';
import type { State } from '../state.ts';
import { mantissaOf, rewrap, type ArrayValue } from '../value.ts';

const resident = new WeakMap<State, ResidentBuffer>();

/** The resident buffer of a State, holding `v` (the value the run starts from). */
export function residentFor(s: State, v: ArrayValue, b: PlanBuffer, ctx: GpuContext): ResidentBuffer {
  let r = resident.get(s);
  if (!r || r.ctx !== ctx || r.elements !== b.elements || r.dtype !== b.dtype) {
    r?.destroy();
    r = new ResidentBuffer(ctx, b.elements, b.dtype, s.name);
    resident.set(s, r);
  }
  if (r.syncedWith !== v) r.write(mantissaOf(v).data, v);
  return r;
}

/**
 * Install a value read back from the GPU as the State's host value (through `install`, which may
 * refuse when the program wrote the State meanwhile); the buffer is marked as holding it.
 */
export function adoptReadback(
  s: State, from: ArrayValue, data: Tensor['data'], ctx: GpuContext,
  install: (s: State, from: ArrayValue, v: ArrayValue) => boolean,
): void {
  const v = rewrap(from, Tensor.fromHost({ dtype: mantissaOf(from).dtype, shape: from.shape, data }));
  install(s, from, v);
  const r = resident.get(s);
  if (r && r.ctx === ctx) r.syncedWith = v;
}
