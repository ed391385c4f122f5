/**
 * The adjoint of a compiled loop, as two graphs built once per step graph:
 *
 * - `save`: the forward step with the values the reverse pass needs appended as per-step outputs
 *   (the pre-step value of every written State and of every carry);
 * - `reverse`: one step of the reverse loop, a scan that runs from the last step to the first.
 *   Its carries are the cotangents of the written f32 States (lambda), accumulators for the
 *   read-only f32 States (parameters: their gradient is summed over steps on the GPU) and the
 *   cotangents of the f32 scan carries; its per-step operands are the saved values, the forward
 *   operands and the cotangents of the forward outputs, all in reverse time order; its per-step
 *   outputs are the cotangents of the forward operands that need one.
 *
 * `reverse` is the adjoint of the step (autodiff/vjp-graph.ts, which recomputes in-graph every
 * primal value it needs from the saved ones) with its inputs renamed into that scan, optimized by
 * the same passes and lowered by the same cost model as any step: temporal fusion where it is
 * element-local, a dispatch chain (or persistent workgroup) where it reduces or multiplies.
 */
import {
  GradError, Graph, optimize, TIME_VARYING, Trace, vjpGraph, type Aval, type GraphOutput, type HostArray, type InputSource, type Node, type Tensor,
} from '@spiketrace/compiler';

export interface SavedValue {
  kind: 'state' | 'carry';
  index: number;
  aval: Aval;
}

export interface LoopAdjoint {
  /** The forward step plus the saved values as ys `savedFrom + j`. */
  readonly save: Graph;
  readonly savedFrom: number;
  readonly saved: readonly SavedValue[];
  readonly reverse: Graph;
  /**
   * Reverse carries, in order: lambda of these written State slots, accumulators of these
   * read-only slots, accumulators of these captured arrays (closed-over values grad follows),
   * lambda of these carries.
   */
  readonly lambdaSlots: readonly number[];
  readonly accSlots: readonly number[];
  readonly accCaptured: readonly number[];
  readonly lambdaCarries: readonly number[];
  /** Forward xs whose per-step cotangents the reverse loop outputs (reverse y j is the cotangent of xs xsGrads[j]). */
  readonly xsGrads: readonly number[];
  /** Reverse xs layout: saved values first, then the forward xs, then the cotangents of the forward ys. */
  readonly xsOffset: number;
  readonly ctYOffset: number;
  /** Captured arrays the adjoint made itself; the reverse graph's captured list is the forward's, then these. */
  readonly extraCaptured: readonly HostArray[];
}

function avalOf(n: Node): Aval {
  return { dtype: n.dtype, shape: n.shape };
}

/**
 * @param xsNeeded which forward xs need a cotangent
 * @param capturedNeeded which captured arrays need one (summed over steps)
 */
export function buildLoopAdjoint(g: Graph, xsNeeded: readonly boolean[], what: string, capturedNeeded: readonly boolean[] = []): LoopAdjoint {
  const random = g.nodes.find((n) => TIME_VARYING.has(n.op));
  if (random) {
    throw new GradError(`grad through ${what}: the step draws random numbers (${random.op}, node %${random.id}); ` +
      'differentiating through in-loop random draws is not supported yet: draw the noise before the loop and pass it as a looped operand');
  }
  const inputs = g.inputs();
  const stateIn = new Map<number, Node>();
  const carryIn = new Map<number, Node>();
  for (const n of inputs) {
    if (n.arg.kind === 'state') stateIn.set(n.arg.index, n);
    if (n.arg.kind === 'carry') carryIn.set(n.arg.index, n);
  }
  const written = g.outputs.filter((o) => o.kind === 'state');
  const writtenSet = new Set(written.map((o) => o.index));
  const ys = g.outputs.filter((o) => o.kind === 'y');
  const carryOuts = g.outputs.filter((o) => o.kind === 'carry');

  // what the reverse pass reads of each step: the pre-step value of written States and carries
  const saved: SavedValue[] = [];
  const savedNode: number[] = [];
  for (const o of written) {
    const n = stateIn.get(o.index);
    if (n) { saved.push({ kind: 'state', index: o.index, aval: avalOf(n) }); savedNode.push(n.id); }
  }
  for (const [k, n] of [...carryIn].sort((a, b) => a[0] - b[0])) { saved.push({ kind: 'carry', index: k, aval: avalOf(n) }); savedNode.push(n.id); }
  const savedFrom = ys.length;
  const save = new Graph([...g.nodes], [...g.outputs, ...savedNode.map((node, j): GraphOutput => ({ kind: 'y', index: savedFrom + j, node }))], `${g.name}_save`);

  const lambdaSlots = written.filter((o) => g.node(o.node).dtype === 'f32').map((o) => o.index);
  const accSlots = [...stateIn.keys()].filter((k) => !writtenSet.has(k) && (stateIn.get(k) as Node).dtype === 'f32').sort((a, b) => a - b);
  const lambdaCarries = carryOuts.filter((o) => g.node(o.node).dtype === 'f32').map((o) => o.index);
  const xsIn = inputs.filter((n) => n.arg.kind === 'xs');
  const xsGrads = xsIn.filter((n) => n.dtype === 'f32' && xsNeeded[n.arg.index]).map((n) => n.arg.index).sort((a, b) => a - b);
  const capturedIn = new Map(inputs.filter((n) => n.arg.kind === 'captured').map((n) => [n.arg.index, n]));
  const accCaptured = [...capturedIn.keys()].filter((k) => capturedNeeded[k] && (capturedIn.get(k) as Node).dtype === 'f32').sort((a, b) => a - b);

  // differentiate one step with respect to every f32 State read, the f32 carries and the needed xs
  const wrt: InputSource[] = [];
  const wrtStates = [...stateIn.entries()].filter(([, n]) => n.dtype === 'f32').map(([k]) => k);
  for (const k of wrtStates) wrt.push((stateIn.get(k) as Node<'input'>).arg);
  for (const k of lambdaCarries) {
    const n = carryIn.get(k);
    if (n) wrt.push((n as Node<'input'>).arg);
  }
  for (const k of xsGrads) wrt.push({ kind: 'xs', index: k });
  for (const k of accCaptured) wrt.push({ kind: 'captured', index: k });
  const vjp = vjpGraph(g, wrt, g.outputs.map((o) => (g.node(o.node).dtype === 'f32' ? 'input' : null)));
  const gradIndex = (src: InputSource): number => wrt.findIndex((w) => w.kind === src.kind && w.index === src.index);

  const xsOffset = saved.length;
  const ctYOffset = xsOffset + xsIn.reduce((m, n) => Math.max(m, n.arg.index + 1), 0);
  const savedIndex = new Map(saved.map((s, j) => [`${s.kind}:${s.index}`, j]));
  const lambdaOf = new Map(lambdaSlots.map((k, j) => [k, j]));
  const accCount = accSlots.length + accCaptured.length;
  const lambdaCarryOf = new Map(lambdaCarries.map((k, j) => [k, lambdaSlots.length + accCount + j]));

  const tr = new Trace(`${g.name}_reverse`);
  const graph = tr.run(() => {
    const vals: Tensor[] = [];
    const carryIns: Tensor[] = [];
    const carryInput = (index: number, aval: Aval): Tensor => (carryIns[index] ??= tr.input({ kind: 'carry', index }, aval));
    for (const n of vjp.graph.nodes) {
      if (n.op !== 'input') {
        vals[n.id] = tr.add(n.op, n.src.map((s) => vals[s] as Tensor), n.arg as never, n);
        continue;
      }
      const src = (n as Node<'input'>).arg;
      const aval = avalOf(n);
      if (src.kind === 'state') {
        const j = savedIndex.get(`state:${src.index}`);
        vals[n.id] = j === undefined ? tr.input(src, aval) : tr.input({ kind: 'xs', index: j }, aval);
      } else if (src.kind === 'carry') {
        vals[n.id] = tr.input({ kind: 'xs', index: savedIndex.get(`carry:${src.index}`) as number }, aval);
      } else if (src.kind === 'xs') {
        vals[n.id] = tr.input({ kind: 'xs', index: xsOffset + src.index }, aval);
      } else if (src.kind === 'captured') {
        vals[n.id] = tr.input(src, aval);
      } else {
        // the cotangent of a forward output
        const ci = vjp.cotangentInputs.find((c) => c.source.index === src.index);
        if (!ci) throw new Error(`loop adjoint: unexpected input ${JSON.stringify(src)}`);
        const o = g.outputs[ci.output] as GraphOutput;
        if (o.kind === 'state') vals[n.id] = carryInput(lambdaOf.get(o.index) as number, aval);
        else if (o.kind === 'carry') vals[n.id] = carryInput(lambdaCarryOf.get(o.index) as number, aval);
        else vals[n.id] = tr.input({ kind: 'xs', index: ctYOffset + o.index }, aval);
      }
    }
    const grad = (src: InputSource): Tensor => vals[(vjp.graph.outputs[gradIndex(src)] as GraphOutput).node] as Tensor;
    const zerosLike = (aval: Aval): Tensor => tr.add('const', [], { value: 0 }, aval);
    const carriesOut: Tensor[] = [];
    lambdaSlots.forEach((k, j) => {
      const n = stateIn.get(k);
      carriesOut[j] = n ? grad((n as Node<'input'>).arg) : zerosLike(avalOf(g.node((written.find((o) => o.index === k) as GraphOutput).node)));
    });
    accSlots.forEach((k, j) => {
      const n = stateIn.get(k) as Node<'input'>;
      const acc = carryInput(lambdaSlots.length + j, avalOf(n));
      carriesOut[lambdaSlots.length + j] = tr.add('add', [acc, grad(n.arg)], null, avalOf(n));
    });
    accCaptured.forEach((k, j) => {
      const n = capturedIn.get(k) as Node<'input'>;
      const acc = carryInput(lambdaSlots.length + accSlots.length + j, avalOf(n));
      carriesOut[lambdaSlots.length + accSlots.length + j] = tr.add('add', [acc, grad(n.arg)], null, avalOf(n));
    });
    lambdaCarries.forEach((k, j) => {
      const n = carryIn.get(k);
      carriesOut[lambdaSlots.length + accCount + j] = n ? grad((n as Node<'input'>).arg)
        : zerosLike(avalOf(g.node((carryOuts.find((o) => o.index === k) as GraphOutput).node)));
    });
    // every reverse carry must be an input too (its initial value flows in)
    carriesOut.forEach((c, i) => carryInput(i, c));
    return tr.toGraph(xsGrads.map((k) => grad({ kind: 'xs', index: k })), carriesOut);
  });
  return {
    save, savedFrom, saved, reverse: optimize(graph), lambdaSlots, accSlots, accCaptured, lambdaCarries, xsGrads, xsOffset, ctYOffset,
    extraCaptured: vjp.captured,
  };
}
