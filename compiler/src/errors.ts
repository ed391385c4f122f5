/** Errors the compiler raises. Each names its culprit; trace-time errors carry the user's source line. */

export class SpiketraceError extends Error {
  override name = 'SpiketraceError';
}

/** A traced value was used outside the transform that produced it, or traces were mixed. */
export class TraceContextError extends SpiketraceError {
  override name = 'TraceContextError';
}

/** The IR broke an invariant (verifier), naming node, op and pass. */
export class VerifyError extends SpiketraceError {
  override name = 'VerifyError';
}

/** A shape or dtype rule rejected its operands. */
export class ShapeError extends SpiketraceError {
  override name = 'ShapeError';
}

const LIB_FRAME = /[/\\](compiler|runtime|kernels)[/\\]src[/\\]|[/\\]packages[/\\](units|state|models|spiketrace)[/\\]src[/\\]|node_modules|node:internal|^\s*at (new )?Promise/;

/** The first stack frame outside Spiketrace's own sources: "file:line:col" of the user's model. */
export function userFrame(): string | undefined {
  return userFrameOf(new Error());
}

/** The first frame of `err`'s stack that lies in the user's code (not in Spiketrace or Node). */
export function userFrameOf(err: unknown): string | undefined {
  const stack = (err instanceof Error ? err.stack : undefined)?.split('\n').slice(1) ?? [];
  for (const line of stack) {
    if (LIB_FRAME.test(line)) continue;
    const m = /\(?((?:file:\/\/)?[^()\s]+:\d+:\d+)\)?\s*$/.exec(line);
    if (m) return (m[1] as string).replace(/^file:\/\//, '');
  }
  return undefined;
}
