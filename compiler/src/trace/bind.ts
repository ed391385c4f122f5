/**
 * bind: the single entry point of every op. Outside a transform, or when every operand is
 * concrete, the op runs eagerly through its CPU reference; otherwise it is recorded.
 */
import type { Op, OpArgs } from '../ir/ops.ts';
import { ShapeError, TraceContextError } from '../errors.ts';
import { prim } from '../primitives/index.ts';
import { Tensor } from './tensor.ts';
import { currentTrace, type Trace } from './trace.ts';
import { eagerRecorder } from './recorder.ts';

export function bind<O extends Op>(op: O, srcs: readonly Tensor[], arg: OpArgs[O]): Tensor {
  const p = prim(op);
  let out;
  try {
    out = p.infer(srcs, arg);
  } catch (e) {
    throw new ShapeError((e as Error).message);
  }
  const trace = traceOf(srcs);
  if (!trace) {
    const t = Tensor.fromHost(p.evalCpu(srcs.map((s) => s.toHost()), arg, out));
    eagerRecorder()?.(op, srcs, arg, t);
    return t;
  }
  return trace.add(op, srcs, arg, out);
}

function traceOf(srcs: readonly Tensor[]): Trace | undefined {
  let found: Trace | undefined;
  for (const s of srcs) {
    const r = s.traceRef;
    if (!r) continue;
    if (found && found !== r.trace) throw new TraceContextError('operands come from two different transforms');
    found = r.trace;
  }
  if (found && found !== currentTrace()) {
    throw new TraceContextError(
      found.closed
        ? `a value traced inside "${found.name}" escaped that transform; return it from the step function instead of keeping it`
        : `a value of the outer transform "${found.name}" reached an inner one`,
    );
  }
  return found;
}
