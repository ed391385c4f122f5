/**
 * lower: a optimized step Graph + loop length -> a Plan (buffers, WGSL kernels, rounds).
 *  1. phaseSplit, then fuseElementwise into kernel specs;
 *  2. choose the lowering: temporal fusion when the step is one element-local kernel, else the
 *     dispatch chain (the caller may force either; forcing fusion on a non-local step throws);
 *  3. lay out buffers: states and carries that the step writes ping-pong; xs and ys hold all steps;
 *  4. emit each kernel's WGSL (emit-kernel.ts) and bind its buffers.
 */
import type { Graph } from '../ir/graph.ts';
import type { Node } from '../ir/node.ts';
import type { InputSource } from '../ir/ops.ts';
import { sizeOf } from '../ir/shape.ts';
import { SpiketraceError } from '../errors.ts';
import { phaseSplit } from '../passes/phase-split.ts';
import { fuseElementwise, type FusedStep } from '../passes/fuse-elementwise.ts';
import type { Lowering, Plan, PlanBuffer } from '@spiketrace/runtime';
import { emitKernel, type BufferUse } from './emit-kernel.ts';

export type LoweringChoice = Lowering | 'auto';

export interface LowerOptions {
  lowering?: LoweringChoice;
  /** Steps per fused dispatch (temporal fusion); bounds one dispatch's run time. */
  stepsPerRound?: number;
  /** Rounds per command buffer (dispatch chain). */
  roundsPerSubmit?: number;
  /** The device's maxStorageBuffersPerShaderStage. */
  maxStorageBuffers?: number;
  workgroupSize?: number;
}

export function canFuseTime(fused: FusedStep): boolean {
  return fused.kernels.length === 1 && fused.kernels[0]!.kind === 'elementwise';
}

export function lower(g: Graph, steps: number, opts: LowerOptions = {}): Plan {
  const phases = phaseSplit(g);
  const fused = fuseElementwise(g, phases);
  const fusable = canFuseTime(fused);
  const choice = opts.lowering ?? 'auto';
  if (choice === 'temporal-fusion' && !fusable) {
    throw new SpiketraceError(
      `temporal fusion needs an element-local step (one kernel); this step has ${phases.count} phase(s) and ` +
        `${fused.kernels.length} kernel(s). Use lowering 'dispatch-chain' or 'auto'.`,
    );
  }
  const lowering: Lowering = choice === 'auto' ? (fusable ? 'temporal-fusion' : 'dispatch-chain') : choice;
  const buffers = layoutBuffers(g, fused, steps);
  const use = (b: PlanBuffer): BufferUse => ({ buffer: b });
  const stepsPerRound = lowering === 'temporal-fusion' ? Math.max(1, Math.min(steps, opts.stepsPerRound ?? 2000)) : 1;
  // a spec may emit several dispatches (event_count: zero, then scatter), kept in order
  const kernels = fused.kernels.flatMap((k, i) =>
    emitKernel(g, k, i, {
      fused: lowering === 'temporal-fusion',
      buffers: buffers.list,
      bufferOfInput: (n) => use(buffers.ofInput(n)),
      bufferOfTemp: (id) => use(buffers.ofTemp(id)),
      bufferOfOutput: (o) => use(buffers.ofOutput(o)),
      workgroupSize: opts.workgroupSize ?? 64,
    }),
  );
  const limit = opts.maxStorageBuffers ?? 8;
  for (const k of kernels) {
    if (k.bindings.length > limit) {
      const names = k.bindings.map((b) => {
        const buf = buffers.list[b.buffer] as PlanBuffer;
        return `${buf.role} "${buf.name}"${b.side === 'only' ? '' : ` (${b.side})`}`;
      });
      throw new SpiketraceError(
        `a fused kernel of this step reads and writes ${k.bindings.length} arrays (${names.join(', ')}), ` +
          `but the device allows ${limit} storage buffers per shader stage; split the step's States across fewer arrays per update, ` +
          `or use a device with a higher maxStorageBuffersPerShaderStage`,
      );
    }
  }
  const readback = buffers.list.filter((b) => b.role === 'ys' || ((b.role === 'state' || b.role === 'carry') && b.pingPong)).map((b) => b.id);
  return {
    format: 'spiketrace-plan', version: 1, lowering, steps,
    stepsPerRound,
    roundsPerSubmit: lowering === 'temporal-fusion' ? 64 : (opts.roundsPerSubmit ?? 1000),
    buffers: buffers.list, kernels, readback,
  };
}

function layoutBuffers(g: Graph, fused: FusedStep, steps: number) {
  const list: PlanBuffer[] = [];
  const keyed = new Map<string, PlanBuffer>();
  const written = new Set(g.outputs.filter((o) => o.kind === 'state' || o.kind === 'carry').map((o) => `${o.kind}:${o.index}`));
  const add = (key: string, b: Omit<PlanBuffer, 'id'>): PlanBuffer => {
    let buf = keyed.get(key);
    if (!buf) {
      buf = { id: list.length, ...b };
      list.push(buf);
      keyed.set(key, buf);
    }
    return buf;
  };
  const forInput = (n: Node): PlanBuffer => {
    const s = n.arg as InputSource;
    const key = `${s.kind}:${s.index}`;
    const perStep = s.kind === 'xs' || s.kind === 'arg';
    return add(key, {
      name: s.kind === 'state' ? s.name : key, role: s.kind === 'arg' ? 'xs' : s.kind, index: s.index,
      dtype: n.dtype, shape: [...n.shape], elements: (perStep ? steps : 1) * sizeOf(n.shape), pingPong: written.has(key),
    });
  };
  for (const n of g.nodes) if (n.op === 'input') forInput(n);
  g.outputs.forEach((o) => {
    const n = g.node(o.node);
    const key = `${o.kind}:${o.index}`;
    add(key, {
      name: o.kind === 'state' ? o.name : key, role: o.kind === 'y' ? 'ys' : o.kind, index: o.index,
      dtype: n.dtype, shape: [...n.shape], elements: (o.kind === 'y' ? steps : 1) * sizeOf(n.shape),
      pingPong: o.kind !== 'y',
    });
  });
  for (const id of fused.temps) {
    const n = g.node(id);
    add(`temp:${id}`, { name: `%${id}`, role: 'temp', index: id, dtype: n.dtype, shape: [...n.shape], elements: sizeOf(n.shape), pingPong: false });
  }
  const get = (key: string): PlanBuffer => {
    const b = keyed.get(key);
    if (!b) throw new Error(`lower: no buffer for ${key}`);
    return b;
  };
  return {
    list,
    ofInput: (n: Node) => forInput(n),
    ofTemp: (id: number) => get(`temp:${id}`),
    ofOutput: (i: number) => {
      const o = g.outputs[i]!;
      return get(`${o.kind}:${o.index}`);
    },
  };
}
