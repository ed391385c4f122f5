/**
 * Run one step Graph for T steps on the GPU (through lower + Executable, binding buffers the way
 * the State engine does: states and carries resident, xs and captured uploaded, ys read back) or on
 * the CPU (interpretStep, step by step), with the same inputs and the same result layout, so that
 * tests can compare the two.
 */
import {
  allocArray, interpretStep, lower, sizeOf, type DType, type Graph, type HostArray, type LowerOptions, type LoweringChoice,
  type Shape, type TypedArray,
} from '@spiketrace/compiler';
import { Executable, ResidentBuffer, type GpuContext, type Plan } from '@spiketrace/runtime';

export interface StepInputs {
  /** Per xs operand k: every step's slice, stacked as [T, ...slice] (flat). */
  xs?: readonly TypedArray[];
  /** Initial value per state slot. */
  states?: ReadonlyMap<number, TypedArray>;
  /** Initial value per carry leaf. */
  carries?: readonly TypedArray[];
  /** Captured arrays, by captured index. */
  captured?: readonly HostArray[];
}

export interface StepOutputs {
  /** Per y output: every step's value, stacked as [T, ...] (flat). */
  ys: TypedArray[];
  /** Final value of every state the step writes. */
  states: Map<number, TypedArray>;
  /** Final carries (those the step writes). */
  carries: TypedArray[];
}

interface Aval { dtype: DType; shape: Shape }

/** dtype and shape of an input source, from the graph's input node or else from its output. */
function avalOf(g: Graph, kind: 'state' | 'carry' | 'xs', index: number): Aval | undefined {
  for (const n of g.nodes) {
    if (n.op !== 'input') continue;
    const s = n.arg as { kind: string; index: number };
    if (s.kind === kind && s.index === index) return n;
  }
  const o = g.outputs.find((x) => x.kind === kind && x.index === index);
  return o ? g.node(o.node) : undefined;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`test inputs: missing ${what}`);
  return v;
}

/** The reference: interpretStep over every step, states and carries threaded through. */
export function runOnCpu(g: Graph, steps: number, inputs: StepInputs): StepOutputs {
  const states = new Map<number, HostArray>();
  const carries = new Map<number, HostArray>();
  const host = (kind: 'state' | 'carry', index: number, data: TypedArray | undefined): HostArray => {
    const a = need(avalOf(g, kind, index), `${kind}#${index} in the graph`);
    return { dtype: a.dtype, shape: a.shape, data: need(data, `${kind}#${index} initial value`) };
  };
  const ys: TypedArray[] = [];
  const yOuts = g.outputs.filter((o) => o.kind === 'y');
  for (const o of yOuts) {
    const n = g.node(o.node);
    ys[o.index] = allocArray(n.dtype, steps * sizeOf(n.shape));
  }
  for (let t = 0; t < steps; t++) {
    const r = interpretStep(g, (s) => {
      switch (s.kind) {
        case 'state': {
          let v = states.get(s.index);
          if (!v) states.set(s.index, (v = host('state', s.index, inputs.states?.get(s.index))));
          return v;
        }
        case 'carry': {
          let v = carries.get(s.index);
          if (!v) carries.set(s.index, (v = host('carry', s.index, inputs.carries?.[s.index])));
          return v;
        }
        case 'captured': return need(inputs.captured?.[s.index], `captured#${s.index}`);
        case 'xs': {
          const a = need(avalOf(g, 'xs', s.index), `xs#${s.index}`);
          const n = sizeOf(a.shape);
          const all = need(inputs.xs?.[s.index], `xs#${s.index} data`);
          return { dtype: a.dtype, shape: a.shape, data: all.subarray(t * n, (t + 1) * n) };
        }
        case 'arg': throw new Error('runOnCpu: arg inputs are not supported');
      }
    }, t);
    for (const [k, v] of r.states) states.set(k, v);
    r.carries.forEach((v, k) => { if (v) carries.set(k, v); });
    r.ys.forEach((y, k) => (ys[k] as TypedArray).set(y.data, t * y.data.length));
  }
  const out: StepOutputs = { ys, states: new Map(), carries: [] };
  for (const o of g.outputs) {
    if (o.kind === 'state') out.states.set(o.index, (states.get(o.index) as HostArray).data);
    if (o.kind === 'carry') out.carries[o.index] = (carries.get(o.index) as HostArray).data;
  }
  return out;
}

export interface GpuRun extends StepOutputs {
  plan: Plan;
}

/**
 * Lower `g` for `steps` steps and run it on `ctx`, binding buffers as the State engine does;
 * `calls` > 1 runs the same Executable again from the same initial values and returns the last call.
 */
export async function runOnGpu(
  ctx: GpuContext, g: Graph, steps: number, inputs: StepInputs, lowering: LoweringChoice, opts: Omit<LowerOptions, 'lowering'> = {}, calls = 1,
): Promise<GpuRun> {
  const plan = lower(g, steps, { maxStorageBuffers: ctx.limits.maxStorageBuffersPerShaderStage, ...opts, lowering });
  const exe = await Executable.create(ctx, plan);
  const residents: ResidentBuffer[] = [];
  try {
    for (let c = 1; c < calls; c++) await exe.run(runInputs(ctx, inputs, residents));
    const res = await exe.run(runInputs(ctx, inputs, residents));
    const out: GpuRun = { plan, ys: [], states: new Map(), carries: [] };
    for (const b of plan.buffers) {
      const d = res.data.get(b.id);
      if (!d) continue;
      if (b.role === 'ys') out.ys[b.index] = d;
      else if (b.role === 'state') out.states.set(b.index, d);
      else if (b.role === 'carry') out.carries[b.index] = d;
    }
    return out;
  } finally {
    for (const r of residents) r.destroy();
    exe.destroy();
  }
}

/** Run inputs: fresh resident States and carries from their initial values, uploads from `inputs`. */
function runInputs(ctx: GpuContext, inputs: StepInputs, residents: ResidentBuffer[]): Parameters<Executable['run']>[0] {
  return {
    resident: (b) => {
      const init = b.role === 'state' ? inputs.states?.get(b.index) : inputs.carries?.[b.index];
      const r = new ResidentBuffer(ctx, b.elements, b.dtype, `${b.role}#${b.index}`);
      residents.push(r);
      r.write(need(init, `${b.role}#${b.index} initial value`), init);
      return r;
    },
    upload: (b) => {
      const d = b.role === 'xs' ? inputs.xs?.[b.index] : inputs.captured?.[b.index]?.data;
      return need(d, `${b.role}#${b.index} data`);
    },
  };
}

export interface Tol {
  rtol: number;
  atol: number;
}

export const EXACT: Tol = { rtol: 0, atol: 0 };

export interface CloseReport {
  maxAbs: number;
  maxRel: number;
}

/**
 * Throw unless |actual - expected| <= atol + rtol * |expected| everywhere (NaN matches NaN, equal
 * infinities match). The message names the label, how many elements fail, the worst ones
 * (index, actual, expected, difference) and the largest errors seen.
 */
export function expectAllClose(
  actual: ArrayLike<number> | undefined, expected: ArrayLike<number> | undefined, tol: Tol, label: string,
): CloseReport {
  if (!actual || !expected) throw new Error(`${label}: ${!actual ? 'actual' : 'expected'} is missing`);
  if (actual.length !== expected.length) {
    throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  }
  const bad: { i: number; a: number; e: number; d: number }[] = [];
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    if (a === e) continue;
    const d = Math.abs(a - e);
    if (!Number.isNaN(d)) {
      maxAbs = Math.max(maxAbs, d);
      if (e !== 0) maxRel = Math.max(maxRel, d / Math.abs(e));
    }
    if (!(d <= tol.atol + tol.rtol * Math.abs(e))) bad.push({ i, a, e, d });
  }
  if (bad.length) {
    const worst = [...bad].sort((x, y) => (y.d || Infinity) - (x.d || Infinity)).slice(0, 5);
    const lines = worst.map((b) => `  [${b.i}] got ${b.a}, expected ${b.e} (diff ${b.d.toExponential(3)})`);
    throw new Error(
      `${label}: ${bad.length} of ${expected.length} elements differ beyond rtol=${tol.rtol}, atol=${tol.atol}` +
        ` (max abs err ${maxAbs.toExponential(3)}, max rel err ${maxRel.toExponential(3)}); worst:\n${lines.join('\n')}`,
    );
  }
  return { maxAbs, maxRel };
}
