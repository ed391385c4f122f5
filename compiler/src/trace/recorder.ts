/**
 * The hook through which eager ops reach an open gradient tape (autodiff/tape.ts). It lives
 * apart so that `bind` does not import the autodiff machinery.
 */
import type { Op, OpArgs } from '../ir/ops.ts';
import type { Tensor } from './tensor.ts';

export type EagerRecorder = <O extends Op>(op: O, inputs: readonly Tensor[], arg: OpArgs[O], out: Tensor) => void;

let recorder: EagerRecorder | undefined;

export function eagerRecorder(): EagerRecorder | undefined {
  return recorder;
}

export function setEagerRecorder(r: EagerRecorder | undefined): void {
  recorder = r;
}
