/**
 * emitKernel: one kernel spec -> WGSL text and its bindings. The emitter decides nothing about
 * fusion or layout; it prints what the spec and the buffer layout say.
 *
 * Every kernel starts from the same frame: binding 0 is the round uniform {t0, count}, the flat
 * invocation index `i` covers the iteration shape, and `t` is the current step. Temporal fusion
 * wraps the body in a loop over the round's steps with carried values in registers `r<buffer>`.
 */
import type { DType } from '../ir/dtype.ts';
import { wgslType } from '../ir/dtype.ts';
import type { Graph } from '../ir/graph.ts';
import type { Node } from '../ir/node.ts';
import type { InputSource, ReduceOp } from '../ir/ops.ts';
import { REDUCE_OPS } from '../ir/ops.ts';
import { sizeOf, stridesOf, shapeEq, type Shape } from '../ir/shape.ts';
import { WGSL_HELPER_DEPS, WGSL_HELPERS, wgslLiteral } from '../primitives/elementwise.ts';
import { quantizeWgsl, type QuantizeArg } from '../primitives/event.ts';
import { REDUCERS } from '../primitives/reduce.ts';
import { prim } from '../primitives/index.ts';
import type { ElementwiseKernelSpec, GlobalKernelSpec, KernelSpec } from '../passes/fuse-elementwise.ts';
import type { PlanBinding, PlanBuffer, PlanKernel } from '@spiketrace/runtime';
import { canonicalExpr, coordLines, indexExpr } from './index-math.ts';
import { carriedValues } from '../passes/carried-values.ts';
import { Bindings } from './bindings.ts';
import { dependencyWaves, sharedLoops, type Access } from './schedule.ts';

export interface BufferUse {
  buffer: PlanBuffer;
}

export interface EmitContext {
  fused: boolean;
  buffers: readonly PlanBuffer[];
  bufferOfInput(n: Node): BufferUse;
  bufferOfTemp(id: number): BufferUse;
  bufferOfOutput(output: number): BufferUse;
  workgroupSize: number;
  /** One binding table for every kernel (the persistent-workgroup shader). */
  bindings?: Bindings;
  /**
   * Emitting the persistent shader: its kernels share one workgroup, which can hold workgroup
   * variables, and `eventList` gives each event_count node its list of spiking (batch, pre)
   * indices, u32 [size of its spikes] (see emitEventCompacted).
   */
  persistent?: {
    eventList(node: number): PlanBuffer;
    /** pack_bits nodes whose words live in workgroup memory (emitPackShared), within the shader's budget. */
    sharedPack: ReadonlySet<number>;
  };
  /**
   * event_count nodes whose one reader, an elementwise kernel reading every count at its own
   * element, clears each count after loading it (the dispatch chain: see countsClearedByReader):
   * no zero kernel of their own.
   */
  clearedByReader?: ReadonlySet<number>;
  /** put_row nodes done in place: their State keeps one buffer and only the row is stored (lower.ts, inPlaceRows). */
  inPlaceRows?: ReadonlySet<number>;
}

function readSide(b: PlanBuffer): PlanBinding['side'] {
  return b.pingPong ? 'cur' : 'only';
}

/** Offset of the current step's slice in a per-step buffer. */
function stepOffset(b: PlanBuffer): string {
  return b.role === 'xs' || b.role === 'ys' ? `t * ${sizeOf(b.shape)}u + ` : '';
}

/** A kernel before framing: its body runs for one element `i` at step `t`. */
export interface KernelBody {
  name: string;
  invocations: number;
  lines: string[];
  helpers: Set<string>;
  /** The body loops over the round's steps itself (temporal fusion) and defines `t`. */
  ownsTime?: boolean;
  /** Buffers it reads and writes ("id:side"), recorded when its Bindings are shared. */
  access?: { reads: Set<string>; writes: Set<string>; nonLocal: Set<string> };
  /**
   * It only clears a buffer (to zero) that the step fills and reads: the persistent shader runs it
   * after the step's last reader, for the next step (the buffer starts zeroed, as every buffer does).
   */
  clearsForNextStep?: boolean;
  /** A WGSL expression for the invocation count, evaluated at the kernel's turn (persistent shader). */
  dynamicCount?: string;
}

function helperText(helpers: Set<string>): string[] {
  return [...helpers].sort().map((h) => WGSL_HELPERS[h] as string);
}

const PRELUDE = ['struct Round { t0: u32, count: u32 }', '@group(0) @binding(0) var<uniform> rnd: Round;'];

/** One dispatch per kernel: invocation `i` over the iteration space, `t` the round's first step. */
function frame(body: KernelBody, bind: Bindings, wg: number): PlanKernel {
  const lines = [
    `// ${body.name}`,
    ...PRELUDE,
    ...bind.decls,
    ...helperText(body.helpers),
    `@compute @workgroup_size(${wg})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {',
    `  let i = gid.x + gid.y * nwg.x * ${wg}u;`,
    `  if (i >= ${body.invocations}u) { return; }`,
    ...(body.ownsTime ? [] : ['  let t = rnd.t0;']),
    ...body.lines.map((l) => `  ${l}`),
    '}',
  ];
  return { name: body.name, wgsl: lines.join('\n') + '\n', workgroupSize: wg, invocations: body.invocations, bindings: bind.list };
}

/**
 * Several independent kernels of one dispatch-chain step as one dispatch: invocation `i` runs the
 * kernel whose range holds it (kernels in order, each over its own invocation count), so a wave
 * costs one dispatch instead of one per kernel. All bodies share one binding table.
 */
export function frameWave(bodies: KernelBody[], bind: Bindings, wg: number): PlanKernel {
  if (bodies.length === 1) return frame(bodies[0] as KernelBody, bind, wg);
  const helpers = new Set<string>();
  bodies.forEach((b) => b.helpers.forEach((h) => helpers.add(h)));
  const fns = bodies.map((b, j) => [`fn k${j}(i: u32, t: u32) {`, ...b.lines.map((l) => `  ${l}`), '}'].join('\n'));
  let start = 0;
  const cases = bodies.map((b, j) => {
    const line = `if (i < ${start + b.invocations}u) { k${j}(i - ${start}u, t); return; } // ${b.name}`;
    start += b.invocations;
    return line;
  });
  const name = `wave_${bodies.map((b) => b.name.split('_')[0]).join('_')}`;
  const lines = [
    `// ${name}: ${bodies.map((b) => b.name).join(', ')}`,
    ...PRELUDE,
    ...bind.decls,
    ...helperText(helpers),
    ...fns,
    `@compute @workgroup_size(${wg})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {',
    `  let i = gid.x + gid.y * nwg.x * ${wg}u;`,
    '  let t = rnd.t0;',
    ...cases.map((l) => `  ${l}`),
    '}',
  ];
  return { name, wgsl: lines.join('\n') + '\n', workgroupSize: wg, invocations: start, bindings: bind.list };
}

/** Buffers of a persistent shader that live in register arrays (see lower.ts, registerBuffers). */
export interface RegisterPlan {
  /** `var<private>` declarations. */
  decls: string[];
  /** Before the first step: fill registers from the States and constants they hold. */
  prologue: string[];
  /** After the last step: write the States' registers back to their bindings. */
  epilogue: string[];
}

/**
 * The persistent-workgroup shader: one workgroup runs every step of the round, every kernel of a
 * step as a loop over the invocation's elements i = lid + m * workgroupSize (m = 0, 1, ...),
 * storage + workgroup barriers between dependency waves (all in uniform control flow: the step
 * loop's bound is uniform).
 *
 * A written State has two copies, `cur` and `next`; even steps read `cur` and write `next`, odd
 * steps the other way round (each kernel that touches one exists in both versions, the odd one
 * with the two names swapped), so no step copies a State. The runtime swaps the copies after each
 * round, expecting the result in `next`: after an even number of steps it is in `cur`, and one
 * copy per round moves it. States held in registers (`regs`) have two register arrays too; the
 * bodies include the move of the new values onto the step-entry ones (a register copy, nearly
 * free), so they need no second version of the kernels, and their values are written to `next`
 * after the last step.
 */
export function framePersistent(
  bodies: KernelBody[], bind: Bindings, copies: { cur: string; next: string; elements: number }[], wg: number, regs?: RegisterPlan,
): PlanKernel {
  const helpers = new Set<string>();
  bodies.forEach((b) => b.helpers.forEach((h) => helpers.add(h)));
  const swap = new Map<string, string>();
  for (const c of copies) swap.set(c.cur, c.next).set(c.next, c.cur);
  const swapped = (l: string) => l.replace(/\bb\d+\b/g, (m) => swap.get(m) ?? m);
  const hasOdd = bodies.map((b) => b.lines.some((l) => swapped(l) !== l));
  const fns = bodies.flatMap((b, j) => [
    [`fn k${j}(i: u32, t: u32, m: u32) {`, ...b.lines.map((l) => `  ${l}`), '}'].join('\n'),
    ...(hasOdd[j] ? [[`fn k${j}o(i: u32, t: u32, m: u32) {`, ...b.lines.map((l) => `  ${swapped(l)}`), '}'].join('\n')] : []),
  ]);
  // kernels that clear a buffer for the next step (event_count's zero) run after every reader
  type Item = Access & { j: number; body: KernelBody };
  const item = (body: KernelBody, j: number): Item => ({
    j, body, reads: body.access?.reads ?? new Set(['*']), writes: body.access?.writes ?? new Set(['*']), ...(body.access ? { nonLocal: body.access.nonLocal } : {}),
  });
  const items: Item[] = bodies.flatMap((b, j) => (b.clearsForNextStep ? [] : [item(b, j)]));
  bodies.forEach((b, j) => { if (b.clearsForNextStep) items.push(item(b, j)); });
  const loop = (g: Item[], odd: boolean): string => {
    const x = g[0] as Item;
    const names = ` // ${g.map((y) => y.body.name).join(', ')}`;
    const call = (m: string) => g.map((y) => `k${y.j}${odd && hasOdd[y.j] ? 'o' : ''}(i, t, ${m});`).join(' ');
    return x.body.dynamicCount
      ? `{ let n = ${x.body.dynamicCount}; for (var i = lid; i < n; i += ${wg}u) { ${call('0u')} } }${names}`
      : `${ownElements(x.body.invocations, wg)} ${call('m')} } }${names}`;
  };
  const loops = (w: Item[]): Item[][] => sharedLoops(w.map((x) => ({ ...x, size: x.body.dynamicCount ? undefined : x.body.invocations })));
  // a barrier separates waves: the barrier count is the dependency depth, not the kernel count
  const waves = dependencyWaves(items, { sameThread: true });
  const barrier = 'storageBarrier(); workgroupBarrier();';
  const step = (odd: boolean) => waves.flatMap((w) => [...loops(w).map((g) => loop(g, odd)), barrier]);
  const alternate = copies.length > 0;
  const lines = [
    '// persistent workgroup',
    ...PRELUDE,
    ...bind.decls,
    ...bind.shared,
    ...(regs?.decls ?? []),
    ...helperText(helpers),
    ...fns,
    `@compute @workgroup_size(${wg})`,
    'fn main(@builtin(local_invocation_index) lid: u32) {',
    ...(regs?.prologue ?? []).map((l) => `  ${l}`),
    '  for (var s = 0u; s < rnd.count; s++) {',
    '    let t = rnd.t0 + s;',
    ...(alternate
      ? ['    if ((s & 1u) == 0u) {', ...step(false).map((l) => `      ${l}`), '    } else {', ...step(true).map((l) => `      ${l}`), '    }']
      : step(false).map((l) => `    ${l}`)),
    '  }',
    ...(copies.length ? [
      '  // an even number of steps left the new values in the step-entry copies',
      '  if ((rnd.count & 1u) == 0u) {',
      ...copies.map((c) => `    ${ownElements(c.elements, wg)} ${c.next}[i] = ${c.cur}[i]; } }`),
      '  }',
    ] : []),
    ...(regs?.epilogue ?? []).map((l) => `  ${l}`),
    '}',
  ];
  return { name: 'persistent', wgsl: lines.join('\n') + '\n', workgroupSize: wg, invocations: wg, bindings: bind.list };
}

/**
 * The opening of a loop over this invocation's elements of `n`: slot m holds element
 * i = lid + m * wg. The trip count is a constant, so a compiler can unroll it and keep register
 * arrays indexed by m in registers. Close with `} }`.
 */
export function ownElements(n: number, wg: number): string {
  return `for (var m = 0u; m < ${Math.ceil(n / wg)}u; m++) { let i = lid + m * ${wg}u; if (i < ${n}u) {`;
}

/**
 * One kernel spec -> the dispatches that run it, in order. Every spec is one dispatch except
 * `event_count`, which is two (zero, then scatter): see emitEventCount.
 */
export function emitKernel(g: Graph, spec: KernelSpec, index: number, ctx: EmitContext): PlanKernel[] {
  return emitBodies(g, spec, index, ctx).map(({ body, bind }) => frame(body, bind, ctx.workgroupSize));
}

/**
 * The bodies of one kernel spec (with the bindings they use), unframed; `part` picks one body of a
 * spec that has several (event_count's zero and scatter), emitting nothing of the others.
 */
export function emitBodies(g: Graph, spec: KernelSpec, index: number, ctx: EmitContext, part?: number): { body: KernelBody; bind: Bindings }[] {
  // a kernel over no elements has nothing to do (and its index arithmetic would divide by zero)
  return bodiesOf(g, spec, index, ctx, part).filter(({ body }) => body.invocations > 0 || body.dynamicCount !== undefined);
}

function bodiesOf(g: Graph, spec: KernelSpec, index: number, ctx: EmitContext, part?: number): { body: KernelBody; bind: Bindings }[] {
  if (spec.kind === 'elementwise') return [tracked(ctx, () => emitElementwise(g, spec, index, ctx))];
  if (g.node(spec.node).op === 'event_count') return emitEventCount(g, spec, index, ctx, part);
  if (ctx.bindings && ctx.persistent?.sharedPack.has(spec.node)) {
    return emitPackShared(g, spec, index, ctx.bindings, ctx);
  }
  return [tracked(ctx, () => emitGlobal(g, spec, index, ctx))];
}

/**
 * Most workgroup memory one pack_bits of a persistent shader may use for its words (the shader's
 * workgroup variables together stay within the device's limit: lower.ts, workgroupPlan).
 */
export const PACK_SHARED_MAX_BYTES = 4096;

/**
 * pack_bits in the persistent shader, as two kernels around a workgroup array of atomic words:
 *  1. or:    one invocation per input element; a set element ORs its bit into its word. It reads
 *            its input at its own element, so it shares a loop with the kernel computing it, and
 *            the input can stay in registers;
 *  2. store: one invocation per word, `atomicExchange(&words[w], 0)` into the result (cleared for
 *            the next step in the same operation).
 * The generic kernel gives each word one invocation that reads its 32 inputs from memory.
 */
function emitPackShared(g: Graph, spec: GlobalKernelSpec, index: number, bind: Bindings, ctx: EmitContext): { body: KernelBody; bind: Bindings }[] {
  const n = g.node(spec.node);
  const s = g.node(n.src[0] as number);
  const len = s.shape[s.shape.length - 1] as number;
  const words = n.shape[n.shape.length - 1] as number;
  const total = sizeOf(n.shape);
  const name = `pk${index}`;
  const type = `array<atomic<u32>, ${total}>`;
  bind.begin();
  const at = operandReader(g, s.id, bind, ctx);
  const arr = bind.workgroupVar(name, type);
  const set = s.dtype === 'bool' ? at('i') : `${at('i')} != ${s.dtype === 'f32' ? '0.0' : '0'}`;
  const orLines = [`if (${set}) {`, `  let j = i % ${len}u;`, `  atomicOr(&${arr}[(i / ${len}u) * ${words}u + j / 32u], 1u << (j % 32u));`, '}'];
  const or: KernelBody = { name: `k${index}_pack_or_p${spec.phase}`, invocations: sizeOf(s.shape), lines: orLines, helpers: new Set(), access: bind.end() };
  bind.begin();
  bind.workgroupVar(name, type);
  const store: KernelBody = { name: `k${index}_pack_store_p${spec.phase}`, invocations: total, lines: [`let w = atomicExchange(&${arr}[i], 0u);`, ...resultStores(g, spec, ctx, bind, 'w', 'u32')], helpers: new Set() };
  store.access = bind.end();
  return [{ body: or, bind }, { body: store, bind }];
}

/** With shared bindings, record the buffers one body touches (for barrier placement). */
function tracked(ctx: EmitContext, emit: () => { body: KernelBody; bind: Bindings }): { body: KernelBody; bind: Bindings } {
  ctx.bindings?.begin();
  const r = emit();
  if (ctx.bindings) r.body.access = ctx.bindings.end();
  return r;
}

function emitElementwise(g: Graph, spec: ElementwiseKernelSpec, index: number, ctx: EmitContext): { body: KernelBody; bind: Bindings } {
  const iter = spec.shape;
  const bind = ctx.bindings ?? new Bindings();
  const helpers = new Set<string>();
  const pre: string[] = [];
  const body: string[] = [];
  const post: string[] = [];
  const late: string[] = [];
  const expr = new Map<number, string>();
  const regs = new Map<number, string>(); // buffer id -> register name (fused only)
  const fused = ctx.fused;

  const register = (b: PlanBuffer): string => {
    let r = regs.get(b.id);
    if (!r) {
      r = `r${b.id}`;
      const cur = bind.name(b, 'cur', 'read');
      pre.push(`var ${r}: ${wgslType(b.dtype)} = ${bind.load(cur, indexExpr(b.shape, iter), b.dtype)};`);
      regs.set(b.id, r);
    }
    return r;
  };

  for (const id of spec.loads) {
    const n = g.node(id);
    if (n.op === 'input') {
      const { buffer: b } = ctx.bufferOfInput(n);
      const src = n.arg as InputSource;
      if (fused && b.pingPong) {
        expr.set(id, register(b));
        continue;
      }
      const arr = bind.name(b, readSide(b), 'read');
      const line = `let v${id} = ${bind.load(arr, stepOffset(b) + indexExpr(n.shape, iter), n.dtype)};`;
      (fused && src.kind !== 'xs' && src.kind !== 'arg' ? pre : body).push(line);
    } else {
      const { buffer: b } = ctx.bufferOfTemp(id);
      const at = indexExpr(n.shape, iter);
      if (ctx.clearedByReader?.has(id) && at === 'i') {
        // the counts' one reader clears them for the next step's scatter (buffers start zeroed)
        const arr = bind.name(b, 'only', 'read_write');
        body.push(`let v${id} = ${bind.load(arr, at, n.dtype)};`, bind.store(arr, at, '0', 'i32'));
      } else {
        body.push(`let v${id} = ${bind.load(bind.name(b, 'only', 'read'), at, n.dtype)};`);
      }
    }
    expr.set(id, `v${id}`);
  }
  const emitNode = (id: number, names: Map<number, string>, out: string[], prefix: string): void => nodeLine(g, id, iter, names, out, prefix, helpers);
  // Temporal fusion carries values that the next step would recompute from the States it reads
  // (carried-values.ts): the loop reads them from registers c<id>, computed once before the loop.
  const inKernel = new Set(spec.nodes);
  const carried = fused ? new Map([...carriedValues(g)].filter(([a, b]) => inKernel.has(a) && inKernel.has(b))) : new Map<number, number>();
  const live = new Set<number>();
  const usedCarry = new Set<number>();
  const visit = (id: number): void => {
    if (live.has(id) || !inKernel.has(id)) return;
    if (carried.has(id)) {
      if (!usedCarry.has(id)) {
        usedCarry.add(id);
        visit(carried.get(id) as number);
      }
      return;
    }
    live.add(id);
    for (const s of g.node(id).src) visit(s);
  };
  for (const st of spec.stores) visit(st.node);
  for (const a of [...usedCarry].sort((x, y) => x - y)) {
    // compute A before the loop from the loaded registers
    const names = new Map(expr);
    const need = new Set<number>();
    const collect = (id: number): void => {
      if (need.has(id) || !inKernel.has(id)) return;
      need.add(id);
      g.node(id).src.forEach(collect);
    };
    collect(a);
    for (const id of [...need].sort((x, y) => x - y)) emitNode(id, names, pre, `p${a}_`);
    pre.push(`var c${a}: ${wgslType(g.node(a).dtype)} = ${names.get(a)};`);
    expr.set(a, `c${a}`);
  }
  for (const id of spec.nodes) if (live.has(id)) emitNode(id, expr, body, 'v');
  for (const a of [...usedCarry].sort((x, y) => x - y)) {
    body.push(`let m${a} = ${expr.get(carried.get(a) as number)};`);
    late.push(`c${a} = m${a};`);
  }
  for (const st of spec.stores) {
    const n = g.node(st.node);
    const v = expr.get(st.node) as string;
    const canon = canonicalExpr(n.shape, iter);
    const guard = (s: string) => (canon === 'true' ? s : `if (${canon}) { ${s} }`);
    if (st.target.kind === 'temp') {
      const b = ctx.bufferOfTemp(st.node).buffer;
      body.push(guard(bind.store(bind.name(b, 'only', 'read_write'), indexExpr(n.shape, iter), v, n.dtype)));
      continue;
    }
    const b = ctx.bufferOfOutput(st.target.output).buffer;
    if (b.role === 'ys') {
      body.push(guard(bind.store(bind.name(b, 'only', 'read_write'), `${stepOffset(b)}${indexExpr(n.shape, iter)}`, v, n.dtype)));
    } else if (fused) {
      const r = register(b);
      // stage every new value before assigning any register: a step may swap two States
      body.push(`let n${b.id} = ${v};`);
      late.push(`${r} = n${b.id};`);
      post.push(guard(bind.store(bind.name(b, 'next', 'read_write'), indexExpr(b.shape, iter), r, b.dtype)));
    } else {
      body.push(guard(bind.store(bind.name(b, 'next', 'read_write'), indexExpr(b.shape, iter), v, n.dtype)));
    }
  }
  const anyBroadcast = [...spec.loads, ...spec.stores.map((s) => s.node), ...spec.nodes.filter((id) => g.node(id).op === 'rand_uniform')]
    .some((id) => !shapeEq(g.node(id).shape, iter));
  const coords = anyBroadcast ? coordLines(iter) : [];
  const main = fused
    ? [...coords, ...pre, 'for (var s = 0u; s < rnd.count; s++) {', '  let t = rnd.t0 + s;', ...body.map((l) => `  ${l}`), ...late.map((l) => `  ${l}`), '}', ...post]
    : [...coords, ...pre, ...body];
  const name = `k${index}_${fused ? 'fused' : 'ew'}_p${spec.phase}`;
  return { body: { name, invocations: sizeOf(iter), lines: main, helpers, ownsTime: fused }, bind };
}

/**
 * One elementwise node as a WGSL `let` (a literal is inlined instead): its expression over the
 * names of its operands, recorded in `names`; the helper functions it calls join `helpers`.
 */
function nodeLine(g: Graph, id: number, iter: Shape, names: Map<number, string>, out: string[], prefix: string, helpers: Set<string>): void {
  const n = g.node(id);
  // a random source is indexed by its own element (broadcast into the iteration space)
  const args = n.op === 'rand_uniform' ? [indexExpr(n.shape, iter)] : n.src.map((s) => names.get(s) as string);
  const e = prim(n.op).emitWgsl(args, n.arg as never, n.src.map((s) => g.node(s).dtype), n);
  for (const h of Object.keys(WGSL_HELPERS)) {
    if (!e.includes(`${h}(`)) continue;
    helpers.add(h);
    for (const d of WGSL_HELPER_DEPS[h] ?? []) helpers.add(d);
  }
  if (n.op === 'const') names.set(id, e);
  else {
    out.push(`let ${prefix}${id}: ${wgslType(n.dtype)} = ${e};`);
    names.set(id, `${prefix}${id}`);
  }
}

/**
 * Lines computing event_count's spike operand at the invocation's own element of the spikes'
 * shape (spec.operand: the nodes and what they load), and the condition that it is set.
 */
function spikeCone(g: Graph, spec: GlobalKernelSpec, bind: Bindings, ctx: EmitContext, helpers: Set<string>): { lines: string[]; spiked: string } {
  const { nodes, loads } = spec.operand as { nodes: number[]; loads: number[] };
  const root = g.node(g.node(spec.node).src[0] as number);
  const iter = root.shape;
  const names = new Map<number, string>();
  const lines: string[] = [];
  for (const id of loads) {
    const n = g.node(id);
    const b = n.op === 'input' ? ctx.bufferOfInput(n).buffer : ctx.bufferOfTemp(id).buffer;
    const arr = bind.name(b, n.op === 'input' ? readSide(b) : 'only', 'read');
    lines.push(`let s${id} = ${bind.load(arr, stepOffset(b) + indexExpr(n.shape, iter), n.dtype)};`);
    names.set(id, `s${id}`);
  }
  for (const id of nodes) nodeLine(g, id, iter, names, lines, 's', helpers);
  const broadcast = [...loads, ...nodes].some((id) => !shapeEq(g.node(id).shape, iter) && g.node(id).op !== 'const');
  const v = names.get(root.id) as string;
  return { lines: [...(broadcast ? coordLines(iter) : []), ...lines], spiked: root.dtype === 'bool' ? v : `${v} != 0.0` };
}

function emitGlobal(g: Graph, spec: GlobalKernelSpec, index: number, ctx: EmitContext): { body: KernelBody; bind: Bindings } {
  const gop = g.node(spec.node).op;
  if (gop === 'matmul' || gop === 'matmul_wt' || gop === 'matmul_xt') return emitMatmul(g, spec, index, ctx);
  const n = g.node(spec.node);
  const s = g.node(n.src[0] as number);
  const bind = ctx.bindings ?? new Bindings();
  const result = (v: string, dtype: DType) => resultStores(g, spec, ctx, bind, v, dtype);
  const body: string[] = [];
  let invocations = sizeOf(n.shape);
  // the first operand may be a literal (a uniform array the tracer folded) as well as a buffer;
  // bound when first read (an in-place put_row writes it instead)
  let reader: ((idx: string) => string) | undefined;
  const load = (idx: string): string => (reader ??= operandReader(g, s.id, bind, ctx))(idx);
  if ((REDUCE_OPS as readonly string[]).includes(n.op)) {
    const arg = n.arg as { axes: number[] };
    const red = REDUCERS[n.op as ReduceOp];
    const ist = stridesOf(s.shape);
    const axes = new Set(arg.axes);
    const kept = s.shape.map((_, k) => k).filter((k) => !axes.has(k));
    const rdims = s.shape.map((_, k) => k).filter((k) => axes.has(k));
    const offsetOf = (dims: number[], v: string): string => {
      const sh: Shape = dims.map((k) => s.shape[k] as number);
      const st = stridesOf(sh);
      const terms = dims.map((k, j) => `((${v} / ${st[j]}u) % ${sh[j]}u) * ${ist[k]}u`);
      return terms.length ? terms.join(' + ') : '0u';
    };
    const count = rdims.reduce((a, k) => a * (s.shape[k] as number), 1);
    // start from the first element: no identity literal (WGSL cannot write -inf as a constant)
    body.push(`let base = ${offsetOf(kept, 'i')};`);
    body.push(`var acc: ${wgslType(n.dtype)} = ${load('base')};`);
    body.push(`for (var r = 1u; r < ${count}u; r++) {`);
    body.push(`  acc = ${red.wgsl('acc', load(`base + ${offsetOf(rdims, 'r')}`))};`);
    body.push('}');
    body.push(...result('acc', n.dtype));
  } else if (n.op === 'reshape') {
    body.push(...result(load('i'), n.dtype));
  } else if (n.op === 'event_outer') {
    // one invocation per synapse (p, j): its pre neuron's spikes times its target's x, over the batch in order
    const [, xId, iId] = n.src as [number, number, number];
    const x = g.node(xId);
    const xAt = operandReader(g, xId, bind, ctx);
    const idxAt = operandReader(g, iId, bind, ctx);
    const nPost = x.shape[x.shape.length - 1] as number;
    const [nPre, k] = n.shape as [number, number];
    const batch = sizeOf(s.shape) / nPre;
    const spk = s.dtype === 'bool' ? `select(0.0, 1.0, ${load(`b * ${nPre}u + p`)})` : load(`b * ${nPre}u + p`);
    body.push(`let p = i / ${k}u;`, `let q = ${idxAt('i')};`, 'var acc = 0.0;');
    body.push(`if (q >= 0 && q < ${nPost}) {`, `  for (var b = 0u; b < ${batch}u; b++) {`, `    let sp = ${spk};`,
      `    if (sp != 0.0) { acc = acc + sp * ${xAt(`b * ${nPost}u + u32(q)`)}; }`, '  }', '}');
    body.push(...result('acc', 'f32'));
  } else if (n.op === 'slice' || n.op === 'pad') {
    // one invocation per output element: its coordinates, shifted by the window, index the input
    const shift = n.op === 'slice' ? (n.arg as { start: number[] }).start : (n.arg as { low: number[] }).low.map((l) => -l);
    const os = stridesOf(n.shape), ss = stridesOf(s.shape);
    const coords = n.shape.map((d, k) => `i32((i / ${os[k]}u) % ${d}u) + ${shift[k]}`);
    body.push(...coords.map((c, k) => `let c${k} = ${c};`));
    const src = n.shape.length ? n.shape.map((_, k) => `u32(c${k}) * ${ss[k]}u`).join(' + ') : '0u';
    if (n.op === 'slice') body.push(...result(load(src), n.dtype));
    else {
      const inside = n.shape.map((_, k) => `c${k} >= 0 && c${k} < ${s.shape[k]}`).join(' && ') || 'true';
      body.push(`var v: ${wgslType(n.dtype)} = ${n.dtype === 'bool' ? 'false' : `${wgslType(n.dtype)}(0)`};`);
      body.push(`if (${inside}) { v = ${load(src)}; }`);
      body.push(...result('v', n.dtype));
    }
  } else if (n.op === 'put_row') {
    const L = s.shape[0] as number;
    const m = sizeOf(n.shape) / L;
    const vAt = operandReader(g, n.src[2] as number, bind, ctx);
    body.push(rowLine(g, n.src[1] as number, L, bind, ctx));
    if (ctx.inPlaceRows?.has(n.id)) {
      // the State's one buffer: one store per element of the row (invocations: the row's size)
      const own = bind.name(ctx.bufferOfInput(s).buffer, 'only', 'read_write');
      body.push(bind.store(own, `row * ${m}u + i`, vAt('i'), n.dtype));
      invocations = m;
    } else {
      body.push(`let v = select(${load('i')}, ${vAt(`i % ${m}u`)}, i / ${m}u == row);`);
      body.push(...result('v', n.dtype));
    }
  } else if (n.op === 'take_row') {
    // one invocation per output element, reading row clamp(index) of x: one load, wherever the row is
    const L = s.shape[0] as number;
    body.push(rowLine(g, n.src[1] as number, L, bind, ctx));
    body.push(...result(load(`row * ${sizeOf(n.shape)}u + i`), n.dtype));
  } else if (n.op === 'pack_bits') {
    // word i of row r packs inputs 32*(i % words) .. of that row; bits past n stay 0
    const len = s.shape[s.shape.length - 1] as number;
    const words = n.shape[n.shape.length - 1] as number;
    const set = s.dtype === 'bool' ? load('r * ' + len + 'u + j') : `${load('r * ' + len + 'u + j')} != ${s.dtype === 'f32' ? '0.0' : '0'}`;
    body.push(`let r = i / ${words}u;`, `let w = i % ${words}u;`, 'var bits = 0u;');
    body.push(`for (var k = 0u; k < 32u; k++) {`, `  let j = w * 32u + k;`, `  if (j < ${len}u) { if (${set}) { bits = bits | (1u << k); } }`, '}');
    body.push(...result('bits', 'u32'));
  } else if (n.op === 'event_gather') {
    // one invocation per (batch, pre neuron): the cotangents of its k targets, summed in order
    const ind = g.node(n.src[1] as number);
    const idxAt = operandReader(g, ind.id, bind, ctx);
    const nPost = s.shape[s.shape.length - 1] as number;
    const [nPre, k] = ind.shape as [number, number];
    const term = weightedTerm(g, n.src[2], bind, ctx, `p * ${k}u + j`, load(`b * ${nPost}u + u32(q)`));
    body.push(`let b = i / ${nPre}u;`, `let p = i % ${nPre}u;`, 'var acc = 0.0;');
    body.push(`for (var j = 0u; j < ${k}u; j++) {`, `  let q = ${idxAt(`p * ${k}u + j`)};`,
      `  if (q >= 0 && q < ${nPost}) { acc = acc + ${term}; }`, '}');
    body.push(...result('acc', 'f32'));
  } else {
    throw new Error(`emitKernel: no global kernel for op ${n.op}`);
  }
  const name = `k${index}_${n.op}_p${spec.phase}`;
  return { body: { name, invocations, lines: body, helpers: new Set() }, bind };
}

/**
 * Lines storing a global kernel's value `v` for element `i`: into its temp if a node reads it, and
 * into each graph output that is this node (a y's slice of this step, a State's or carry's new copy).
 */
function resultStores(g: Graph, spec: GlobalKernelSpec, ctx: EmitContext, bind: Bindings, v: string, dtype: DType): string[] {
  const lines: string[] = [];
  if (spec.temp) lines.push(bind.store(bind.name(ctx.bufferOfTemp(spec.node).buffer, 'only', 'read_write'), 'i', v, dtype));
  for (const o of spec.outputs) {
    const b = ctx.bufferOfOutput(o).buffer;
    lines.push(b.role === 'ys'
      ? bind.store(bind.name(b, 'only', 'read_write'), `${stepOffset(b)}i`, v, dtype)
      : bind.store(bind.name(b, 'next', 'read_write'), 'i', v, dtype));
  }
  return lines;
}

/** `let row`: the row take_row / put_row address, their i32 index operand clamped into [0, L). */
function rowLine(g: Graph, indexId: number, L: number, bind: Bindings, ctx: EmitContext): string {
  return `let row = u32(clamp(${operandReader(g, indexId, bind, ctx)('0u')}, 0, ${L - 1}));`;
}

/**
 * event_gather's term for synapse `at`: the gathered value `v`, times the synapse's weight (an
 * optional third operand, i32 or f32) when there is one.
 */
function weightedTerm(g: Graph, wId: number | undefined, bind: Bindings, ctx: EmitContext, at: string, v: string): string {
  if (wId === undefined) return v;
  const w = operandReader(g, wId, bind, ctx)(at);
  return `${g.node(wId).dtype === 'f32' ? w : `f32(${w})`} * ${v}`;
}

/**
 * What one delivered spike of synapse `at` adds to its target: 1, its i32 weight (event_count's
 * optional third operand), or its f32 weight quantized as primitives/event.ts's quantizeWeight.
 */
function deliveredAmount(g: Graph, n: Node<'event_count'>, bind: Bindings, ctx: EmitContext, at: string): string {
  const wId = n.src[2];
  if (wId === undefined) return '1';
  const w = operandReader(g, wId, bind, ctx)(at);
  return g.node(wId).dtype !== 'f32' ? w : quantizeWgsl(w, n.arg.quantize as QuantizeArg);
}

/**
 * A global op's operand as a WGSL element reader: a buffer (input or materialized temp; the
 * current step's slice of a per-step buffer) or, for a literal, the literal itself.
 */
function operandReader(g: Graph, id: number, bind: Bindings, ctx: EmitContext): (idx: string) => string {
  const n = g.node(id);
  if (n.op === 'const') {
    const lit = prim('const').emitWgsl([], n.arg as never, [], n);
    return () => lit;
  }
  const b = n.op === 'input' ? ctx.bufferOfInput(n).buffer : ctx.bufferOfTemp(id).buffer;
  const arr = bind.name(b, readSide(b), 'read');
  return (idx) => bind.load(arr, `${stepOffset(b)}${idx}`, n.dtype);
}

/**
 * event_count (primitives/event.ts). In the persistent shader: the zero kernel, then the
 * compacted scatter of emitEventCompacted. In the dispatch chain: two dispatches, both writing the
 * node's materialized i32 temp `counts` [..., nPost]:
 *  1. zero:    one invocation per count, `counts[i] = 0` (binds counts as array<i32>); none when
 *              the counts' one reader clears them (ctx.clearedByReader, lower.ts);
 *  2. scatter: one invocation per (batch, pre neuron of arg.rows); a neuron that spiked does
 *     `atomicAdd(&counts[b*nPost + q], 1)` for each of its k targets q (binds counts as
 *     array<atomic<i32>>). A neuron that did not spike returns after one load.
 * Clearing is a kernel of its own, not a special runtime command, so the Plan stays a flat list
 * of kernels and the runtime needs nothing new: kernels of a compute pass run in order, each
 * dispatch sees the previous one's writes, and the counts are cleared every step, before the
 * scatter or (when that saves a dispatch: lower.ts, waveChain) after the step's last reader, for
 * the next step, the buffer starting zeroed (no accumulation across steps). The same buffer is `array<atomic<i32>>` in the scatter
 * pipeline and `array<i32>` in the zero kernel and in every consumer; WGSL types bindings per
 * pipeline, and both are plain storage buffers in the bind-group layout.
 */
function emitEventCount(g: Graph, spec: GlobalKernelSpec, index: number, ctx: EmitContext, part?: number): { body: KernelBody; bind: Bindings }[] {
  const n = g.node(spec.node) as Node<'event_count'>;
  const [sId, iId] = n.src as [number, number];
  const s = g.node(sId);
  const nPre = s.shape[s.shape.length - 1] as number;
  const k = g.node(iId).shape[1] as number;
  const nPost = n.arg.nPost;
  const total = sizeOf(n.shape);
  const counts = ctx.bufferOfTemp(n.id).buffer;
  const want = (j: number) => part === undefined || part === j;
  const out: { body: KernelBody; bind: Bindings }[] = [];

  if (want(0) && !ctx.clearedByReader?.has(n.id)) {
    const zb = ctx.bindings ?? new Bindings();
    zb.begin();
    const zout = zb.name(counts, 'only', 'read_write');
    const zero = { body: { name: `k${index}_event_zero_p${spec.phase}`, invocations: total, lines: [zb.store(zout, 'i', '0', 'i32')], helpers: new Set<string>(), clearsForNextStep: true } as KernelBody, bind: zb };
    if (ctx.bindings) zero.body.access = zb.end();
    out.push(zero);
  }
  if (ctx.bindings && ctx.persistent) return [...out, ...emitEventCompacted(g, spec, index, ctx.bindings, ctx.persistent.eventList(n.id), ctx)];
  if (!want(1)) return out;

  const sb = ctx.bindings ?? new Bindings();
  sb.begin();
  const helpers = new Set<string>();
  const cone = spec.operand ? spikeCone(g, spec, sb, ctx, helpers) : { lines: [], spiked: spikedAt(g, sId, sb, ctx) };
  const spiked = cone.spiked;
  const targetAt = operandReader(g, iId, sb, ctx);
  const dst = sb.name(counts, 'only', 'read_write', 'atomic<i32>');
  const batched = total !== nPost;
  let body = [
    ...cone.lines,
    `if (${spiked}) {`,
    `  let row = ${batched ? `(i % ${nPre}u)` : 'i'} * ${k}u;`,
    `  let base = ${batched ? `(i / ${nPre}u) * ${nPost}u` : '0u'};`,
    `  for (var j = 0u; j < ${k}u; j++) {`,
    // a negative i32 reinterprets as a large u32: out-of-range targets are skipped, never written elsewhere
    `    let q = u32(${targetAt('row + j')});`,
    `    if (q < ${nPost}u) { ${sb.atomicAdd(dst, 'base + q', deliveredAmount(g, n, sb, ctx, 'row + j'))} }`,
    '  }',
    '}',
  ];
  // only the rows that deliver get an invocation: invocation e is (batch e / width, row start + e % width),
  // and the body above runs in a block where i is that spike's element
  const [first, end] = n.arg.rows ?? [0, nPre];
  const width = end - first;
  if (width !== nPre) {
    const at = batched ? `(e / ${width}u) * ${nPre}u + ${first}u + e % ${width}u` : `e + ${first}u`;
    body = ['let e = i;', '{', `  let i = ${at};`, ...body.map((l) => `  ${l}`), '}'];
  }
  const scatter = { body: { name: `k${index}_event_scatter_p${spec.phase}`, invocations: nPre === 0 ? 0 : (sizeOf(s.shape) / nPre) * width, lines: body, helpers } as KernelBody, bind: sb };
  if (ctx.bindings) scatter.body.access = sb.end();
  out.push(scatter);
  return out;
}

/** WGSL condition: spike operand `sId` (bool, or f32 nonzero) is set at the invocation's own element. */
function spikedAt(g: Graph, sId: number, bind: Bindings, ctx: EmitContext): string {
  const s = g.node(sId);
  if (s.op === 'const') return (s as Node<'const'>).arg.value !== 0 ? 'true' : 'false';
  const at = operandReader(g, sId, bind, ctx);
  return s.dtype === 'bool' ? at('i') : `${at('i')} != 0.0`;
}

/**
 * event_count's scatter in the persistent shader, in three kernels (after the zero kernel):
 *  1. compact: one invocation per (batch, pre neuron); one that spiked appends its flat index to
 *     the spike list (`atomicAdd` on a workgroup counter gives the slot);
 *  2. deliver: one invocation per (listed spike, target), `count * k` of them (a dynamic bound);
 *     each does one `atomicAdd(&counts[b*nPost + q], 1)`;
 *  3. reset: invocation 0 zeroes the counter after the deliver kernel read it, for the next step.
 * One workgroup runs the whole network, so a spiking neuron's k targets are spread over k
 * invocations instead of k iterations of one: the step waits for one round of atomics, not for a
 * chain of k. The slots come in whatever order the atomics land, and the counts are integer sums,
 * so the result is exact whatever the order. The compact kernel reads its spike at its own element,
 * so it shares a wave with the kernel that computes the spikes.
 */
function emitEventCompacted(g: Graph, spec: GlobalKernelSpec, index: number, bind: Bindings, listBuf: PlanBuffer, ctx: EmitContext): { body: KernelBody; bind: Bindings }[] {
  const n = g.node(spec.node) as Node<'event_count'>;
  const phase = spec.phase;
  const [sId, iId] = n.src as [number, number];
  const s = g.node(sId);
  const ind = g.node(iId);
  const nPre = s.shape[s.shape.length - 1] as number;
  const k = ind.shape[1] as number;
  const nPost = n.arg.nPost;
  const counter = `evn${index}`;
  const out: { body: KernelBody; bind: Bindings }[] = [];
  const helpers = new Set<string>();
  const add = (name: string, invocations: number, lines: (b: Bindings) => string[], extra: Partial<KernelBody> = {}): void => {
    bind.begin();
    const body: KernelBody = { name: `k${index}_event_${name}_p${phase}`, invocations, lines: lines(bind), helpers: new Set(), ...extra };
    body.access = bind.end();
    out.push({ body, bind });
  };
  add('compact', sizeOf(s.shape), (b) => {
    const cone = spec.operand ? spikeCone(g, spec, b, ctx, helpers) : { lines: [], spiked: spikedAt(g, sId, b, ctx) };
    const list = b.name(listBuf, 'only', 'read_write');
    const c = b.workgroupVar(counter, 'atomic<u32>');
    // rows outside arg.rows never deliver (the invocations stay one per spike element: they own it)
    const r = n.arg.rows;
    const inRows = r && (r[0] !== 0 || r[1] !== nPre) ? ` && i % ${nPre}u >= ${r[0]}u && i % ${nPre}u < ${r[1]}u` : '';
    return [...cone.lines, `if (${cone.spiked}${inRows}) {`, `  let slot = atomicAdd(&${c}, 1u);`, `  ${b.store(list, 'slot', 'i', 'u32')}`, '}'];
  }, { helpers });
  add('deliver', sizeOf(s.shape) * k, (b) => {
    const list = b.name(listBuf, 'only', 'read');
    const targetAt = operandReader(g, iId, b, ctx);
    const counts = b.name(ctx.bufferOfTemp(n.id).buffer, 'only', 'read_write', 'atomic<i32>');
    b.workgroupVar(counter, 'atomic<u32>');
    return [
      `let src = ${b.load(list, `i / ${k}u`, 'u32')};`,
      `let syn = (src % ${nPre}u) * ${k}u + i % ${k}u;`,
      `let q = u32(${targetAt('syn')});`,
      `if (q < ${nPost}u) { ${b.atomicAdd(counts, `(src / ${nPre}u) * ${nPost}u + q`, deliveredAmount(g, n, b, ctx, 'syn'))} }`,
    ];
  }, { dynamicCount: `atomicLoad(&${counter}) * ${k}u` });
  add('reset', 1, (b) => [`atomicStore(&${b.workgroupVar(counter, 'atomic<u32>')}, 0u);`], { clearsForNextStep: true });
  return out;
}

/** matmul (primitives/matmul.ts): one invocation per output element, accumulating over n in order. */
function emitMatmul(g: Graph, spec: GlobalKernelSpec, index: number, ctx: EmitContext): { body: KernelBody; bind: Bindings } {
  const n = g.node(spec.node);
  const [xId, wId] = n.src as [number, number];
  const x = g.node(xId), w = g.node(wId);
  const bind = ctx.bindings ?? new Bindings();
  const xAt = operandReader(g, xId, bind, ctx);
  const wAt = operandReader(g, wId, bind, ctx);
  const lastOf = (s: readonly number[]): number => s[s.length - 1] as number;
  // invocation i = (row, col) of the output; q runs over the contracted axis in the reference's order
  let inner: number, cols: number, a: string, b: string;
  if (n.op === 'matmul') {
    inner = lastOf(x.shape); cols = w.shape[1] as number;
    [a, b] = [`r * ${inner}u + q`, `q * ${cols}u + j`];
  } else if (n.op === 'matmul_wt') {
    inner = lastOf(x.shape); cols = w.shape[0] as number;
    [a, b] = [`r * ${inner}u + q`, `j * ${inner}u + q`];
  } else {
    const rows = lastOf(x.shape);
    inner = sizeOf(x.shape) / rows; cols = lastOf(w.shape);
    [a, b] = [`q * ${rows}u + r`, `q * ${cols}u + j`];
  }
  const lines = [
    `let r = i / ${cols}u;`, `let j = i % ${cols}u;`, 'var acc = 0.0;',
    `for (var q = 0u; q < ${inner}u; q++) {`, `  acc = acc + ${xAt(a)} * ${wAt(b)};`, '}',
    ...resultStores(g, spec, ctx, bind, 'acc', 'f32'),
  ];
  return { body: { name: `k${index}_${n.op}_p${spec.phase}`, invocations: sizeOf(n.shape), lines, helpers: new Set() }, bind };
}
