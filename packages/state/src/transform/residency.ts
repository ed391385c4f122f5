/**
 * Where States live on the GPU. Each State gets a resident buffer pair on the current device;
 * the host value is uploaded only when it is not the value the buffer already holds (identity),
 * so a State written back by a run and then run again never crosses the bus in between.
 */
import { Tensor } from '@spiketrace/compiler';
import { ResidentBuffer, type GpuContext, type PlanBuffer } from '@spiketrace/runtime';
import type { State } from '../state.ts';
import { mantissaOf, rewrap } from '../value.ts';

const resident = new WeakMap<State, ResidentBuffer>();

export function residentFor(s: State, b: PlanBuffer, ctx: GpuContext): ResidentBuffer {
  const v = s.hostValue;
  if (v === undefined) throw new Error(`state "${s.name}" has no value`);
  let r = resident.get(s);
  if (!r || r.ctx !== ctx || r.elements !== b.elements || r.dtype !== b.dtype) {
    r?.destroy();
    r = new ResidentBuffer(ctx, b.elements, b.dtype, s.name);
    resident.set(s, r);
  }
  if (r.syncedWith !== v) r.write(mantissaOf(v).data, v);
  return r;
}

/** Install a value read back from the GPU as the State's host value, marking the buffer in sync. */
export function adoptReadback(s: State, data: Tensor['data'], ctx: GpuContext): void {
  const cur = s.hostValue;
  if (cur === undefined) return;
  const m = Tensor.fromHost({ dtype: mantissaOf(cur).dtype, shape: cur.shape, data });
  const v = rewrap(cur, m);
  s.setHostValue(v);
  const r = resident.get(s);
  if (r && r.ctx === ctx) r.syncedWith = v;
}
