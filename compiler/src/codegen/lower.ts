/**
 * lower: a optimized step Graph + loop length -> a Plan (buffers, WGSL kernels, rounds).
 *  1. phaseSplit, then fuseElementwise into kernel specs;
 *  2. choose the lowering (the cost model; a caller may force one):
 *     - temporal fusion when the step is one element-local kernel (forcing it otherwise throws);
 *     - the persistent workgroup when every kernel is small (at most PERSISTENT_MAX_ELEMENTS
 *       invocations) and one shader can bind all the step's buffers: one dispatch per round,
 *       kernels separated by barriers, so dispatch overhead vanishes for small networks;
 *     - the dispatch chain otherwise;
 *  3. lay out buffers: states and carries that the step writes ping-pong; xs and ys hold all steps;
 *  4. emit each kernel's WGSL (emit-kernel.ts) and bind its buffers.
 */
import type { Graph } from '../ir/graph.ts';
import type { Node } from '../ir/node.ts';
import type { InputSource } from '../ir/ops.ts';
import { shapeEq, sizeOf } from '../ir/shape.ts';
import { SpiketraceError } from '../errors.ts';
import { phaseSplit } from '../passes/phase-split.ts';
import { signTests } from '../passes/sign-test.ts';
import { fuseElementwise, type FusedStep, type FuseOptions, type KernelSpec } from '../passes/fuse-elementwise.ts';
import type { Lowering, Plan, PlanBuffer, PlanKernel } from '@spiketrace/runtime';
import { emitBodies, emitKernel, framePersistent, frameWave, ownElements, PACK_SHARED_MAX_BYTES, type BufferUse, type EmitContext, type KernelBody, type RegisterPlan } from './emit-kernel.ts';
import { BindingConflict, Bindings, type ArenaSlot } from './bindings.ts';
import { dependencyWaves } from './schedule.ts';
import { wgslType } from '../ir/dtype.ts';

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
  /** The device's maxComputeInvocationsPerWorkgroup: the persistent workgroup uses up to 1024. */
  maxWorkgroupSize?: number;
  /**
   * The adapter runs shaders on the CPU (lavapipe, SwiftShader): one workgroup is one thread
   * there, so 'auto' picks the persistent workgroup only for light steps (PERSISTENT_CPU_MAX_WORK).
   */
  cpuAdapter?: boolean;
  /** The device's maxStorageBufferBindingSize: an arena never grows past it (default WebGPU's 128 MiB). */
  maxBindingBytes?: number;
  /** Dispatch chain: run independent kernels of a step as one dispatch (default true). */
  mergeWaves?: boolean;
  /**
   * The device's maxComputeWorkgroupStorageSize (default WebGPU's 16 KiB): the persistent
   * workgroup keeps event counts in workgroup memory when they fit.
   */
  maxWorkgroupStorage?: number;
  /** Persistent workgroup: keep buffers touched only at the own element in registers (default true). */
  registers?: boolean;
}

/** Kernels up to this many invocations run well inside one workgroup's strided loops. */
export const PERSISTENT_MAX_ELEMENTS = 16384;
/**
 * On a CPU adapter, the most work per step (stepWork) for which one workgroup (one thread) beats a
 * chain of dispatches spread over every core. Measured on lavapipe (2 cores), persistent vs
 * chained: COBA at 4000 neurons (work 28k) 67 vs 279 us/step; the training example's forward step
 * at batch 32 (211k) 756 vs 860 us/step; its reverse step (555k, mostly small products) is slower
 * persistent (T = 100, batch 32: a grad call takes 339 ms with both loops persistent, 257 ms with
 * the reverse chained).
 */
export const PERSISTENT_CPU_MAX_WORK = 300_000;
/**
 * On a GPU, one workgroup is one SM: past this much work per step a chain of dispatches over the
 * whole GPU wins despite its per-dispatch cost. Measured on an H200, interleaved on one machine
 * (training example, T = 1000, forward + reverse grad call): batch 32 (work 211k + 555k) 241-245
 * ms persistent vs 245-270 chained, checkpointed 564-591 vs 969-1133; batch 128 (845k + 2.2M)
 * 715-719 vs 476-540 (bench/results/train-gpu-h200.md).
 */
export const PERSISTENT_GPU_MAX_WORK = 1_000_000;
/** WebGPU guarantees 256 invocations per workgroup; more hide memory latency better on GPUs. */
const PERSISTENT_WORKGROUP = 256;

export function canFuseTime(fused: FusedStep): boolean {
  return fused.kernels.length === 1 && fused.kernels[0]!.kind === 'elementwise';
}

/** A kernel binds more arrays than the device allows (lower retries without recomputation first). */
class TooManyBindings extends SpiketraceError {}

export function lower(g: Graph, steps: number, opts: LowerOptions = {}): Plan {
  checkOptions(opts);
  // after any differentiation: see sign-test.ts for why this is not a graph pass
  g = signTests.run(g);
  // Recomputed values load the States they come from, and stored ones add a binding: when a
  // kernel would bind more arrays than the device allows, try storing every crossing value, then
  // recomputing every cheap one (products feeding sums included).
  const tries: NonNullable<FuseOptions['recompute']>[] = ['safe', 'none', 'all'];
  for (const [k, recompute] of tries.entries()) {
    try {
      return lowerFused(g, steps, opts, recompute);
    } catch (e) {
      if (!(e instanceof TooManyBindings) || k === tries.length - 1) throw e;
    }
  }
  throw new Error('unreachable');
}

/** Throws unless the numeric options that shape the plan are usable (they reach WGSL and u32 uniforms). */
function checkOptions(opts: LowerOptions): void {
  const whole = (name: keyof LowerOptions, min: number) => {
    const v = opts[name];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= min)) {
      throw new RangeError(`lower: ${name} must be an integer >= ${min}, got ${String(v)}`);
    }
  };
  whole('stepsPerRound', 1);
  whole('roundsPerSubmit', 1);
  whole('maxWorkgroupSize', 32);
  whole('workgroupSize', 1);
  whole('maxStorageBuffers', 1);
}

function lowerFused(g: Graph, steps: number, opts: LowerOptions, recompute: NonNullable<FuseOptions['recompute']>): Plan {
  const phases = phaseSplit(g);
  const fused = fuseElementwise(g, phases, { recompute });
  const fusable = canFuseTime(fused);
  const choice = opts.lowering ?? 'auto';
  if (choice === 'temporal-fusion' && !fusable) {
    throw new SpiketraceError(
      `temporal fusion needs an element-local step (one kernel); this step has ${phases.count} phase(s) and ` +
        `${fused.kernels.length} kernel(s). Use lowering 'dispatch-chain' or 'auto'.`,
    );
  }
  const limit = opts.maxStorageBuffers ?? 8;
  const maxBindingBytes = opts.maxBindingBytes ?? 134_217_728;
  // up to 1024 invocations where the device allows them (WebGPU guarantees 256); a smaller bound is honoured
  const persistentSize = Math.min(1024, opts.maxWorkgroupSize ?? PERSISTENT_WORKGROUP);
  const inPlace = inPlaceRows(g, fused);
  const buffers = layoutBuffers(g, fused, steps, new Set([...inPlace.values()]));
  const use = (b: PlanBuffer): BufferUse => ({ buffer: b });
  const cleared = countsClearedByReader(g, fused);
  const ctx = (isFused: boolean, bindings?: Bindings): EmitContext => ({
    fused: isFused,
    buffers: buffers.list,
    bufferOfInput: (n) => use(buffers.ofInput(n)),
    bufferOfTemp: (id) => use(buffers.ofTemp(id)),
    bufferOfOutput: (o) => use(buffers.ofOutput(o)),
    workgroupSize: bindings ? persistentSize : (opts.workgroupSize ?? 64),
    ...(bindings ? { bindings } : {}),
    // kernels of their own (not the persistent shader, which clears its counts in workgroup memory)
    ...(!bindings && cleared.size ? { clearedByReader: cleared } : {}),
    ...(inPlace.size ? { inPlaceRows: new Set(inPlace.keys()) } : {}),
  });
  let lowering: Lowering;
  let kernels: PlanKernel[];
  const persistentFits = smallEnough(g, fused) && stepWork(g, fused) <= (opts.cpuAdapter ? PERSISTENT_CPU_MAX_WORK : PERSISTENT_GPU_MAX_WORK);
  if (choice === 'persistent-workgroup' || (choice === 'auto' && !fusable && persistentFits)) {
    // the persistent shader adds arena buffers: lay them out on a copy, kept only if chosen
    const withArenas = [...buffers.list];
    const k = persistentKernel(g, fused, withArenas, ctx, persistentSize, maxBindingBytes, opts.maxWorkgroupStorage ?? 16384, opts.registers ?? true);
    if (choice === 'auto' && k.bindings.length > limit) {
      lowering = 'dispatch-chain';
      kernels = fused.kernels.flatMap((spec, i) => emitKernel(g, spec, i, ctx(false)));
    } else {
      lowering = 'persistent-workgroup';
      kernels = [k];
      buffers.list.splice(0, buffers.list.length, ...withArenas);
    }
  } else {
    lowering = choice === 'auto' ? (fusable ? 'temporal-fusion' : 'dispatch-chain') : choice;
    // a spec may emit several dispatches (event_count: zero, then scatter), kept in order
    kernels = fused.kernels.flatMap((spec, i) => emitKernel(g, spec, i, ctx(lowering === 'temporal-fusion')));
  }
  let arenas: Map<number, ArenaSlot> | undefined;
  if (lowering === 'dispatch-chain' && kernels.some((k) => k.bindings.length > limit)) {
    // too many arrays for one dispatch (adjoint steps touch many temps): temps, xs, ys and
    // constants become ranges of an arena, so each kernel binds its States and carries plus one or two arenas
    const withArenas = [...buffers.list];
    const packing = packArenas(g, fused, withArenas, maxBindingBytes);
    const packed = fused.kernels.flatMap((spec, i) => emitKernel(g, spec, i, { ...ctx(false), bindings: new Bindings(new Set(), packing) }));
    if (packed.every((k) => k.bindings.length <= limit)) {
      kernels = packed;
      arenas = packing;
      buffers.list.splice(0, buffers.list.length, ...withArenas);
    }
  }
  if (lowering === 'dispatch-chain' && opts.mergeWaves !== false) {
    kernels = waveChain(g, fused, ctx(false), arenas, limit) ?? kernels;
  }
  const roundSteps = lowering === 'temporal-fusion' || lowering === 'persistent-workgroup';
  const stepsPerRound = roundSteps ? Math.max(1, Math.min(steps, opts.stepsPerRound ?? 2000)) : 1;
  for (const k of kernels) {
    if (k.bindings.length > limit) {
      const names = k.bindings.map((b) => {
        const buf = buffers.list[b.buffer] as PlanBuffer;
        return `${buf.role} "${buf.name}"${b.side === 'only' ? '' : ` (${b.side})`}`;
      });
      throw new TooManyBindings(
        `a fused kernel of this step reads and writes ${k.bindings.length} arrays (${names.join(', ')}), ` +
          `but the device allows ${limit} storage buffers per shader stage; split the step's States across fewer arrays per update, ` +
          `or use a device with a higher maxStorageBuffersPerShaderStage`,
      );
    }
  }
  const inPlaceKeys = new Set(inPlace.values());
  const readback = buffers.list.filter((b) => b.role === 'ys' || ((b.role === 'state' || b.role === 'carry') && (b.pingPong || inPlaceKeys.has(`${b.role}:${b.index}`)))).map((b) => b.id);
  return {
    format: 'spiketrace-plan', version: 1, lowering, steps,
    stepsPerRound,
    roundsPerSubmit: roundSteps ? 64 : (opts.roundsPerSubmit ?? 1000),
    buffers: buffers.list, kernels, readback,
  };
}

function layoutBuffers(g: Graph, fused: FusedStep, steps: number, inPlaceStates: ReadonlySet<string> = new Set()) {
  const list: PlanBuffer[] = [];
  const keyed = new Map<string, PlanBuffer>();
  // States updated in place keep one buffer: they are not double-buffered
  const written = new Set(g.outputs.filter((o) => o.kind === 'state' || o.kind === 'carry').map((o) => `${o.kind}:${o.index}`).filter((k) => !inPlaceStates.has(k)));
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
      pingPong: o.kind !== 'y' && !inPlaceStates.has(key),
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

/**
 * The dispatch chain with independent kernels merged: kernels are scheduled into dependency waves
 * as in the persistent workgroup (a kernel goes to the wave after the last one it conflicts with:
 * it reads what that wrote, or writes what that read or wrote; a State's `cur` and `next` copies
 * are different buffers), and each wave of several kernels becomes one dispatch whose invocations
 * are split by ranges among its kernels. Fewer dispatches per step (each costs ~10 us on an H200
 * through Dawn, ~40-100 us on lavapipe). event_count's zero and scatter are separate items, which
 * depend on each other whichever comes first, so they never share a dispatch (where the scatter's
 * atomic view of the counts would clash with the plain one); the zero may run first or, clearing
 * for the next step, after the counts' last reader. Returns undefined (keep one dispatch per
 * kernel) when a wave would bind more arrays than the device allows or one buffer both ways.
 */
function waveChain(g: Graph, fused: FusedStep, base: EmitContext, arenas: Map<number, ArenaSlot> | undefined, limit: number): PlanKernel[] | undefined {
  const fresh = (): Bindings => new Bindings(new Set(), arenas ?? new Map());
  // one item per body: a spec may have several (event_count: zero, then scatter), each its own dispatch
  type Item = { spec: number; part: number; reads: Set<string>; writes: Set<string>; clears: boolean };
  const parts = (spec: KernelSpec): number => (spec.kind === 'global' && g.node(spec.node).op === 'event_count' ? 2 : 1);
  const all: Item[] = fused.kernels.flatMap((spec, i) => Array.from({ length: parts(spec) }, (_, part) => {
    const body = emitBodies(g, spec, i, { ...base, bindings: fresh() }, part)[0]?.body;
    return body ? [{ spec: i, part, reads: body.access?.reads ?? new Set(['*']), writes: body.access?.writes ?? new Set(['*']), clears: !!body.clearsForNextStep }] : [];
  }).flat());
  // clearing the counts for the next step after their last reader can share a later dispatch
  // (buffers start zeroed, and every step leaves them cleared): whichever order needs fewer
  const inOrder = dependencyWaves(all);
  const clearedLast = dependencyWaves([...all.filter((x) => !x.clears), ...all.filter((x) => x.clears)]);
  // the fewer dispatches first; if a wave of it does not fit the device, the other order
  const orders = clearedLast.length < inOrder.length ? [clearedLast, inOrder] : [inOrder];
  for (const waves of orders) {
    if (waves.length === all.length) continue;
    const kernels = frameWaves(waves);
    if (kernels) return kernels;
  }
  return undefined;

  function frameWaves(waves: Item[][]): PlanKernel[] | undefined {
    const out: PlanKernel[] = [];
    for (const w of waves) {
      const bind = fresh();
      try {
        const bodies = w.map((it) => (emitBodies(g, fused.kernels[it.spec] as KernelSpec, it.spec, { ...base, bindings: bind }, it.part)[0] as { body: KernelBody }).body);
        if (bind.list.length > limit) return undefined;
        out.push(frameWave(bodies, bind, base.workgroupSize));
      } catch (e) {
        if (e instanceof BindingConflict) return undefined;
        throw e;
      }
    }
    return out;
  }
}

/**
 * put_row nodes that can write their State in place (node id -> "state:<index>"): the row comes
 * from a State input, the result is that State's new value and nothing else, and every other
 * reader of the State's old value runs in an earlier phase (so before the write: phases are
 * separated by dispatches or barriers). The State then keeps one buffer and a step stores one row,
 * not the whole buffer (a delay's ring buffer: O(n) instead of O(L n)).
 */
export function inPlaceRows(g: Graph, fused: FusedStep): Map<number, string> {
  const out = new Map<number, string>();
  const uses = new Map<number, number>();
  for (const n of g.nodes) for (const s of n.src) uses.set(s, (uses.get(s) ?? 0) + 1);
  for (const o of g.outputs) uses.set(o.node, (uses.get(o.node) ?? 0) + 1);
  for (const k of fused.kernels) {
    if (k.kind !== 'global' || g.node(k.node).op !== 'put_row' || k.temp) continue;
    const p = g.node(k.node);
    const x = g.node(p.src[0] as number);
    const src = x.arg as InputSource | undefined;
    if (x.op !== 'input' || src?.kind !== 'state') continue;
    const own = g.outputs.filter((o) => o.node === p.id);
    if (own.length !== 1 || own[0]!.kind !== 'state' || own[0]!.index !== src.index || uses.get(p.id) !== 1) continue;
    const readsBefore = fused.kernels.every((r) => {
      if (r === k) return true;
      const reads = r.kind === 'elementwise' ? r.loads.includes(x.id)
        : g.node(r.node).src.includes(x.id) || !!r.operand?.loads.includes(x.id);
      return !reads || r.phase < k.phase;
    });
    if (readsBefore) out.set(p.id, `state:${src.index}`);
  }
  return out;
}

/**
 * event_count nodes whose counts one elementwise kernel reads, each count at that kernel's own
 * element: that kernel loads a count and stores 0 in its place, so the next step's scatter finds
 * them cleared without a zero kernel (one invocation per count: at 40 000 neurons on lavapipe the
 * zero kernels took ~1/5 of COBA's step). Counts read elsewhere (by a global op, by several
 * kernels, broadcast) keep their zero kernel.
 */
export function countsClearedByReader(g: Graph, fused: FusedStep): Set<number> {
  const readers = new Map<number, number>();
  const own = new Set<number>();
  for (const k of fused.kernels) {
    if (k.kind === 'elementwise') {
      for (const id of k.loads) {
        if (g.node(id).op !== 'event_count') continue;
        readers.set(id, (readers.get(id) ?? 0) + 1);
        if (shapeEq(g.node(id).shape, k.shape)) own.add(id);
      }
    } else {
      const n = g.node(k.node);
      for (const s of n.src) if (g.node(s).op === 'event_count') readers.set(s, (readers.get(s) ?? 0) + 2);
      if (k.operand) for (const id of k.operand.loads) if (g.node(id).op === 'event_count') readers.set(id, (readers.get(id) ?? 0) + 2);
    }
  }
  return new Set([...readers].filter(([id, count]) => count === 1 && own.has(id)).map(([id]) => id));
}

/** Rough work of one step: element updates of each kernel, times the contracted length of products. */
export function stepWork(g: Graph, fused: FusedStep): number {
  let w = 0;
  for (const k of fused.kernels) {
    if (k.kind === 'elementwise') { w += sizeOf(k.shape); continue; }
    const n = g.node(k.node);
    const a = g.node(n.src[0] as number);
    if (n.op === 'matmul' || n.op === 'matmul_wt') w += sizeOf(n.shape) * (a.shape[a.shape.length - 1] as number);
    else if (n.op === 'matmul_xt') w += sizeOf(n.shape) * (sizeOf(a.shape) / (a.shape[a.shape.length - 1] as number));
    else if (n.op === 'event_count') {
      const r = (n as Node<'event_count'>).arg.rows;
      const nPre = a.shape[a.shape.length - 1] as number;
      w += (r && nPre > 0 ? (sizeOf(a.shape) / nPre) * (r[1] - r[0]) : sizeOf(a.shape)) + sizeOf(n.shape);
    }
    else if (n.op === 'take_row' || n.op === 'slice' || n.op === 'pad') w += sizeOf(n.shape);
    else if (n.op === 'event_outer') w += sizeOf(n.shape) * (sizeOf(a.shape) / (a.shape[a.shape.length - 1] as number));
    else w += sizeOf(a.shape);
  }
  return w;
}

function smallEnough(g: Graph, fused: FusedStep): boolean {
  return fused.kernels.every((k) => {
    const shape = k.kind === 'elementwise' ? k.shape : g.node(k.node).shape;
    const n = g.node(k.kind === 'elementwise' ? (k.stores[0]?.node ?? 0) : k.node);
    // event_count's scatter runs one invocation per pre neuron (spikes' size), its zero per count
    const extra = n.op === 'event_count' ? sizeOf(g.node(n.src[0] as number).shape) : 0;
    return Math.max(sizeOf(shape), extra) <= PERSISTENT_MAX_ELEMENTS;
  });
}

/**
 * Every kernel of the step as one shader with one binding table (emit-kernel.ts framePersistent).
 * To stay within the storage-buffer limit, every buffer that is not a State or carry (temps,
 * per-step inputs and results, captured constants) is a range of an arena buffer (`array<u32>`,
 * values bitcast through it), except event_count targets, which share a second arena of
 * `array<atomic<i32>>` (an all-atomic arena measured 42% slower per COBA step on an H200): a State
 * costs two bindings (its two copies), everything else at most two in all. The runtime uploads xs
 * and captured data into their ranges and reads ys back from theirs. Member buffers are copied
 * (with their range) so a plan that is not chosen keeps its own.
 */
/**
 * Move every buffer that is not a State or carry (temps, per-step inputs and results, captured
 * constants) into an arena buffer (`array<u32>`, values bitcast through it), except event_count
 * targets, which share a second arena of `array<atomic<i32>>` (an all-atomic arena measured 42%
 * slower per COBA step on an H200). Member buffers in `list` are replaced by copies with their
 * range, and the arenas are appended, so a plan that is not chosen keeps its own list.
 */
function packArenas(g: Graph, fused: FusedStep, list: PlanBuffer[], maxBytes: number): Map<number, ArenaSlot> {
  // event_count targets go to a small atomic arena, so only their accesses pay for atomics
  const atomicTemps = new Set<number>();
  for (const k of fused.kernels) {
    if (k.kind === 'global' && g.node(k.node).op === 'event_count') {
      const b = list.find((x) => x.role === 'temp' && x.index === k.node);
      if (b) atomicTemps.add(b.id);
    }
  }
  const arenas = new Map<number, ArenaSlot>();
  const pack = (name: string, members: PlanBuffer[], atomic: boolean): void => {
    if (members.length === 0) return;
    const arena: PlanBuffer = { id: list.length, name, role: 'temp', index: -1, dtype: atomic ? 'i32' : 'u32', shape: [], elements: 0, pingPong: false };
    for (const m of members) {
      // a member that would push the arena past one binding's size stays a buffer of its own
      if ((arena.elements + m.elements) * 4 > maxBytes) continue;
      list[m.id] = { ...m, arena: { buffer: arena.id, offset: arena.elements } };
      arenas.set(m.id, { arena, offset: arena.elements, atomic });
      arena.elements += m.elements;
    }
    arena.shape = [arena.elements];
    list.push(arena);
  };
  // small members first, so that what stays out (if anything) is a few large per-step arrays
  const others = list.filter((b) => b.role !== 'state' && b.role !== 'carry').sort((a, b) => a.elements - b.elements || a.id - b.id);
  pack('arena', others.filter((b) => !atomicTemps.has(b.id)), false);
  pack('atomic arena', others.filter((b) => atomicTemps.has(b.id)), true);
  return arenas;
}

/**
 * Every kernel of the step as one shader with one binding table (emit-kernel.ts framePersistent).
 * To stay within the storage-buffer limit everything but States and carries lives in arenas
 * (packArenas): a State costs two bindings (its two copies), everything else at most two in all.
 * The runtime uploads xs and captured data into their ranges and reads ys back from theirs.
 */
function persistentKernel(
  g: Graph, fused: FusedStep, list: PlanBuffer[], ctx: (f: boolean, b?: Bindings) => EmitContext, wg: number, maxBytes: number, sharedBytes: number,
  useRegisters: boolean,
): PlanKernel {
  // each event_count gets a list of the (batch, pre) indices that spiked this step (emitEventCompacted)
  const lists = new Map<number, number>();
  for (const k of fused.kernels) {
    if (k.kind !== 'global' || g.node(k.node).op !== 'event_count') continue;
    const elements = sizeOf(g.node(g.node(k.node).src[0] as number).shape);
    lists.set(k.node, list.length);
    list.push({ id: list.length, name: `%${k.node} spike list`, role: 'temp', index: -1, dtype: 'u32', shape: [elements], elements, pingPong: false });
  }
  const arenas = packArenas(g, fused, list, maxBytes);
  const shared = workgroupPlan(g, fused, list, sharedBytes);
  const emit = (registers: Map<number, string>) => {
    const bind = new Bindings(new Set(), arenas, registers, shared.counts);
    const c: EmitContext = { ...ctx(false, bind), persistent: { eventList: (node) => list[lists.get(node) as number] as PlanBuffer, sharedPack: shared.packs } };
    return { bind, bodies: fused.kernels.flatMap((spec, i) => emitBodies(g, spec, i, c).map((x) => x.body)) };
  };
  // first pass: which buffers every kernel touches only at its own element; second: those in registers
  const first = emit(new Map());
  const registers = useRegisters ? registerBuffers(first.bodies, list, wg) : new Map<number, string>();
  const { bind, bodies } = registers.size ? emit(registers) : first;
  bind.begin(); // the copies' bindings must not count as the last body's accesses
  const copies = list.filter((b) => b.pingPong && !registers.has(b.id)).map((b) => ({
    cur: bind.name(b, 'cur', 'read_write'), next: bind.name(b, 'next', 'read_write'), elements: b.elements,
  }));
  const regs = registerPlan(list, registers, bind, wg);
  return framePersistent([...bodies, ...regs.moves], bind, copies, wg, regs);
}

/**
 * What the persistent shader keeps in workgroup memory, within the device's workgroup storage
 * (`limit`): every event_count's spike counter (4 bytes), then the words of each pack_bits of at
 * most PACK_SHARED_MAX_BYTES whose input is not a literal (emitPackShared), then event counts
 * (atomics there are far cheaper than on storage buffers, and the step's consumers read them
 * without a memory round trip), each while it fits. Returns pack_bits node ids and count buffer
 * id -> array name.
 */
function workgroupPlan(g: Graph, fused: FusedStep, list: PlanBuffer[], limit: number): { packs: Set<number>; counts: Map<number, string> } {
  // WebGPU counts each workgroup variable rounded up to 16 bytes
  const size = (elements: number) => Math.ceil((elements * 4) / 16) * 16;
  const globals = fused.kernels.filter((k) => k.kind === 'global').map((k) => g.node(k.node));
  let used = size(1) * globals.filter((n) => n.op === 'event_count').length;
  const packs = new Set<number>();
  for (const n of globals) {
    const words = sizeOf(n.shape);
    if (n.op !== 'pack_bits' || words === 0 || g.node(n.src[0] as number).op === 'const' || words * 4 > PACK_SHARED_MAX_BYTES || used + size(words) > limit) continue;
    used += size(words);
    packs.add(n.id);
  }
  const counts = new Map<number, string>();
  for (const n of globals) {
    if (n.op !== 'event_count') continue;
    const b = list.find((x) => x.role === 'temp' && x.index === n.id);
    if (!b || b.elements === 0 || used + size(b.elements) > limit) continue;
    used += size(b.elements);
    counts.set(b.id, `cnt${n.id}`);
  }
  return { packs, counts };
}

/** Most register slots (elements per invocation) one buffer may take, and all buffers together. */
export const REGISTER_MAX_SLOTS = 8;
export const REGISTER_BUDGET = 64;

/**
 * Buffers of the persistent shader that can live in per-invocation registers: every kernel
 * touches them only at its own element (so invocation lid only ever needs elements lid + m * wg),
 * they are States, carries, constants or temps (not per-step inputs or results), and they fit
 * REGISTER_MAX_SLOTS slots each and REGISTER_BUDGET in all (a State counts twice: two copies).
 * Smallest first, so a budget that runs out keeps the most buffers. Returns id -> base name.
 */
function registerBuffers(bodies: KernelBody[], list: PlanBuffer[], wg: number): Map<number, string> {
  const local = new Map<number, boolean>();
  for (const b of bodies) {
    const acc = b.access;
    for (const key of acc ? [...acc.reads, ...acc.writes] : []) {
      if (!/^\d+:/.test(key)) continue;
      const id = Number(key.split(':')[0]);
      local.set(id, (local.get(id) ?? true) && !b.dynamicCount && !(acc as { nonLocal: Set<string> }).nonLocal.has(key));
    }
  }
  const out = new Map<number, string>();
  let used = 0;
  const candidates = list.filter((b) => local.get(b.id) === true && b.elements > 0 && ['state', 'carry', 'captured', 'temp'].includes(b.role))
    .sort((x, y) => x.elements - y.elements || x.id - y.id);
  for (const b of candidates) {
    const slots = Math.ceil(b.elements / wg) * (b.pingPong ? 2 : 1);
    if (Math.ceil(b.elements / wg) > REGISTER_MAX_SLOTS || used + slots > REGISTER_BUDGET) continue;
    used += slots;
    out.set(b.id, `p${b.id}`);
  }
  return out;
}

/**
 * Declarations, fill and write-back of the register buffers (framePersistent), and for each State
 * in registers a body that moves its new values (`p<id>b`) onto its step-entry ones (`p<id>a`),
 * scheduled like a kernel (it shares the loop of the kernel that computes them).
 */
function registerPlan(list: PlanBuffer[], registers: Map<number, string>, bind: Bindings, wg: number): RegisterPlan & { moves: KernelBody[] } {
  const plan: RegisterPlan & { moves: KernelBody[] } = { decls: [], prologue: [], epilogue: [], moves: [] };
  for (const [id, base] of registers) {
    const b = list[id] as PlanBuffer;
    const type = `array<${wgslType(b.dtype)}, ${Math.ceil(b.elements / wg)}>`;
    const own = ownElements(b.elements, wg);
    if (b.pingPong) {
      plan.decls.push(`var<private> ${base}a: ${type};`, `var<private> ${base}b: ${type};`);
      const cur = bind.storage(b, 'cur', 'read_write');
      const next = bind.storage(b, 'next', 'read_write');
      plan.prologue.push(`${own} ${base}a[m] = ${bind.load(cur, 'i', b.dtype)}; } }`);
      plan.epilogue.push(`${own} ${bind.store(next, 'i', `${base}a[m]`, b.dtype)} } }`);
      plan.moves.push({
        name: `${base}_next_to_cur`, invocations: b.elements, lines: [`${base}a[m] = ${base}b[m];`], helpers: new Set(),
        access: { reads: new Set([`${id}:next`]), writes: new Set([`${id}:cur`]), nonLocal: new Set() },
      });
    } else {
      plan.decls.push(`var<private> ${base}: ${type};`);
      if (b.role !== 'temp') plan.prologue.push(`${own} ${base}[m] = ${bind.load(bind.storage(b, 'only', 'read'), 'i', b.dtype)}; } }`);
    }
  }
  return plan;
}
