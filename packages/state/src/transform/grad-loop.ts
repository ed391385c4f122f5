/**
 * A loop run under `grad`: the forward pass runs for real (on the GPU, or the CPU reference) and
 * the loop records itself on the gradient tape with its adjoint.
 *
 * Plain loops run the `save` graph, which also stacks the pre-step values of the written States
 * and carries; the backward pass is one reverse loop over all T steps. Checkpointed loops run the
 * plain step chunk by chunk (at most `base` chunks of base^k steps, each run in pieces of the
 * next level's size so that the GPU holds one piece) and keep only each chunk's start values. Their backward pass recomputes, as brainstate's checkpointed_scan does with nested
 * scans, here as a recursion: the chunks are reversed last to first; a chunk longer than `base`
 * is cut again, its sub-chunks' start values found by re-running the forward step; a segment of at
 * most `base` steps re-runs with `save` and reverses. At most `base` start values per level and
 * `base` saved steps are alive at once: O(base * log_base T) instead of O(T).
 */
import { GradError, Tensor, type GradTape, type HostArray, type TypedArray } from '@spiketrace/compiler';
import type { State } from '../state.ts';
import { mantissaOf, unitOfValue, withUnit, type ArrayValue } from '../value.ts';
import type { Compiled, Lowering, StepRequest, StepResult } from './engine.ts';
import { buildLoopAdjoint, type LoopAdjoint } from './loop-adjoint.ts';
import { runGraph, type GraphInputs, type GraphOutputs } from './run-graph.ts';

const adjoints = new WeakMap<Compiled, Map<string, LoopAdjoint>>();

/**
 * Bytes of saved values (stacked steps and checkpoints) alive at once during the last grad call's
 * backward pass, over all its loops (a plain loop's stacked steps are held from its forward pass
 * until its reverse loop is done).
 */
let savedPeak = 0;
let savedNow = 0;
export function lastSavedBytes(): number {
  return savedPeak;
}
/** Stacked steps that plain loops under the current grad call saved in their forward passes. */
let heldFromForward = 0;
/** grad calls this before running its function... */
export function beginGradForward(): void {
  heldFromForward = 0;
}
/** ...and this before its backward pass, which starts with every plain loop's stacked steps held. */
export function beginGradBackward(): void {
  savedNow = heldFromForward;
  savedPeak = heldFromForward;
}
function holdSaved(bytes: number): void {
  savedNow += bytes;
  if (savedNow > savedPeak) savedPeak = savedNow;
}

function bytesOf(hs: Iterable<HostArray>): number {
  let n = 0;
  for (const h of hs) n += h.data.byteLength;
  return n;
}

function rows(h: HostArray, t0: number, len: number, reverse = false): HostArray {
  const shape = h.shape.slice(1);
  const n = shape.reduce((a, d) => a * d, 1);
  const data = new (h.data.constructor as new (k: number) => TypedArray)(len * n);
  for (let i = 0; i < len; i++) {
    const src = reverse ? t0 + len - 1 - i : t0 + i;
    data.set(h.data.subarray(src * n, (src + 1) * n), i * n);
  }
  return { dtype: h.dtype, shape: [len, ...shape], data };
}

/** brainstate's nesting: chunks of base^k steps, the largest with at most `base` of them in `len`. */
function chunkOf(len: number, base: number): number {
  let chunk = 1;
  while (chunk * base < len) chunk *= base;
  return chunk;
}

/** Concatenate per-chunk stacked outputs along the steps axis. */
function stackRows(parts: readonly HostArray[]): HostArray {
  const first = parts[0] as HostArray;
  const steps = parts.reduce((n, p) => n + (p.shape[0] as number), 0);
  const data = new (first.data.constructor as new (k: number) => TypedArray)(parts.reduce((n, p) => n + p.data.length, 0));
  let off = 0;
  for (const p of parts) { data.set(p.data, off); off += p.data.length; }
  return { dtype: first.dtype, shape: [steps, ...first.shape.slice(1)], data };
}

function zeros(h: { dtype: HostArray['dtype']; shape: readonly number[] }, lead?: number): HostArray {
  const shape = lead === undefined ? [...h.shape] : [lead, ...h.shape];
  return { dtype: 'f32', shape, data: new Float32Array(shape.reduce((a, d) => a * d, 1)) };
}

export interface LoopOnTape {
  req: StepRequest;
  c: Compiled;
  start: ArrayValue[];
  tape: GradTape;
  lowering: Lowering;
  /** Checkpointed loops give their base; plain loops save every step. */
  base?: number;
  writeBack(s: State, from: ArrayValue, v: ArrayValue): boolean;
}

/** Whether a loop reads anything the tape watches (else it runs as a plain loop). */
export function touchesTape(tape: GradTape, req: StepRequest, start: readonly ArrayValue[], c: Compiled): boolean {
  return [...start, ...req.perStep, ...req.carry].some((v) => v !== undefined && tape.watches(mantissaOf(v))) ||
    c.capturedTensors.some((t) => tape.watches(t));
}

export async function runLoopOnTape(o: LoopOnTape): Promise<StepResult> {
  const { req, c, start, tape, lowering } = o;
  const what = `the ${req.kind}`;
  const T = req.steps;
  if (!req.leadingAxis) throw new GradError(`grad through ${req.kind}: only loops are recorded; call the function directly inside grad`);
  const xsHost = req.perStep.map((v) => mantissaOf(v).toHost());
  const xsNeeded = req.perStep.map((v) => tape.watches(mantissaOf(v)));
  const capturedNeeded = c.capturedTensors.map((t) => tape.watches(t));
  const key = `${xsNeeded.map(Number).join('')}/${capturedNeeded.map(Number).join('')}`;
  const canonical = c.canonical ?? c;
  let byKey = adjoints.get(canonical);
  if (!byKey) adjoints.set(canonical, (byKey = new Map()));
  let adj = byKey.get(key);
  if (!adj) byKey.set(key, (adj = buildLoopAdjoint(c.graph, xsNeeded, what, capturedNeeded)));
  const A = adj;
  const reverseCaptured = [...c.captured, ...A.extraCaptured];
  const startStates = new Map<number, HostArray>(c.slots.map((_s, i) => [i, mantissaOf(start[i] as ArrayValue).toHost()]));
  const startCarries = req.carry.map((v) => mantissaOf(v).toHost());
  const inputsAt = (states: ReadonlyMap<number, HostArray>, carries: readonly HostArray[], t0: number, len: number): GraphInputs => ({
    states, carries, captured: c.captured, xs: xsHost.map((h) => (t0 === 0 && len === T ? h : rows(h, t0, len))),
  });

  const plain = o.base === undefined;
  // a forward step that fuses in time may still have a reverse step that reduces (a shared
  // parameter's gradient is a sum over elements): then the cost model picks the reverse lowering
  const reverseLowering: Lowering = lowering === 'temporal-fusion' ? 'auto' : lowering;
  const written = c.graph.outputs.filter((x) => x.kind === 'state').map((x) => x.index);
  type Mark = { t0: number; len: number; states: ReadonlyMap<number, HostArray>; cs: readonly HostArray[] };
  /** Checkpointed: the start values of the top level's chunks, kept from the forward pass. */
  const topMarks: Mark[] = [];
  let fwd: GraphOutputs;
  if (plain) {
    fwd = await runGraph(A.save, T, inputsAt(startStates, startCarries, 0, T), lowering, req.opts).catch((e: unknown) => {
      if (e instanceof Error && /more than this device binds/.test(e.message)) {
        e.message += `; under grad a plain ${req.kind} keeps every step's States for the backward pass: use checkpointedForLoop / checkpointedScan, which keep O(base log T)`;
      }
      throw e;
    });
  } else {
    // the forward pass runs chunk by chunk (the top level of the recursion below), so only one
    // chunk's operands and outputs are on the GPU at once, and its start values are checkpoints
    // each chunk runs in pieces of the next level's size, so the GPU holds a piece's operands and
    // outputs, not a whole chunk's (the backward pass never runs more than that at once either)
    const base = o.base as number;
    const chunk = chunkOf(T, base);
    const piece = chunk > base ? chunkOf(chunk, base) : chunk;
    let st: ReadonlyMap<number, HostArray> = startStates;
    let cc: readonly HostArray[] = startCarries;
    const parts: GraphOutputs[] = [];
    for (let a = 0; a < T; a += chunk) {
      topMarks.push({ t0: a, len: Math.min(chunk, T - a), states: st, cs: cc });
      for (let b = a; b < Math.min(a + chunk, T); b += piece) {
        const n = Math.min(piece, a + chunk - b, T - b);
        const f = await runGraph(c.graph, n, inputsAt(st, cc, b, n), lowering, req.opts);
        parts.push(f);
        st = new Map([...st, ...f.states]);
        cc = f.carries;
      }
    }
    const last = parts[parts.length - 1] as GraphOutputs;
    fwd = { states: last.states, carries: last.carries, ys: c.yShapes.map((_s, k) => stackRows(parts.map((f) => f.ys[k] as HostArray))) };
  }
  const savedAll = plain ? A.saved.map((_s, j) => fwd.ys[A.savedFrom + j] as HostArray) : [];
  heldFromForward += bytesOf(savedAll);

  // results, as the values the program now holds
  const ysLeaves: ArrayValue[] = c.yUnits.map((u, k) => withUnit(Tensor.fromHost(fwd.ys[k] as HostArray), u));
  const carryOut: ArrayValue[] = req.carry.map((_v, k) => withUnit(Tensor.fromHost(fwd.carries[k] as HostArray), c.carryUnits[k]));
  const finals: Tensor[] = [];
  for (const k of written) {
    const s = c.slots[k] as State;
    const from = start[k] as ArrayValue;
    const h = fwd.states.get(k) as HostArray;
    const v = withUnit(Tensor.fromHost({ dtype: h.dtype, shape: from.shape, data: h.data }), unitOfValue(from));
    if (o.writeBack(s, from, v)) tape.onRollback(() => s.setHostValue(from));
    finals.push(mantissaOf(v));
  }

  const nSlots = c.slots.length;
  const inputs = [
    ...c.slots.map((_s, i) => mantissaOf(start[i] as ArrayValue)), ...req.perStep.map(mantissaOf), ...req.carry.map(mantissaOf),
    ...A.accCaptured.map((k) => c.capturedTensors[k] as Tensor),
  ];
  const capturedAt = nSlots + req.perStep.length + req.carry.length;
  const outputs = [...ysLeaves.map(mantissaOf), ...finals, ...carryOut.map(mantissaOf)];

  tape.recordCall({
    kind: 'call',
    name: req.kind,
    inputs,
    outputs,
    backward: async (cts) => {
      const ctY = c.yUnits.map((_u, k) => (cts[k] ? cts[k].toHost() : null));
      const ctFinal = new Map(written.map((k, j) => [k, cts[ysLeaves.length + j]]));
      const ctCarry = req.carry.map((_v, k) => cts[ysLeaves.length + written.length + k] ?? null);
      // reverse carries at t = T
      let carries: HostArray[] = [
        ...A.lambdaSlots.map((k) => ctFinal.get(k)?.toHost() ?? zeros(startStates.get(k) as HostArray)),
        ...A.accSlots.map((k) => zeros(startStates.get(k) as HostArray)),
        ...A.accCaptured.map((k) => zeros(c.captured[k] as HostArray)),
        ...A.lambdaCarries.map((k) => ctCarry[k]?.toHost() ?? zeros(startCarries[k] as HostArray)),
      ];
      const xsGrad = A.xsGrads.map((k) => zeros({ dtype: 'f32', shape: (xsHost[k] as HostArray).shape }));
      const roStates = new Map([...startStates].filter(([k]) => !written.includes(k)));

      const reverse = async (t0: number, len: number, saved: readonly HostArray[]): Promise<void> => {
        const xs: HostArray[] = [];
        saved.forEach((h, j) => { xs[j] = rows(h, 0, len, true); });
        xsHost.forEach((h, k) => { xs[A.xsOffset + k] = rows(h, t0, len, true); });
        c.yShapes.forEach((shape, k) => {
          const ct = ctY[k];
          xs[A.ctYOffset + k] = ct ? rows(ct, t0, len, true) : zeros({ dtype: 'f32', shape }, len);
        });
        const r = await runGraph(A.reverse, len, { states: roStates, xs, carries, captured: reverseCaptured }, reverseLowering, req.opts);
        carries = r.carries;
        A.xsGrads.forEach((_k, j) => {
          const g = r.ys[j] as HostArray;
          const n = g.data.length / len;
          // reverse step i is forward step t0 + len - 1 - i
          for (let i = 0; i < len; i++) (xsGrad[j] as HostArray).data.set(g.data.subarray(i * n, (i + 1) * n), (t0 + len - 1 - i) * n);
        });
      };

      const segment = async (t0: number, len: number, states: ReadonlyMap<number, HostArray>, cs: readonly HostArray[]): Promise<void> => {
        const base = o.base as number;
        if (len <= base) {
          const f = await runGraph(A.save, len, inputsAt(states, cs, t0, len), lowering, req.opts);
          const saved = A.saved.map((_s, j) => f.ys[A.savedFrom + j] as HostArray);
          holdSaved(bytesOf(saved));
          await reverse(t0, len, saved);
          savedNow -= bytesOf(saved);
          return;
        }
        const chunk = chunkOf(len, base);
        const marks: { t0: number; len: number; states: ReadonlyMap<number, HostArray>; cs: readonly HostArray[] }[] = [];
        let s = states;
        let cc = cs;
        for (let a = t0; a < t0 + len; a += chunk) {
          const n = Math.min(chunk, t0 + len - a);
          marks.push({ t0: a, len: n, states: s, cs: cc });
          if (a + n < t0 + len) {
            const f = await runGraph(c.graph, n, inputsAt(s, cc, a, n), lowering, req.opts);
            s = new Map([...s, ...f.states]);
            cc = f.carries;
            holdSaved(bytesOf(f.states.values()) + bytesOf(cc));
          }
        }
        for (let j = marks.length - 1; j >= 0; j--) {
          const m = marks[j] as (typeof marks)[number];
          await segment(m.t0, m.len, m.states, m.cs);
          if (j > 0) savedNow -= bytesOf([...m.states].filter(([k]) => written.includes(k)).map(([, h]) => h)) + bytesOf(m.cs);
        }
      };

      if (plain) {
        await reverse(0, T, savedAll);
        savedNow -= bytesOf(savedAll);
      }
      else {
        const held = (m: Mark) => bytesOf([...m.states].filter(([k]) => written.includes(k)).map(([, h]) => h)) + bytesOf(m.cs);
        topMarks.slice(1).forEach((m) => holdSaved(held(m)));
        for (let j = topMarks.length - 1; j >= 0; j--) {
          const m = topMarks[j] as Mark;
          await segment(m.t0, m.len, m.states, m.cs);
          if (j > 0) savedNow -= held(m);
        }
      }

      const res: (Tensor | null)[] = new Array(inputs.length).fill(null);
      A.lambdaSlots.forEach((k, j) => { res[k] = Tensor.fromHost(carries[j] as HostArray); });
      A.accSlots.forEach((k, j) => { res[k] = Tensor.fromHost(carries[A.lambdaSlots.length + j] as HostArray); });
      const accEnd = A.lambdaSlots.length + A.accSlots.length;
      A.accCaptured.forEach((_k, j) => { res[capturedAt + j] = Tensor.fromHost(carries[accEnd + j] as HostArray); });
      A.lambdaCarries.forEach((k, j) => { res[nSlots + req.perStep.length + k] = Tensor.fromHost(carries[accEnd + A.accCaptured.length + j] as HostArray); });
      A.xsGrads.forEach((k, j) => { res[nSlots + k] = Tensor.fromHost(xsGrad[j] as HostArray); });
      return res;
    },
  }, outputs.map(() => true));

  return { ys: c.rebuildYs(ysLeaves), carry: carryOut };
}

