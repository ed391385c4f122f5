/**
 * The shared engine of every transform: trace a step once per signature, optimize and lower it,
 * and run all its steps on the GPU (or on the CPU reference when asked), then write results back.
 *  1. signature = kind + per-step operand types and units + carry types + environment + statics
 *  2. trace (synchronously, in the caller's environment) unless cached; validate cached states
 *  3. queue the run: runs are serialized so that each sees the States its predecessor left
 *  4. run: upload what changed, encode every step, read back ys and written states once
 */
import {
  activeTape, currentTrace, type GradTape, interpretStep, userFrameOf, lower, optimize, Tensor, Trace, type Graph, type HostArray, type LoweringChoice, type TypedArray,
} from '@spiketrace/compiler';
import {
  acquireDevice, describePlan, doneWithDevice, Executable, ResidentBuffer, type GpuContext, type Plan, type PlanBuffer, type RunProfile,
} from '@spiketrace/runtime';
import { isQuantity, type Unit } from '@spiketrace/units';
import * as environ from '../environ.ts';
import { TransformError } from '../errors.ts';
import { State } from '../state.ts';
import { flatten, type Tree } from '../tree.ts';
import { describeValue, isArrayValue, mantissaOf, unitOfValue, withUnit, type ArrayValue } from '../value.ts';
import { adoptReadback, residentFor } from './residency.ts';
import { checkKnobs, checkProfile, type CompilerOptions } from './knobs.ts';

export type { CompilerOptions } from './knobs.ts';
import { runLoopOnTape, touchesTape } from './grad-loop.ts';

export type Lowering = LoweringChoice | 'interpret';

export interface RunOptions {
  /** 'auto' (default) lets the cost model choose; 'interpret' runs the CPU reference. */
  lowering?: Lowering;
  /** Progress from completed GPU work: steps done of steps. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Time each kernel on the GPU over the first rounds (timestamp queries, where the device has
   * them): `lastRun().profile`. Results are unchanged; the profiled rounds run a little slower.
   * Under `grad` the runs' kernel times add up in `runGraphProfile().kernelMs`.
   */
  profile?: boolean;
  /**
   * Tuning knobs of the compiler, for benchmarks and experiments (the defaults are what the cost
   * model and the device limits choose): the persistent workgroup's size (an integer from 32 to the
   * device's limit), steps per round, register arrays on or off, merging a chain's independent
   * kernels. Under `grad` they apply to every run (the forward that saves values, checkpoint
   * recomputation, the reverse loop).
   */
  compiler?: CompilerOptions;
}


export interface StepRequest {
  kind: 'forLoop' | 'scan' | 'jit';
  fn: object;
  steps: number;
  /** Per-step operands: with a leading steps axis (loops) or as they are (jit). */
  perStep: readonly ArrayValue[];
  leadingAxis: boolean;
  carry: readonly ArrayValue[];
  staticKey: string;
  /** Calls the user function on traced slices and carries; returns its results as trees. */
  body(slices: ArrayValue[], carries: ArrayValue[]): { ys: Tree; carry: readonly ArrayValue[] };
  opts: RunOptions;
  /** Checkpointed loops: under grad, keep O(base log_base T) values and recompute the rest. */
  checkpointBase?: number;
}

export interface StepResult {
  ys: Tree;
  carry: ArrayValue[];
}

/** A traced and optimized step: what bundles and inspection tools build on. */
export interface Compiled {
  /** Environment keys the trace read, and their values then. */
  envKeys: string[];
  envSig: string;
  graph: Graph;
  traced: Graph;
  slots: State[];
  slotSig: string[];
  captured: HostArray[];
  rebuildYs: (leaves: readonly ArrayValue[]) => Tree;
  yUnits: (Unit | undefined)[];
  yShapes: (readonly number[])[];
  carryUnits: (Unit | undefined)[];
  plans: Map<string, Plan>;
  executables: Map<string, Executable>;
  /** The concrete tensor behind each captured array (what grad's tape follows). */
  capturedTensors: Tensor[];
  /** Under grad: the cached trace with the same graph, whose plans, pipelines and adjoints this one shares. */
  canonical?: Compiled;
}

export interface RunInfo {
  kind: StepRequest['kind'];
  lowering: Lowering;
  steps: number;
  kernels: number;
  dispatches: number;
  wallMs: number;
  device?: string;
  plan?: string;
  /** Per-kernel GPU times of the first rounds, when the run asked for `profile` and the device has timestamp queries. */
  profile?: RunProfile;
}

const caches = new WeakMap<object, Map<string, Compiled[]>>();
let traces = 0;
let lastInfo: RunInfo | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** How many times any step function has been traced (caching makes this stop growing). */
export function traceCount(): number {
  return traces;
}

/** Resolves when every run queued so far has finished (failed runs included). */
export function settled(): Promise<void> {
  return queue.then(() => undefined);
}

/** What the last completed run did: lowering, kernels, dispatches, wall time. */
export function lastRun(): RunInfo | undefined {
  return lastInfo;
}

function avalKey(v: ArrayValue, dropLeading: boolean): string {
  const sh = dropLeading ? v.shape.slice(1) : v.shape;
  return `${mantissaOf(v).dtype}[${sh.join(',')}]${unitOfValue(v)?.name ?? ''}`;
}

function slotSignature(s: State): string {
  const v = s.hostValue;
  return v === undefined ? 'uninit' : avalKey(v, false);
}

const DEFERRED = Symbol('deferred');
/** How many queued runs will write each State. */
const pendingWrites = new WeakMap<State, number>();

function bumpPending(s: State, d: number): void {
  const n = (pendingWrites.get(s) ?? 0) + d;
  if (n > 0) pendingWrites.set(s, n);
  else pendingWrites.delete(s);
}

function writtenSlots(c: Compiled): number[] {
  return c.graph.outputs.filter((o) => o.kind === 'state').map((o) => o.index);
}

/**
 * Install a run's result as a State's host value, unless the program wrote the State after the
 * call (then that later write stands, and the GPU copy is refreshed from it before the next run).
 */
function writeBack(s: State, startedFrom: ArrayValue, v: ArrayValue): boolean {
  if (s.hostValue !== startedFrom) return false;
  s.setHostValue(v);
  return true;
}

/** Trace and compile (or fetch from cache) synchronously, then queue the run. */
export function runStep(req: StepRequest): Promise<StepResult> {
  try {
    if (currentTrace()) {
      throw new TransformError(`${req.kind} inside another transform is not supported yet; call the step's body directly`);
    }
    for (const [i, v] of req.perStep.entries()) {
      if (!isArrayValue(v)) throw new TransformError(`${req.kind}: operand ${i} is ${describeValue(v)}; a Quantity or Tensor is required`);
      if (v.isTraced) throw new TransformError(`${req.kind}: operand ${i} is a traced value`);
    }
    const tape = activeTape();
    const compiled = tape && req.leadingAxis ? compileUnderTape(req, tape) : compile(req);
    // Program order: a run starts from the States as they are at its call, unless an earlier run
    // still in the queue writes them; then it starts from that run's results.
    const written = writtenSlots(compiled);
    const snapshot = compiled.slots.map((s) => (pendingWrites.get(s) ? DEFERRED : s.hostValue));
    for (const k of written) bumpPending(compiled.slots[k] as State, +1);
    const p = queue.then(() => {
      const start = snapshot.map((v, i) => (v === DEFERRED ? compiled.slots[i]!.hostValue : v)) as ArrayValue[];
      if (tape && touchesTape(tape, req, start, compiled)) {
        const base = req.checkpointBase;
        return runLoopOnTape({ req, c: compiled, start, tape, lowering: req.opts.lowering ?? 'auto', writeBack, ...(base ? { base } : {}) });
      }
      return execute(req, compiled, start);
    })
      .finally(() => {
        for (const k of written) bumpPending(compiled.slots[k] as State, -1);
      });
    queue = p.catch(() => undefined);
    return p;
  } catch (e) {
    return Promise.reject(e);
  }
}

function compile(req: StepRequest): Compiled {
  const key = [
    req.kind, req.steps, req.opts.lowering ?? 'auto',
    req.perStep.map((v) => avalKey(v, req.leadingAxis)).join(' '),
    req.carry.map((v) => avalKey(v, false)).join(' '),
    req.staticKey,
  ].join('|');
  let cache = caches.get(req.fn);
  if (!cache) caches.set(req.fn, (cache = new Map()));
  const entries = cache.get(key) ?? [];
  // a hit needs the same values for the environment keys the trace read, and States of the same type
  const hit = entries.find((c) => c.envSig === environ.signature(c.envKeys) && c.slots.every((s, i) => slotSignature(s) === c.slotSig[i]));
  if (hit) return hit;
  const c = trace(req);
  cache.set(key, [...entries.filter((e) => e.envSig !== c.envSig), c].slice(-8));
  return c;
}

function trace(req: StepRequest, keepCaptured?: (t: Tensor) => boolean): Compiled {
  traces++;
  const tr = new Trace(req.kind);
  tr.keepCaptured = keepCaptured;
  let ys: ArrayValue[] = [];
  let carryOut: ArrayValue[] = [];
  let rebuildYs: (l: readonly ArrayValue[]) => Tree = () => undefined;
  let envKeys: string[] = [];
  try {
    envKeys = environ.recordingReads(() => tr.run(() => traceBody(tr, req, (y, c, r) => { ys = y; carryOut = c; rebuildYs = r; }))).keys;
  } catch (e) {
    throw locate(e, req.kind);
  }
  const traced = tr.toGraph(ys.map(mantissaOf), carryOut.map(mantissaOf));
  const graph = optimize(traced);
  const slots = tr.slots.map((s) => s.key as State);
  return {
    envKeys, envSig: environ.signature(envKeys), graph, traced, slots, slotSig: slots.map(slotSignature), captured: [...tr.captured], rebuildYs,
    yUnits: ys.map(unitOfValue), yShapes: ys.map((y) => y.shape), carryUnits: carryOut.map(unitOfValue),
    plans: new Map(), executables: new Map(), capturedTensors: [...tr.capturedTensors],
  };
}

const underTape = new WeakMap<object, Map<string, Compiled>>();

/**
 * Under grad, a step is traced on every call: its body may close over values computed from what
 * grad differentiates (a masked weight built before the loop), which must be this call's values,
 * kept as captured inputs (never folded into literals) so the loop's adjoint can reach them. The
 * plans, pipelines and adjoint graphs are shared with an earlier trace of the same graph text.
 */
function compileUnderTape(req: StepRequest, tape: GradTape): Compiled {
  const c = trace(req, (t) => tape.watches(t));
  const key = `${req.kind}|${req.steps}|${c.slotSig.join(' ')}|${c.graph.toString()}`;
  let byText = underTape.get(req.fn);
  if (!byText) underTape.set(req.fn, (byText = new Map()));
  const c0 = byText.get(key);
  if (!c0) {
    byText.set(key, c);
    return c;
  }
  return { ...c0, captured: c.captured, capturedTensors: c.capturedTensors, rebuildYs: c.rebuildYs, canonical: c0 };
}

/** Point a trace-time error at the line of the user's model that raised it. */
function locate(e: unknown, kind: string): unknown {
  if (!(e instanceof Error)) return e;
  const at = userFrameOf(e);
  if (at && !e.message.includes(' (in the ')) e.message += ` (in the ${kind} step, at ${at})`;
  return e;
}

function traceBody(
  tr: Trace, req: StepRequest,
  done: (ys: ArrayValue[], carry: ArrayValue[], rebuild: (l: readonly ArrayValue[]) => Tree) => void,
): void {
  {
    const slices = req.perStep.map((v, k) => {
      const shape = req.leadingAxis ? v.shape.slice(1) : v.shape;
      return withUnit(tr.input({ kind: 'xs', index: k }, { dtype: mantissaOf(v).dtype, shape }), unitOfValue(v));
    });
    const carries = req.carry.map((v, k) => withUnit(tr.input({ kind: 'carry', index: k }, mantissaOf(v)), unitOfValue(v)));
    const out = req.body(slices, carries);
    const flat = flatten(out.ys, `the ${req.kind} step function`);
    const carryOut = [...out.carry];
    carryOut.forEach((c, i) => {
      const init = req.carry[i] as ArrayValue;
      if (c.shape.join() !== init.shape.join() || mantissaOf(c).dtype !== mantissaOf(init).dtype ||
        (unitOfValue(c)?.name ?? '') !== (unitOfValue(init)?.name ?? '')) {
        throw new TransformError(`scan: carry leaf ${i} changes from ${avalKey(init, false)} to ${avalKey(c, false)} in one step`);
      }
    });
    done(flat.leaves, carryOut, flat.rebuild);
  }
}

function perStepData(req: StepRequest, k: number): TypedArray {
  return mantissaOf(req.perStep[k] as ArrayValue).data;
}

async function execute(req: StepRequest, c: Compiled, start: ArrayValue[]): Promise<StepResult> {
  const t0 = performance.now();
  const lowering = req.opts.lowering ?? 'auto';
  // checked before the interpreter branch too, so a bad option fails the same way on every lowering
  const knobs = checkKnobs(req.kind, req.opts.compiler ?? {});
  const profile = checkProfile(req.kind, req.opts.profile);
  if (lowering === 'interpret') return interpretAll(req, c, t0, start);
  const ctx = await acquireDevice();
  const carries: ResidentBuffer[] = [];
  try {
    const planKey = `${lowering}/${ctx.limits.maxStorageBuffersPerShaderStage}/${ctx.limits.maxComputeInvocationsPerWorkgroup}/${ctx.limits.maxComputeWorkgroupStorageSize}/${ctx.cpuAdapter}/${JSON.stringify(knobs)}`;
    let plan = c.plans.get(planKey);
    if (!plan) {
      plan = lower(c.graph, req.steps, {
        lowering, maxStorageBuffers: ctx.limits.maxStorageBuffersPerShaderStage, maxWorkgroupStorage: ctx.limits.maxComputeWorkgroupStorageSize, cpuAdapter: ctx.cpuAdapter, maxBindingBytes: ctx.limits.maxStorageBufferBindingSize,
        ...knobs,
        maxWorkgroupSize: Math.min(ctx.limits.maxComputeInvocationsPerWorkgroup, knobs.maxWorkgroupSize ?? Infinity),
      });
      c.plans.set(planKey, plan);
    }
    const exeKey = `${planKey}@${ctx.generation}`;
    let exe = c.executables.get(exeKey);
    if (!exe) {
      exe = await Executable.create(ctx, plan);
      c.executables.set(exeKey, exe);
    }
    const res = await exe.run({
      resident: (b) => {
        if (b.role === 'state') return residentFor(c.slots[b.index] as State, start[b.index] as ArrayValue, b, ctx);
        const init = req.carry[b.index] as ArrayValue;
        const r = new ResidentBuffer(ctx, b.elements, b.dtype, `carry#${b.index}`);
        r.write(mantissaOf(init).data, init);
        carries[b.index] = r;
        return r;
      },
      upload: (b) => (b.role === 'xs' ? perStepData(req, b.index) : (c.captured[b.index] as HostArray).data),
    }, { ...(req.opts.onProgress ? { onProgress: req.opts.onProgress } : {}), ...(profile ? { profile: true } : {}) });
    const ysLeaves: ArrayValue[] = [];
    const carryOut: ArrayValue[] = [];
    for (const b of plan.buffers) {
      const data = res.data.get(b.id);
      if (!data) continue;
      if (b.role === 'state') adoptReadback(c.slots[b.index] as State, start[b.index] as ArrayValue, data, ctx, writeBack);
      else if (b.role === 'ys') ysLeaves[b.index] = stacked(req, c, b.index, data, b);
      else if (b.role === 'carry') carryOut[b.index] = withUnit(Tensor.fromHost({ dtype: b.dtype, shape: b.shape, data }), c.carryUnits[b.index]);
    }
    lastInfo = {
      kind: req.kind, lowering: plan.lowering, steps: req.steps, kernels: plan.kernels.length,
      dispatches: plan.kernels.length * Math.ceil(plan.steps / plan.stepsPerRound),
      wallMs: performance.now() - t0, device: ctx.adapterDescription, plan: describePlan(plan),
      ...(res.profile ? { profile: res.profile } : {}),
    };
    return { ys: c.rebuildYs(ysLeaves), carry: carryOut };
  } finally {
    for (const r of carries) r?.destroy();
    doneWithDevice();
  }
}

function stacked(req: StepRequest, c: Compiled, k: number, data: TypedArray, b: PlanBuffer | { dtype: HostArray['dtype'] }): ArrayValue {
  const shape = req.leadingAxis ? [req.steps, ...(c.yShapes[k] as number[])] : [...(c.yShapes[k] as number[])];
  return withUnit(Tensor.fromHost({ dtype: b.dtype, shape, data }), c.yUnits[k]);
}

/** The CPU reference path: the interpreter over every step, same inputs and write-back. */
function interpretAll(req: StepRequest, c: Compiled, t0: number, start: ArrayValue[]): StepResult {
  const g = c.graph;
  const states = new Map<number, HostArray>(c.slots.map((_s, i) => [i, mantissaOf(start[i] as ArrayValue).toHost()]));
  let carries: HostArray[] = req.carry.map((v) => mantissaOf(v).toHost());
  const slices = req.perStep.map((v) => {
    const h = mantissaOf(v).toHost();
    const shape = req.leadingAxis ? h.shape.slice(1) : h.shape;
    const n = shape.reduce((a, d) => a * d, 1);
    return (t: number): HostArray => ({ dtype: h.dtype, shape, data: h.data.subarray(t * n, (t + 1) * n) });
  });
  const yOuts = g.outputs.filter((o) => o.kind === 'y');
  const ysData: TypedArray[] = [];
  for (let t = 0; t < req.steps; t++) {
    const r = interpretStep(g, (s) => {
      if (s.kind === 'state') return states.get(s.index) as HostArray;
      if (s.kind === 'carry') return carries[s.index] as HostArray;
      if (s.kind === 'captured') return c.captured[s.index] as HostArray;
      return (slices[s.index] as (t: number) => HostArray)(t);
    }, t);
    for (const [k, v] of r.states) states.set(k, v);
    carries = r.carries.length ? r.carries : carries;
    r.ys.forEach((y, k) => {
      if (!ysData[k]) ysData[k] = new (y.data.constructor as new (n: number) => TypedArray)(y.data.length * req.steps);
      (ysData[k] as TypedArray).set(y.data, t * y.data.length);
    });
  }
  for (const o of g.outputs) {
    if (o.kind !== 'state') continue;
    const s = c.slots[o.index] as State;
    const from = start[o.index] as ArrayValue;
    const h = states.get(o.index) as HostArray;
    // a copy: the interpreter's result may share storage with an input or a captured constant
    writeBack(s, from, withUnit(Tensor.fromHost({ dtype: h.dtype, shape: from.shape, data: h.data.slice() }), unitOfValue(from)));
  }
  const ysLeaves = yOuts.map((o) => stacked(req, c, o.index, ysData[o.index] as TypedArray, g.node(o.node)));
  lastInfo = { kind: req.kind, lowering: 'interpret', steps: req.steps, kernels: 0, dispatches: 0, wallMs: performance.now() - t0 };
  return {
    ys: c.rebuildYs(ysLeaves),
    carry: carries.map((h, i) => withUnit(Tensor.fromHost(h), c.carryUnits[i])),
  };
}

/**
 * Trace (or fetch from cache) a step without running it: the graph, the States it touches, the
 * captured constants and the output units. Bundles and `spiketrace inspect` use this.
 */
export function traceStep(req: StepRequest): Compiled {
  if (currentTrace()) throw new TransformError('traceStep inside another transform is not supported');
  return compile(req);
}

/** The traced and optimized graphs of the last compile of `fn` (for inspection and golden tests). */
export function graphsOf(fn: object): { traced: Graph; optimized: Graph }[] {
  const all = [...(caches.get(fn)?.values() ?? [])].flat().concat([...(underTape.get(fn)?.values() ?? [])]);
  return all.map((c) => ({ traced: c.traced, optimized: c.graph }));
}

