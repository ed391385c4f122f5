/**
 * runGraph: run any step graph for `steps` steps with every input given explicitly (no State
 * objects, no residency). The adjoint machinery uses it for the forward pass that saves states,
 * for checkpoint recomputation and for the reverse loops. On the GPU it lowers like every step
 * (temporal fusion, dispatch chain or persistent workgroup by the cost model), allocates its
 * buffers for the run and frees them after, so the bytes alive on the device are those of the run
 * at hand; 'interpret' runs the CPU reference.
 */
import { interpretStep, lower, type Graph, type HostArray, type TypedArray } from '@spiketrace/compiler';
import { acquireDevice, doneWithDevice, Executable, ResidentBuffer, type Plan } from '@spiketrace/runtime';
import type { Lowering } from './engine.ts';
import { checkKnobs, checkProfile, type CompilerOptions } from './knobs.ts';

export interface GraphInputs {
  /** By state slot index: the value at step entry of the first step. */
  readonly states: ReadonlyMap<number, HostArray>;
  /** Looped operands, stacked along a leading steps axis. */
  readonly xs: readonly HostArray[];
  readonly carries: readonly HostArray[];
  readonly captured: readonly HostArray[];
}

export interface GraphOutputs {
  /** Final values of the written state slots. */
  readonly states: Map<number, HostArray>;
  /** Per-step outputs, stacked: [steps, ...]. */
  readonly ys: HostArray[];
  readonly carries: HostArray[];
}

interface Prepared {
  plan: Plan;
  exe: Executable;
}

const prepared = new WeakMap<Graph, Map<string, Prepared>>();

/** Where runGraph's time went since the last reset (the train bench reports it). */
export interface RunGraphProfile {
  runs: number;
  /** Whole calls, compile included. */
  totalMs: number;
  /** Executable.run: uploads, dispatches, the wait, the readback. */
  executeMs: number;
  /** Lowering and pipeline creation (cache misses). */
  compileMs: number;
  /** Runs per lowering, by graph name (e.g. "forLoop_reverse: dispatch-chain"). */
  lowerings: Record<string, number>;
  /**
   * GPU ms per kernel over the profiled rounds, by graph name and what the kernel runs (e.g.
   * "forLoop_reverse: k3_matmul_p1"), for runs under a `profile: true` option.
   */
  kernelMs: Record<string, number>;
}
const fresh = (): RunGraphProfile => ({ runs: 0, totalMs: 0, executeMs: 0, compileMs: 0, lowerings: {}, kernelMs: {} });
let profile = fresh();
export function runGraphProfile(reset = false): RunGraphProfile {
  const p = { ...profile, lowerings: { ...profile.lowerings }, kernelMs: { ...profile.kernelMs } };
  if (reset) profile = fresh();
  return p;
}

/** What the transform that runs the graph was asked for: per-kernel profiling, compiler knobs. */
export interface GraphRunOptions {
  profile?: boolean;
  compiler?: CompilerOptions;
}

export async function runGraph(g: Graph, steps: number, inp: GraphInputs, lowering: Lowering = 'auto', opts: GraphRunOptions = {}): Promise<GraphOutputs> {
  const knobs = checkKnobs(g.name, opts.compiler ?? {});
  const profiled = checkProfile(g.name, opts.profile);
  if (lowering === 'interpret') return interpretGraph(g, steps, inp);
  const t0 = performance.now();
  profile.runs++;
  const ctx = await acquireDevice();
  const temps: ResidentBuffer[] = [];
  let exe: Executable | undefined;
  try {
    const key = `${steps}/${lowering}/${ctx.limits.maxStorageBuffersPerShaderStage}/${ctx.limits.maxComputeInvocationsPerWorkgroup}/${ctx.limits.maxComputeWorkgroupStorageSize}/${ctx.cpuAdapter}/${JSON.stringify(knobs)}@${ctx.generation}`;
    let byKey = prepared.get(g);
    if (!byKey) prepared.set(g, (byKey = new Map()));
    let p = byKey.get(key);
    if (!p) {
      const tc = performance.now();
      const plan = lower(g, steps, {
        lowering, maxStorageBuffers: ctx.limits.maxStorageBuffersPerShaderStage, maxWorkgroupStorage: ctx.limits.maxComputeWorkgroupStorageSize, cpuAdapter: ctx.cpuAdapter, maxBindingBytes: ctx.limits.maxStorageBufferBindingSize,
        ...knobs,
        maxWorkgroupSize: Math.min(ctx.limits.maxComputeInvocationsPerWorkgroup, knobs.maxWorkgroupSize ?? Infinity),
      });
      p = { plan, exe: await Executable.create(ctx, plan) };
      byKey.set(key, p);
      profile.compileMs += performance.now() - tc;
    }
    exe = p.exe;
    const lk = `${g.name}: ${p.plan.lowering}`;
    profile.lowerings[lk] = (profile.lowerings[lk] ?? 0) + 1;
    const te = performance.now();
    const res = await exe.run({
      resident: (b) => {
        const h = b.role === 'state' ? inp.states.get(b.index) : inp.carries[b.index];
        if (!h) throw new Error(`runGraph(${g.name}): no value for ${b.role} ${b.index}`);
        const r = new ResidentBuffer(ctx, b.elements, b.dtype, b.name);
        r.write(h.data, h);
        temps.push(r);
        return r;
      },
      upload: (b) => {
        const h = b.role === 'xs' ? inp.xs[b.index] : inp.captured[b.index];
        if (!h) throw new Error(`runGraph(${g.name}): no value for ${b.role} ${b.index}`);
        return h.data as Float32Array;
      },
    }, profiled ? { profile: true } : {});
    profile.executeMs += performance.now() - te;
    for (const k of res.profile?.kernels ?? []) {
      const name = `${g.name}: ${k.parts}`;
      profile.kernelMs[name] = (profile.kernelMs[name] ?? 0) + k.ms;
    }
    const out: GraphOutputs = { states: new Map(), ys: [], carries: [] };
    const yShape = new Map(g.outputs.filter((o) => o.kind === 'y').map((o) => [o.index, g.node(o.node).shape]));
    for (const b of p.plan.buffers) {
      const data = res.data.get(b.id) as TypedArray | undefined;
      if (!data) continue;
      if (b.role === 'state') out.states.set(b.index, { dtype: b.dtype, shape: b.shape, data });
      else if (b.role === 'carry') out.carries[b.index] = { dtype: b.dtype, shape: b.shape, data };
      else if (b.role === 'ys') out.ys[b.index] = { dtype: b.dtype, shape: [steps, ...(yShape.get(b.index) ?? [])], data };
    }
    // a carry the step never changes is not read back: it keeps its initial value
    inp.carries.forEach((h, i) => { out.carries[i] ??= h; });
    return out;
  } finally {
    for (const r of temps) r.destroy();
    exe?.releaseBuffers();
    doneWithDevice();
    profile.totalMs += performance.now() - t0;
  }
}

/** The CPU reference of runGraph: the interpreter over every step. */
export function interpretGraph(g: Graph, steps: number, inp: GraphInputs): GraphOutputs {
  const states = new Map(inp.states);
  let carries = [...inp.carries];
  const slices = inp.xs.map((h) => {
    const shape = h.shape.slice(1);
    const n = shape.reduce((a, d) => a * d, 1);
    return (t: number): HostArray => ({ dtype: h.dtype, shape, data: h.data.subarray(t * n, (t + 1) * n) });
  });
  const ys: HostArray[] = [];
  for (let t = 0; t < steps; t++) {
    const r = interpretStep(g, (s) => {
      const v = s.kind === 'state' ? states.get(s.index)
        : s.kind === 'carry' ? carries[s.index]
          : s.kind === 'captured' ? inp.captured[s.index]
            : s.kind === 'xs' ? (slices[s.index] as (t: number) => HostArray)(t) : undefined;
      if (!v) throw new Error(`runGraph(${g.name}): no value for ${s.kind} ${s.index}`);
      return v;
    }, t);
    for (const [k, v] of r.states) states.set(k, v);
    if (r.carries.length) carries = r.carries;
    r.ys.forEach((y, k) => {
      let acc = ys[k];
      if (!acc) ys[k] = acc = { dtype: y.dtype, shape: [steps, ...y.shape], data: new (y.data.constructor as new (n: number) => TypedArray)(y.data.length * steps) };
      (acc.data as TypedArray).set(y.data, t * y.data.length);
    });
  }
  const written = new Map<number, HostArray>();
  for (const o of g.outputs) {
    if (o.kind === 'state') {
      const h = states.get(o.index) as HostArray;
      written.set(o.index, { dtype: h.dtype, shape: h.shape, data: h.data.slice() });
    }
  }
  return { states: written, ys, carries: carries.map((h) => ({ dtype: h.dtype, shape: h.shape, data: h.data.slice() })) };
}
